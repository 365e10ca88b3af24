/**
 * textDocument/inlineCompletion, as named stages:
 *   source   the text around the cursor: the document, or a notebook cell
 *            with the cells before and after it; the suggest widget's
 *            selected item applied (source.ts)
 *   context  the cursor's line, its neighbours, the language, one or
 *            several lines (context.ts), and where no suggestion belongs
 *            (skipRules.ts)
 *   cache    the same state again, or the shown suggestion typed ahead (cache.ts)
 *   generate the engine's decoding loop, with the stream filters inside it,
 *            so the model stops as soon as one fires (streamFilters.ts); a
 *            generation still running for an earlier state that the user
 *            typed along is answered from, not restarted (generatorReuse.ts);
 *            an inference server's stream runs under the same filters; the
 *            prompt is FIM or prefix within the token budget, token-healed
 *            (promptStage.ts)
 *   post     post-processing filters (postFilters.ts)
 *   more     on an explicit request, sampled alternatives (alternatives.ts)
 *   item     the answers' text and range (items.ts)
 * After a suggestion is shown, the state after accepting it is computed in
 * the background (the prefetch), for the request that follows Tab.
 */
import * as path from 'path';
import {
	type CancellationToken,
	type InlineCompletionList,
	type InlineCompletionParams,
	InlineCompletionTriggerKind,
	type NotebookDocuments,
	ResponseError,
	type TextDocuments,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { GenerationKind } from '../../../protocol/generation';
import { ErrorCodes } from '../../../protocol/lsp';
import { isLanguageEnabled, type CompletionSettings } from '../../../protocol/settings';
import { charsForTokens, cursorWindow, looksBinary, typedWindow, type CursorWindow } from '../documentGuard';
import type { ModelHost } from '../modelHost';
import type { LoadedModel } from '../modelLoader';
import type { ServerSettings } from '../settings';
import { alternativeSampling, sampleAlternatives } from './alternatives';
import { AnswerCache, type AnswerKind } from './cache';
import { readContext, type CompletionContext } from './context';
import { SharedGeneration, type Situation } from './generatorReuse';
import { NO_ITEMS, toItems, type Anchor } from './items';
import { postProcess } from './postFilters';
import { completionPrompt } from './promptStage';
import { skipReason } from './skipRules';
import { readSource } from './source';
import { checkStop } from './streamFilters';

/** One request's state, as the stages after the source read it. */
interface Request {
	situation: Situation;
	window: CursorWindow;
	/** Characters the window may hold before the cursor (cursorWindow's `before`). */
	beforeChars: number;
	anchor: Anchor;
	version: number;
	loaded: LoadedModel;
	settings: CompletionSettings;
	/** Tokens the prompt may hold. */
	budget: number;
	/** For the debug log: file:line:column. */
	where: string;
}

/** A suggestion and the generation it came from. */
interface Answer {
	text: string;
	recordId: string | null;
}

export class InlineCompletionService {
	private readonly cache = new AnswerCache();
	/** The generation in flight for some state (a request's, or the prefetch), while it runs. */
	private running: SharedGeneration | undefined;
	/** A prefetch about to start (it starts once the answer is on its way). */
	private prefetchQueued: Promise<void> | undefined;
	/** Counts clear() calls: a prefetch queued before one does not start after it. */
	private epoch = 0;

	constructor(
		private readonly host: ModelHost,
		private readonly documents: TextDocuments<TextDocument>,
		private readonly notebooks: NotebookDocuments<TextDocument> | undefined,
		private readonly settings: ServerSettings,
		private readonly log: (message: string) => void,
		/** One line per request, for "Developer: Set Log Level… → Debug". */
		private readonly debug: (message: string) => void = () => undefined,
	) {
		// An edit that goes another way than the running generation ends it at once, before the next request.
		documents.onDidChangeContent(({ document }) => this.running?.documentChanged(document.uri, document.getText()));
	}

	async provide(params: InlineCompletionParams, token: CancellationToken): Promise<InlineCompletionList> {
		const request = await this.read(params, token);
		if (request === undefined) {
			return NO_ITEMS;
		}
		const { situation: s, where } = request;
		// A generation for another state is stale now (the newest request wins).
		const running = this.live();
		if (running && running.typedFor(s) === undefined) {
			running.cancel();
		}
		const skip = skipReason(s.ctx);
		if (skip !== undefined) {
			this.debug(`Completion at ${where}: none, ${skip}.`);
			return NO_ITEMS;
		}

		const explicit = s.ctx.trigger === 'invoke';
		const listed = explicit ? this.cache.get(this.key('alternatives', s)) : undefined;
		if (listed) {
			this.debug(`Completion at ${where}: ${listed.texts.length} suggestions from the cache.`);
			return this.show(request, { text: listed.texts[0], recordId: listed.recordId }, listed.texts);
		}
		const cached = this.cache.get(this.key('greedy', s));
		let greedy: Answer | undefined = cached && { text: cached.texts[0], recordId: cached.recordId };
		if (greedy) {
			this.debug(`Completion at ${where}: from the cache, ${JSON.stringify(greedy.text)}.`);
		} else {
			greedy = await this.generate(request, token);
			if (!greedy) {
				return NO_ITEMS;
			}
		}
		let texts = [greedy.text];
		if (explicit) {
			texts = [greedy.text, ...(await this.alternatives(request, greedy.text, token))];
			if (!token.isCancellationRequested) {
				this.cache.set(this.key('alternatives', s), { texts, recordId: greedy.recordId });
			}
		}
		if (this.documents.get(s.uri)?.version !== request.version) {
			this.debug(`Completion at ${where}: dropped, the document changed while the model ran.`);
			return NO_ITEMS;
		}
		return this.show(request, greedy, texts);
	}

	/** Drop every answer and stop the generation in flight (the settings changed). */
	clear(): void {
		this.epoch++;
		this.running?.cancel();
		this.cache.clear();
	}

	/** Resolves once no generation runs or is about to start for completions (a test hook). */
	async idle(): Promise<void> {
		for (;;) {
			const waiting = this.prefetchQueued ?? this.running?.done;
			if (!waiting) {
				return;
			}
			await waiting;
		}
	}

	/** Source and context: the request's state, or undefined when it gets no suggestion. */
	private async read(params: InlineCompletionParams, token: CancellationToken): Promise<Request | undefined> {
		const doc = this.documents.get(params.textDocument.uri);
		if (!doc) {
			throw new ResponseError(
				ErrorCodes.UnknownDocument,
				`${params.textDocument.uri} is not open on the server; send textDocument/didOpen first.`,
			);
		}
		const { line, character } = params.position;
		if (!Number.isInteger(line) || !Number.isInteger(character) || line < 0 || character < 0 || line >= doc.lineCount) {
			throw new ResponseError(
				ErrorCodes.BadPosition,
				`Position ${line}:${character} is outside ${path.basename(doc.uri)} (${doc.lineCount} lines).`,
			);
		}
		const settings = await this.settings.get();
		const loaded = this.host.ready;
		const where = `${path.basename(doc.uri)}:${line + 1}:${character + 1}`;
		// The per-language switch holds for every client, not only VS Code's.
		if (!settings.completion.enabled || !isLanguageEnabled(settings.completion.languages, doc.languageId)) {
			this.debug(`Completion at ${where}: none, completions are off${settings.completion.enabled ? ` for ${doc.languageId}` : ''}.`);
			return undefined;
		}
		if (!loaded || token.isCancellationRequested) {
			this.debug(`Completion at ${where}: none, ${loaded ? 'cancelled before it started' : 'no model is ready'}.`);
			return undefined;
		}

		const completion = settings.completion;
		const maxNew = completion.maxNewTokens;
		const budget = Math.max(16, Math.min(completion.contextTokens, loaded.contextLength - maxNew - 4));
		const beforeChars = charsForTokens(budget);
		const source = readSource(doc, params.position, params.context.selectedCompletionInfo, this.notebooks, this.documents);
		const text = source.before + source.after;
		const window = cursorWindow(text, source.before.length, beforeChars, beforeChars / 2);
		if (looksBinary(window.prefix.slice(-4000) + window.suffix.slice(0, 1000))) {
			this.log(`No completion for ${path.basename(doc.uri)}: the content near the cursor is not text.`);
			return undefined;
		}
		const ctx = readContext({
			languageId: doc.languageId,
			trigger: params.context.triggerKind === InlineCompletionTriggerKind.Invoked ? 'invoke' : 'automatic',
			prefix: window.prefix,
			suffix: window.suffix,
			multiline: completion.multiline,
		});
		// Everything besides the window that decides the answer (the line mode follows from the window and `multiline`).
		const parts = AnswerCache.parts([loaded.request, doc.languageId, maxNew, budget, completion.multiline, source.anchor.lead]);
		// The window is a piece of the document itself unless cells or a suggest item were joined in.
		const plain = text.length === doc.getText().length && source.anchor.lead === '';
		return {
			situation: { uri: doc.uri, parts, ctx, inDocument: plain ? { offset: source.before.length, length: text.length } : undefined },
			window,
			beforeChars,
			anchor: source.anchor,
			version: doc.version,
			loaded,
			settings: completion,
			budget,
			where,
		};
	}

	private key(kind: AnswerKind, s: Situation): string {
		return AnswerCache.key(kind, s.parts, s.ctx.prefix, s.ctx.suffix);
	}

	/** The generation in flight, unless it has ended. */
	private live(): SharedGeneration | undefined {
		return this.running && !this.running.finished ? this.running : undefined;
	}

	/**
	 * The greedy suggestion from the model: from the generation in flight when
	 * the request agrees with it, else from one of its own; undefined when it
	 * was cancelled or lost its turn.
	 */
	private async generate(request: Request, token: CancellationToken): Promise<Answer | undefined> {
		const s = request.situation;
		// Twice at most: a generation the request attached to may go another way than it typed.
		for (let attempt = 0; attempt < 2; attempt++) {
			let generation = this.live();
			let typed = generation?.typedFor(s);
			if (!generation || typed === undefined) {
				generation?.cancel();
				generation = this.start(s, request, 'completion');
				typed = '';
			} else {
				this.debug(`Completion at ${request.where}: joins the generation running for ${JSON.stringify(typed)} less.`);
			}
			const result = await generation.attach(s.ctx, typed, token);
			if (result.kind === 'lost') {
				this.debug(`Completion at ${request.where}: cancelled, superseded, or refused while another generation ran.`);
				return undefined;
			}
			if (result.kind === 'answer') {
				const { record, stats } = result.outcome;
				const text = postProcess(result.raw, { ctx: s.ctx, stopReason: record.stopReason });
				this.debug(
					`Completion at ${request.where}: ${stats.generatedTokens} tokens in ${Math.round(stats.elapsedMs)} ms (${stats.stopReason}), ` +
						`model wrote ${JSON.stringify(record.text)}${typed ? ` of which ${JSON.stringify(typed)} was typed` : ''}, suggesting ${JSON.stringify(text)}.`,
				);
				this.cache.set(this.key('greedy', s), { texts: [text], recordId: record.id });
				return { text, recordId: record.id };
			}
		}
		return undefined;
	}

	/** Start a greedy generation for `s` (with `request`'s model and settings); it becomes the one in flight. */
	private start(s: Situation, request: Request, kind: Extract<GenerationKind, 'completion' | 'prefetch'>): SharedGeneration {
		const { loaded, settings } = request;
		const priority = kind === 'prefetch' ? 'background' : 'auto';
		const generation = new SharedGeneration(
			s,
			async (token, stopRule) => {
				const ids = await this.promptIds(s.ctx, request, token);
				if (!ids) {
					return undefined;
				}
				return this.host.run(loaded, priority, token, {
					kind,
					title: request.where.replace(/:\d+$/, ''),
					...ids,
					sampling: { maxNewTokens: settings.maxNewTokens, greedy: true, temperature: 0, topK: 0, topP: 1, seed: 0 },
					// Code repeats itself legitimately; no penalty for completions.
					repetitionPenalty: 1,
					stopStrings: [],
					stopRule,
					// Inspect Last Suggestion shows what the suggested tokens attended to, computed when asked.
					attention: 'later',
				});
			},
			(e) => this.log(`Completion failed: ${e instanceof Error ? e.message : String(e)}`),
		);
		this.running = generation;
		this.debug(`Completion at ${request.where}: the model starts${kind === 'prefetch' ? ', computing ahead for the suggestion accepted' : ''}.`);
		void generation.done.then((outcome) => {
			if (this.running === generation) {
				this.running = undefined;
			}
			// Its own state's answer, whether or not a request still waits for it (the requests it answered come first).
			if (outcome && outcome.record.stopReason !== 'cancelled') {
				const text = postProcess(outcome.record.text, { ctx: s.ctx, stopReason: outcome.record.stopReason });
				outcome.record.text = text; // what Inspect Last Suggestion shows
				this.cache.set(this.key('greedy', s), { texts: [text], recordId: outcome.record.id });
			}
		});
		return generation;
	}

	/**
	 * The prompt's ids for `ctx`, token-healed where the cursor may cut a token
	 * (promptStage.ts); undefined when an inference server that tokenizes it
	 * failed or the request was cancelled meanwhile (the host reports the failure).
	 */
	private async promptIds(ctx: CompletionContext, request: Request, token: CancellationToken): Promise<{ promptIds: number[]; healed: string } | undefined> {
		const { loaded, budget } = request;
		const prompt = await this.host.tokenized(loaded, () => completionPrompt(loaded, ctx.prefix, ctx.suffix, budget), 'auto', token);
		if (!prompt) {
			this.debug(`Completion at ${request.where}: none, the inference server did not tokenize the prompt.`);
			return undefined;
		}
		return { promptIds: prompt.ids, healed: prompt.healed };
	}

	/** Sampled alternatives to `greedy` for an explicit request (alternatives.ts). */
	private alternatives(request: Request, greedy: string, token: CancellationToken): Promise<string[]> {
		const { situation: s, loaded, settings } = request;
		const prompt = this.promptIds(s.ctx, request, token);
		return sampleAlternatives(greedy, async (seed) => {
			const ids = await prompt;
			if (!ids) {
				return undefined;
			}
			const outcome = await this.host.run(loaded, 'auto', token, {
				kind: 'completion',
				title: `${request.where.replace(/:\d+$/, '')} (alternative ${seed})`,
				...ids,
				sampling: alternativeSampling(settings.maxNewTokens, seed),
				repetitionPenalty: 1,
				stopStrings: [],
				stopRule: (t) => checkStop(t, s.ctx),
				attention: 'later',
			});
			if (!outcome || outcome.record.stopReason === 'cancelled') {
				return undefined;
			}
			const text = postProcess(outcome.record.text, { ctx: s.ctx, stopReason: outcome.record.stopReason });
			outcome.record.text = text;
			return text;
		});
	}

	/**
	 * Answer with `texts` (the greedy suggestion first): the generation behind
	 * it is the one to inspect, typing it ahead is answered from the cache, and
	 * the state after accepting it is computed in the background.
	 */
	private show(request: Request, greedy: Answer, texts: readonly string[]): InlineCompletionList {
		if (greedy.recordId) {
			this.host.store.showCompletion(greedy.recordId);
		}
		if (greedy.text !== '') {
			const { situation: s } = request;
			this.cache.forward(s.parts, request.window, request.beforeChars, greedy.text, greedy.recordId);
			this.queuePrefetch(request, greedy.text);
		}
		return toItems(texts, request.anchor);
	}

	/** Start the prefetch for the state after `text` is accepted, once the answer is on its way. */
	private queuePrefetch(request: Request, text: string): void {
		const s = request.situation;
		if (!s.inDocument) {
			return; // the generation could not follow the document's edits
		}
		const epoch = this.epoch;
		const queued = new Promise<void>((resolve) =>
			setImmediate(() => {
				try {
					if (epoch === this.epoch) {
						this.prefetch(request, text);
					}
				} finally {
					resolve();
				}
			}),
		);
		this.prefetchQueued = queued;
		void queued.then(() => {
			if (this.prefetchQueued === queued) {
				this.prefetchQueued = undefined;
			}
		});
	}

	/**
	 * The post-accept prefetch (llama.vscode's): the greedy suggestion for the
	 * state after `text` is accepted, at the lowest priority (the scheduler
	 * refuses it while anything runs, and anything cancels it), unless that
	 * state is answered already.
	 */
	private prefetch(request: Request, text: string): void {
		const { situation: s, loaded } = request;
		if (this.live() || this.host.ready !== loaded || this.documents.get(s.uri)?.version !== request.version || !s.inDocument) {
			return;
		}
		const window = typedWindow(request.window, text, request.beforeChars);
		const ctx = readContext({ languageId: s.ctx.language.id, trigger: 'automatic', prefix: window.prefix, suffix: window.suffix, multiline: request.settings.multiline });
		const accepted: Situation = {
			uri: s.uri,
			parts: s.parts,
			ctx,
			inDocument: { offset: s.inDocument.offset + text.length, length: s.inDocument.length + text.length },
		};
		if (skipReason(ctx) !== undefined || this.cache.get(this.key('greedy', accepted))) {
			return;
		}
		this.start(accepted, request, 'prefetch');
	}
}
