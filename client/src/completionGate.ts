/**
 * Decides whether an inline completion request goes to the server at all:
 * completions on, the language on, not snoozed; then waits out the debounce
 * so a burst of keystrokes costs one model run (VS Code cancels the earlier
 * requests' tokens as the user keeps typing). The debounce adapts to the
 * user's typing and the model's speed (completionTiming.ts), which the gate
 * learns from the server's counters after the requests it lets through.
 */
import * as vscode from 'vscode';
import type { EngineStats, GenerationStats } from '../../protocol/lsp';
import { debounceDelay, ModelPace, TypingRhythm } from './completionTiming';
import type { Config } from './config';

const SNOOZE_KEY = 'glassbox.snoozeUntil';
const SNOOZE_STEP_MS = 5 * 60 * 1000;
/** How long to give a request before reading its counters, when the model's pace is not known yet. */
const FIRST_LOOK_MS = 500;

export class CompletionGate implements vscode.Disposable {
	private readonly changed = new vscode.EventEmitter<void>();
	/** Fires when the snooze starts or ends, and when a new completion's counters arrive. */
	readonly onDidChange = this.changed.event;
	private timer: NodeJS.Timeout | undefined;
	private readonly typing = new TypingRhythm();
	private readonly pace = new ModelPace();
	private statsSource: (() => Promise<EngineStats>) | undefined;
	/** A request went through since the counters were last read. */
	private unread = false;
	private lookTimer: NodeJS.Timeout | undefined;

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
			if (this.unread) {
				this.readStats(); // the last request's answer time, for the next keystroke's wait
			}
			ms = debounceDelay({ baseMs: this.config.debounceMs, typingMs: this.typing.intervalMs, modelMs: this.pace.answerMs });
		}
		if (ms === 0 || token.isCancellationRequested) {
			return Promise.resolve(this.goAhead(token));
		}
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				listener.dispose();
				resolve(this.goAhead(token));
			}, ms);
			const listener = token.onCancellationRequested(() => {
				clearTimeout(timer);
				listener.dispose();
				resolve(false);
			});
		});
	}

	/** Whether the request goes; when it does, read its counters once it has likely been answered. */
	private goAhead(token: vscode.CancellationToken): boolean {
		if (token.isCancellationRequested) {
			return false;
		}
		this.unread = true;
		// A timer, not an event: the answer goes to VS Code without passing the gate. If the
		// generation has not finished by then, one more look after twice as long.
		const wait = 1.5 * (this.pace.answerMs ?? FIRST_LOOK_MS) + 50;
		this.look(wait, 2 * wait);
		return true;
	}

	private look(afterMs: number, againMs?: number): void {
		clearTimeout(this.lookTimer);
		this.lookTimer = setTimeout(() => this.readStats(againMs), afterMs);
	}

	/** Read the server's counters; when they hold no new completion, look again after `againMs`. */
	private readStats(againMs?: number): void {
		const source = this.statsSource;
		if (!source) {
			return;
		}
		this.unread = false;
		clearTimeout(this.lookTimer);
		Promise.resolve()
			.then(source)
			.then(
				(stats) => {
					if (this.pace.observe(stats.recent)) {
						this.changed.fire();
					} else if (againMs !== undefined) {
						this.look(againMs);
					}
				},
				() => undefined, // the server is not running: nothing to learn
			);
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
		clearTimeout(this.lookTimer);
		this.changed.dispose();
	}
}
