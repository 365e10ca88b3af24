/**
 * Decides whether an inline completion request goes to the server at all:
 * completions on, the language on, not snoozed; then waits out the debounce
 * so a burst of keystrokes costs one model run (VS Code cancels the earlier
 * requests' tokens as the user keeps typing). The debounce adapts to the
 * user's typing and the model's speed (completionTiming.ts), which the gate
 * learns from the server's counters each time an answer arrives (the
 * language client's middleware says when: answered()).
 */
import * as vscode from 'vscode';
import type { EngineStats, GenerationStats } from '../../protocol/lsp';
import { debounceDelay, ModelPace, TypingRhythm } from './completionTiming';
import type { Config } from './config';

const SNOOZE_KEY = 'glassbox.snoozeUntil';
const SNOOZE_STEP_MS = 5 * 60 * 1000;

export class CompletionGate implements vscode.Disposable {
	private readonly changed = new vscode.EventEmitter<void>();
	/** Fires when the snooze starts or ends, and when a new completion's counters arrive. */
	readonly onDidChange = this.changed.event;
	private timer: NodeJS.Timeout | undefined;
	private readonly typing = new TypingRhythm();
	private readonly pace = new ModelPace();
	private statsSource: (() => Promise<EngineStats>) | undefined;
	/** The counters being read (one read at a time; answers that arrive meanwhile are in it or in the next). */
	private reading: Promise<void> | undefined;
	/** An answer arrived while the counters were being read. */
	private stale = false;

	constructor(
		private readonly config: Config,
		private readonly state: vscode.Memento,
	) {
		this.scheduleWake();
	}

	/** Milliseconds left in the snooze, 0 when not snoozed. */
	get snoozeRemaining(): number {
		return Math.max(0, this.state.get<number>(SNOOZE_KEY, 0) - Date.now());
	}

	/** Each call adds five minutes, like Copilot's snooze. */
	async snooze(): Promise<void> {
		const from = Math.max(Date.now(), this.state.get<number>(SNOOZE_KEY, 0));
		await this.state.update(SNOOZE_KEY, from + SNOOZE_STEP_MS);
		this.scheduleWake();
	}

	async cancelSnooze(): Promise<void> {
		await this.state.update(SNOOZE_KEY, 0);
		this.scheduleWake();
	}

	/** Why completions are off for this document, or undefined when they are on. */
	blockedReason(document: vscode.TextDocument): string | undefined {
		if (!this.config.completionsEnabled) {
			return 'Inline completions are turned off.';
		}
		if (this.snoozeRemaining > 0) {
			return 'Inline completions are snoozed.';
		}
		if (!this.config.isLanguageEnabled(document.languageId)) {
			return `Inline completions are off for ${document.languageId}.`;
		}
		return undefined;
	}

	/** Where the gate reads the server's counters (the model's answer times, the last completion). */
	useStats(source: () => Promise<EngineStats>): void {
		this.statsSource = source;
	}

	/** The newest completion the model finished, as far as the gate has read. */
	get lastCompletion(): GenerationStats | undefined {
		return this.pace.last;
	}

	/**
	 * Resolves false if the token was cancelled during the debounce. An explicit
	 * request (Alt+\) goes at once; an automatic one waits debounceDelay().
	 */
	debounce(token: vscode.CancellationToken, explicit: boolean): Promise<boolean> {
		let ms = 0;
		if (!explicit) {
			this.typing.keystroke(Date.now());
			ms = debounceDelay({ baseMs: this.config.debounceMs, typingMs: this.typing.intervalMs, modelMs: this.pace.answerMs });
		}
		if (ms === 0 || token.isCancellationRequested) {
			return Promise.resolve(!token.isCancellationRequested);
		}
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				listener.dispose();
				resolve(!token.isCancellationRequested);
			}, ms);
			const listener = token.onCancellationRequested(() => {
				clearTimeout(timer);
				listener.dispose();
				resolve(false);
			});
		});
	}

	/**
	 * An answer to a request the gate let through arrived: read the server's
	 * counters for the model's time (the next keystroke's wait) and the last
	 * completion (the status bar). One read at a time: answers that arrive
	 * during a read get one more read after it. An answer from the cache
	 * leaves no new completion in the counters, and changes nothing.
	 */
	answered(): void {
		if (this.reading) {
			this.stale = true;
			return;
		}
		const source = this.statsSource;
		if (!source) {
			return;
		}
		this.reading = Promise.resolve()
			.then(source)
			.then(
				(stats) => {
					if (this.pace.observe(stats.recent)) {
						this.changed.fire();
					}
				},
				() => undefined, // the server is not running: nothing to learn
			)
			.finally(() => {
				this.reading = undefined;
				if (this.stale) {
					this.stale = false;
					this.answered();
				}
			});
	}

	/** Update the context key and the status bar when a snooze starts or ends. */
	private scheduleWake(): void {
		clearTimeout(this.timer);
		const remaining = this.snoozeRemaining;
		void vscode.commands.executeCommand('setContext', 'glassbox.snoozed', remaining > 0);
		this.changed.fire();
		if (remaining > 0) {
			// Wake once a minute so the status bar's countdown stays right.
			this.timer = setTimeout(() => this.scheduleWake(), Math.min(remaining, 60_000) + 50);
		}
	}

	dispose(): void {
		clearTimeout(this.timer);
		this.changed.dispose();
	}
}
