/**
 * textDocument/inlineCompletion, as named stages:
 *   source   the text around the cursor: the document, or a notebook cell
 *            with the cells before and after it; the suggest widget's
 *            selected item applied (source.ts)
 *   context  the cursor's line, its neighbours, the language, one or
 *            several lines (context.ts), and where no suggestion belongs
 *            (skipRules.ts)
 *   cache    the same context again, or the shown suggestion typed ahead (cache.ts)
 *   prompt   FIM or prefix prompt within the token budget, token-healed (promptStage.ts)
 *   generate the engine's decoding loop, or an inference server's stream,
 *            with the stream filters inside it, so the model stops as soon
 *            as one fires (streamFilters.ts)
 *   post     post-processing filters (postFilters.ts)
 *   item     the answer's text and range (items.ts)
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
import { ErrorCodes } from '../../../protocol/lsp';
import { isLanguageEnabled } from '../../../protocol/settings';
import { charsForTokens, cursorWindow, looksBinary } from '../documentGuard';
import type { ModelHost } from '../modelHost';
import type { ServerSettings } from '../settings';
import { AnswerCache } from './cache';
import { readContext } from './context';
import { NO_ITEMS, toItems } from './items';
import { postProcess } from './postFilters';
import { completionPrompt } from './promptStage';
import { skipReason } from './skipRules';
import { readSource } from './source';
import { checkStop } from './streamFilters';

export class InlineCompletionService {
	private readonly cache = new AnswerCache();

	constructor(
		private readonly host: ModelHost,
		private readonly documents: TextDocuments<TextDocument>,
		private readonly notebooks: NotebookDocuments<TextDocument> | undefined,
		private readonly settings: ServerSettings,
		private readonly log: (message: string) => void,
		/** One line per request, for "Developer: Set Log Level… → Debug". */
		private readonly debug: (message: string) => void = () => undefined,
	) {}

	async provide(params: InlineCompletionParams, token: CancellationToken): Promise<InlineCompletionList> {
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
			return NO_ITEMS;
		}
		if (!loaded || token.isCancellationRequested) {
			this.debug(`Completion at ${where}: none, ${loaded ? 'cancelled before it started' : 'no model is ready'}.`);
			return NO_ITEMS;
		}

		const maxNew = settings.completion.maxNewTokens;
		const budget = Math.max(16, Math.min(settings.completion.contextTokens, loaded.contextLength - maxNew - 4));
		const source = readSource(doc, params.position, params.context.selectedCompletionInfo, this.notebooks, this.documents);
		const window = cursorWindow(source.before + source.after, source.before.length, charsForTokens(budget), charsForTokens(budget) / 2);
		if (looksBinary(window.prefix.slice(-4000) + window.suffix.slice(0, 1000))) {
			this.log(`No completion for ${path.basename(doc.uri)}: the content near the cursor is not text.`);
			return NO_ITEMS;
		}
		const ctx = readContext({
			languageId: doc.languageId,
			trigger: params.context.triggerKind === InlineCompletionTriggerKind.Invoked ? 'invoke' : 'automatic',
			prefix: window.prefix,
			suffix: window.suffix,
			multiline: settings.completion.multiline,
		});
		const skip = skipReason(ctx);
		if (skip !== undefined) {
			this.debug(`Completion at ${where}: none, ${skip}.`);
			return NO_ITEMS;
		}

		const typedAhead = this.cache.typedAhead(doc.uri, ctx.prefix, ctx.suffix);
		if (typedAhead !== undefined) {
			this.debug(`Completion at ${where}: the rest of the shown suggestion, ${JSON.stringify(typedAhead)}.`);
			return toItems(typedAhead, source.anchor);
		}
		const key = AnswerCache.key([loaded.request, doc.languageId, ctx.mode, ctx.trigger, maxNew, budget], ctx.prefix, ctx.suffix);
		const cached = this.cache.get(key);
		if (cached !== undefined) {
			this.cache.remember(doc.uri, ctx.prefix, ctx.suffix, cached);
			this.debug(`Completion at ${where}: from the cache, ${JSON.stringify(cached)}.`);
			return toItems(cached, source.anchor);
		}

		const prompt = await this.host.tokenized(loaded, () => completionPrompt(loaded, ctx.prefix, ctx.suffix, budget), 'auto', token);
		if (!prompt) {
			this.debug(`Completion at ${where}: none, the inference server did not tokenize the prompt.`);
			return NO_ITEMS;
		}
		const { ids, healed } = prompt;
		const version = doc.version;
		let outcome;
		try {
			outcome = await this.host.run(loaded, 'auto', token, {
				kind: 'completion',
				title: `${path.basename(doc.uri)}:${line + 1}`,
				promptIds: ids,
				healed,
				sampling: { maxNewTokens: maxNew, greedy: true, temperature: 0, topK: 0, topP: 1, seed: 0 },
				// Code repeats itself legitimately; no penalty for completions.
				repetitionPenalty: 1,
				stopStrings: [],
				stopRule: (t) => checkStop(t, ctx),
				// Inspect Last Suggestion shows what the suggested tokens attended to, computed when asked.
				attention: 'later',
			});
		} catch (e) {
			this.log(`Completion failed: ${e instanceof Error ? e.message : String(e)}`);
			return NO_ITEMS;
		}
		if (!outcome || outcome.record.stopReason === 'cancelled') {
			this.debug(`Completion at ${where}: ${outcome ? 'cancelled' : 'superseded or refused while another generation ran'}.`);
			return NO_ITEMS;
		}
		if (this.documents.get(doc.uri)?.version !== version) {
			this.debug(`Completion at ${where}: dropped, the document changed while the model ran.`);
			return NO_ITEMS;
		}
		const text = postProcess(outcome.record.text, { ctx, stopReason: outcome.record.stopReason });
		const { stats } = outcome;
		this.debug(
			`Completion at ${where}: ${stats.generatedTokens} tokens in ${Math.round(stats.elapsedMs)} ms (${stats.stopReason}), ` +
				`model wrote ${JSON.stringify(outcome.record.text)}, suggesting ${JSON.stringify(text)}.`,
		);
		outcome.record.text = text;
		this.cache.set(key, text);
		this.cache.remember(doc.uri, ctx.prefix, ctx.suffix, text);
		return toItems(text, source.anchor);
	}

	clear(): void {
		this.cache.clear();
	}
}
