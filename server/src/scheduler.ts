/**
 * One generation at a time. The newest request wins: it cancels the running
 * generation and any request still waiting, which then return empty instead
 * of queueing up stale work. Requests the user made on purpose (the panel, the
 * commands) are not pre-empted by automatic inline completions; a completion
 * that arrives while one runs is refused at once. Background work (the
 * completion prefetched for after a suggestion is accepted) runs only when
 * nothing else runs or waits, and anything else cancels it.
 */
import { CancellationToken, CancellationTokenSource } from 'vscode-languageserver';

export type Priority = 'background' | 'auto' | 'user';

export interface Lease {
	readonly priority: Priority;
	/** Cancelled when the request is cancelled or a newer request supersedes it. */
	readonly token: CancellationToken;
	release(): void;
}

interface Slot {
	priority: Priority;
	source: CancellationTokenSource;
	done: Promise<void>;
	finish: () => void;
}

export class Scheduler {
	private current: Slot | undefined;
	private pending: Slot | undefined;

	/** Whether anything runs or waits. */
	get busy(): boolean {
		return this.current !== undefined || this.pending !== undefined;
	}

	/**
	 * Wait for the model. Resolves undefined when this request lost: cancelled,
	 * superseded while waiting, an automatic request while a user one runs, or
	 * background work while anything runs or waits.
	 */
	async acquire(priority: Priority, token: CancellationToken): Promise<Lease | undefined> {
		const guarded = [this.current, this.pending].some((s) => s?.priority === 'user');
		if ((priority === 'auto' && guarded) || (priority === 'background' && this.busy)) {
			return undefined;
		}
		const slot = this.createSlot(priority, token);
		this.pending?.source.cancel();
		this.pending = slot;
		this.current?.source.cancel();
		while (this.current) {
			await this.current.done;
		}
		if (this.pending !== slot || slot.source.token.isCancellationRequested) {
			if (this.pending === slot) {
				this.pending = undefined;
			}
			slot.source.dispose();
			return undefined;
		}
		this.pending = undefined;
		this.current = slot;
		return {
			priority,
			token: slot.source.token,
			release: () => {
				if (this.current === slot) {
					this.current = undefined;
				}
				slot.source.dispose();
				slot.finish();
			},
		};
	}

	/** Cancel whatever runs or waits, and resolve once the model is free (before unloading it). */
	async cancelAll(): Promise<void> {
		this.pending?.source.cancel();
		this.pending = undefined;
		this.current?.source.cancel();
		while (this.current) {
			await this.current.done;
		}
	}

	private createSlot(priority: Priority, token: CancellationToken): Slot {
		const source = new CancellationTokenSource();
		// Create the token now: a source whose token was never read cannot be cancelled twice
		// (vscode-jsonrpc then calls cancel() on its shared Cancelled token and throws), and a
		// waiting request can be cancelled twice, superseded and by its client.
		void source.token;
		token.onCancellationRequested(() => source.cancel());
		if (token.isCancellationRequested) {
			source.cancel();
		}
		let finish = (): void => undefined;
		const done = new Promise<void>((resolve) => (finish = resolve));
		return { priority, source, done, finish };
	}
}
