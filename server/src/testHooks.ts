/**
 * The step gate behind the test hooks (protocol/lsp.ts, "Test hooks"): a test
 * arms a one-shot hold, the next generation that reaches that model step
 * waits there and says so, and goes on when the test releases it or when it
 * is cancelled (it then stops at the top of that step, having run no pass
 * after the cancellation). Tests that cancel, edit or race a generation then
 * assert the same thing however fast the machine is. The server creates a
 * gate only when the client asks for the hooks at initialize.
 */
import type { CancellationToken } from 'vscode-languageserver';
import type { GenerationKind } from '../../protocol/generation';
import type { GenerationEventParams, HoldGenerationParams } from '../../protocol/lsp';

interface Held {
	release(): void;
}

export class StepGate {
	private armed: HoldGenerationParams | undefined;
	private held: Held | undefined;

	constructor(private readonly notify: (event: GenerationEventParams) => void) {}

	arm(params: HoldGenerationParams): void {
		this.armed = { step: Math.max(0, Math.floor(params.step)), kind: params.kind };
	}

	/**
	 * Called by the engine before model step `step`. Returns a promise when the
	 * generation must wait (the hold was armed for this step and kind), else
	 * undefined, so unheld generations pay nothing.
	 */
	beforeStep(kind: GenerationKind, step: number, token: CancellationToken): Promise<void> | undefined {
		const armed = this.armed;
		if (!armed || armed.step !== step || (armed.kind !== undefined && armed.kind !== kind)) {
			return undefined;
		}
		this.armed = undefined;
		return new Promise<void>((resolve) => {
			const held: Held = {
				release: () => {
					listener.dispose();
					if (this.held === held) {
						this.held = undefined;
					}
					resolve();
				},
			};
			const cancelled = () => {
				this.notify({ event: 'cancelled', kind, step });
				held.release();
			};
			const listener = token.onCancellationRequested(cancelled);
			this.held = held;
			this.notify({ event: 'held', kind, step });
			if (token.isCancellationRequested) {
				cancelled();
			}
		});
	}

	release(): boolean {
		const held = this.held;
		held?.release();
		return held !== undefined;
	}

	/** Let everything go (the model is being unloaded or the server shuts down). */
	dispose(): void {
		this.armed = undefined;
		this.release();
	}
}
