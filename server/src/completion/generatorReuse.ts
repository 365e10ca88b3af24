/**
 * Generator reuse (Continue's term): a completion's generation runs under its
 * own cancellation source, not the LSP request's, so that when the user types
 * what it is writing, the requests for the states they reach attach to it
 * instead of cancelling it and starting again.
 *
 * A request agrees with a generation when it is for the same document and
 * settings, the same text after the cursor, and the generation's text before
 * the cursor followed by typed text that the generation has written, or that
 * it has written the start of (it may yet write the rest). A request that
 * agrees attaches and gets the generation's text after what it typed,
 * post-processed for its own context by the caller; one that disagrees
 * cancels it (the newest request wins) and starts its own.
 *
 * VS Code cancels a request as soon as the user types, and sends the next
 * one only after its debounce, so the generation outlives its requests:
 * - an edit of the document that disagrees cancels it at once;
 * - when its last request is cancelled, it goes on only if the document has
 *   moved along it since that request came (the user typed what it wrote, and
 *   a request for that state is on its way), otherwise it is cancelled (a
 *   few turns of the event loop later: see detached);
 * - a generation that cannot follow the document's edits (a notebook cell's
 *   window spans cells; a suggest-widget item changes the text) is cancelled
 *   with its last request.
 * The newest request whose typed text the generation has written decides
 * where it stops (the stream filters with that request's context).
 */
import { CancellationTokenSource, type CancellationToken } from 'vscode-languageserver';
import type { GenerationOutcome } from '../engine';
import type { CompletionContext } from './context';
import { checkStop, type StopVerdict } from './streamFilters';

/** The state a completion is asked for: what decides whether two requests meet on one generation. */
export interface Situation {
	uri: string;
	/** Everything besides the text that decides the answer (AnswerCache.parts). */
	parts: string;
	/** The cursor window is ctx.prefix / ctx.suffix. */
	ctx: CompletionContext;
	/**
	 * Where the window sits in the document's text: the cursor's offset and the
	 * text's length. Absent when the window is not a piece of the document
	 * (notebook cells, a suggest-widget item applied).
	 */
	inDocument?: { offset: number; length: number };
}

/** Turns of the event loop a generation whose last request was cancelled waits for the edit that caused it (see detached). */
const DECISION_TURNS = 4;

/** How an attached request ended. */
export type Attachment =
	/** The generation's text after what the request typed, not yet post-processed; the outcome is shared. */
	| { kind: 'answer'; raw: string; outcome: GenerationOutcome }
	/** The generation went (or ended) another way than the request's typed text: it needs its own. */
	| { kind: 'disagrees' }
	/** Cancelled, superseded or failed: no answer. */
	| { kind: 'lost' };

/** Starts the generation: runs it under `token`, calling `stopRule` with the text so far after each step. */
export type StartGeneration = (token: CancellationToken, stopRule: (text: string) => StopVerdict) => Promise<GenerationOutcome | undefined>;

interface Attached {
	typed: string;
	ctx: CompletionContext;
	settle(result: Attachment): void;
}

export class SharedGeneration {
	private readonly source = new CancellationTokenSource();
	private readonly attached = new Set<Attached>();
	/** The text written so far (visible text: healing's re-spelling excluded). */
	private written = '';
	private over = false;
	/** The newest request that attached; it decides where to stop once its typed text is written. */
	private newest: { typed: string; ctx: CompletionContext };
	/** The text typed after the origin's cursor in the document's newest edit, when it agrees. */
	private documentTyped: string | undefined;
	/** The document moved along the generation since the newest request attached. */
	private followed = false;
	/** Resolves when the generation ended (undefined: it never ran, or failed). */
	readonly done: Promise<GenerationOutcome | undefined>;

	constructor(
		readonly origin: Situation,
		start: StartGeneration,
		onError: (e: unknown) => void,
	) {
		// Create the token before anything can cancel the source (see Scheduler.createSlot).
		const token = this.source.token;
		this.newest = { typed: '', ctx: origin.ctx };
		this.done = start(token, (text) => this.step(text)).then(
			(outcome) => this.end(outcome),
			(e: unknown) => {
				onError(e);
				return this.end(undefined);
			},
		);
	}

	/** Whether the generation has ended. */
	get finished(): boolean {
		return this.over;
	}

	/** The text `s` typed after this generation's cursor when it agrees with it (see the module's comment), else undefined. */
	typedFor(s: Situation): string | undefined {
		const o = this.origin;
		if (s.uri !== o.uri || s.parts !== o.parts || s.ctx.suffix !== o.ctx.suffix || !s.ctx.prefix.startsWith(o.ctx.prefix)) {
			return undefined;
		}
		const typed = s.ctx.prefix.slice(o.ctx.prefix.length);
		return this.agrees(typed) ? typed : undefined;
	}

