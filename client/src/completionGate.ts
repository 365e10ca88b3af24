/**
 * Decides whether an inline completion request goes to the server at all:
 * completions on, the language on, not snoozed; then waits out the debounce
 * so a burst of keystrokes costs one model run (VS Code cancels the earlier
 * requests' tokens as the user keeps typing).
 */
import * as vscode from 'vscode';
import type { Config } from './config';

const SNOOZE_KEY = 'glassbox.snoozeUntil';
const SNOOZE_STEP_MS = 5 * 60 * 1000;

export class CompletionGate implements vscode.Disposable {
	private readonly changed = new vscode.EventEmitter<void>();
	readonly onDidChange = this.changed.event;
	private timer: NodeJS.Timeout | undefined;

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

	/** Resolves false if the token was cancelled during the debounce. */
	debounce(token: vscode.CancellationToken, explicit: boolean): Promise<boolean> {
		const ms = explicit ? 0 : this.config.debounceMs;
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