	/**
	 * Wait for the generation's answer for a request that agrees (`typed` from
	 * typedFor); `token` is the request's. Settles when the generation ends,
	 * as soon as it goes another way than `typed`, or when `token` is cancelled.
	 */
	attach(ctx: CompletionContext, typed: string, token: CancellationToken): Promise<Attachment> {
		return new Promise((resolve) => {
			const request: Attached = {
				typed,
				ctx,
				settle: (result) => {
					if (this.attached.delete(request)) {
						listener.dispose();
						resolve(result);
					}
				},
			};
			this.attached.add(request);
			this.newest = { typed, ctx };
			this.followed = false;
			const listener = token.onCancellationRequested(() => {
				request.settle({ kind: 'lost' });
				this.detached();
			});
			if (token.isCancellationRequested) {
				request.settle({ kind: 'lost' });
				this.detached();
			}
		});
	}

	/**
	 * The document `uri` changed to `text`: cancel when it no longer agrees
	 * with the generation. Reads only the window's worth of the text.
	 */
	documentChanged(uri: string, text: string): void {
		const o = this.origin;
		if (this.over || uri !== o.uri) {
			return;
		}
		if (!o.inDocument) {
			return; // it ends with its last request
		}
		const { offset, length } = o.inDocument;
		const added = text.length - length;
		const typed = added >= 0 ? text.slice(offset, offset + added) : '';
		const agrees =
			added >= 0 &&
			text.slice(offset - o.ctx.prefix.length, offset) === o.ctx.prefix &&
			text.slice(offset + added, offset + added + o.ctx.suffix.length) === o.ctx.suffix &&
			this.agrees(typed);
		if (!agrees) {
			this.cancel();
			return;
		}
		this.documentTyped = typed;
		this.followed = true;
	}

	/** Stop the generation (within one model step); attached requests get no answer. */
	cancel(): void {
		if (!this.over) {
			this.source.cancel();
		}
	}

	/** Whether `typed` agrees with what was written: written it, or is written up to now. */
	private agrees(typed: string): boolean {
		// A character cut in the middle of its UTF-8 bytes shows as U+FFFD until its last byte comes.
		const text = this.over ? this.written : this.written.replace(/\uFFFD+$/, '');
		return text.startsWith(typed) || (!this.over && typed.startsWith(text));
	}

	/** The engine's stop rule: after each step, with the text so far. */
	private step(text: string): StopVerdict {
		this.written = text;
		for (const request of this.attached) {
			if (!this.agrees(request.typed)) {
				request.settle({ kind: 'disagrees' });
			}
		}
		if (this.documentTyped !== undefined && !this.agrees(this.documentTyped)) {
			this.cancel(); // the document went another way: nothing can use the rest
		}
		const lead = text.startsWith(this.newest.typed) ? this.newest : { typed: '', ctx: this.origin.ctx };
		const verdict = checkStop(text.slice(lead.typed.length), lead.ctx);
		return verdict.stop ? { stop: true, text: lead.typed + verdict.text } : { stop: false, text };
	}

	/**
	 * A request was cancelled. When it was the last, and the document has not
	 * moved along the generation, the generation is cancelled too. The
	 * connection handles a cancellation as soon as it reads it, but the
	 * messages read before it (the edit that made VS Code cancel) one per turn
	 * of the event loop, so the decision waits a few turns for that edit.
	 */
	private detached(turns = DECISION_TURNS): void {
		if (this.attached.size > 0 || this.followed || this.over) {
			return;
		}
		if (turns === 0) {
			this.cancel();
			return;
		}
		setImmediate(() => this.detached(turns - 1));
	}

	private end(outcome: GenerationOutcome | undefined): GenerationOutcome | undefined {
		this.over = true;
		const raw = outcome?.record.text ?? '';
		this.written = raw;
		for (const request of [...this.attached]) {
			request.settle(answerFor(request.typed, raw, outcome));
		}
		this.source.dispose();
		return outcome;
	}
}

/** What a request that typed `typed` gets from a generation that ended with `raw`. */
function answerFor(typed: string, raw: string, outcome: GenerationOutcome | undefined): Attachment {
	if (!outcome || outcome.record.stopReason === 'cancelled') {
		return { kind: 'lost' };
	}
	if (!raw.startsWith(typed)) {
		return { kind: 'disagrees' };
	}
	// Nothing left after the typed text, and not because the model ended there: the budget or
	// another request's stop rule ended it, so this request's own generation may write more.
	if (typed !== '' && raw.length === typed.length && outcome.record.stopReason !== 'eos') {
		return { kind: 'disagrees' };
	}
	return { kind: 'answer', raw: raw.slice(typed.length), outcome };
}
