/**
 * textDocument/inlineCompletion: read a bounded window around the cursor,
 * build a FIM or prefix prompt, generate under the completion rules, and
 * answer with one item (or none). Recent answers are reused: the same context
 * comes from a small cache, and typing the first characters of the shown
 * suggestion returns the rest without running the model.
 */
import { createHash } from 'crypto';
import * as path from 'path';
import {
	type CancellationToken,
	type InlineCompletionList,
	type InlineCompletionParams,
	ResponseError,
	type TextDocuments,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { ErrorCodes } from '../../protocol/lsp';
import {
	checkStop,
	decideLineMode,
	finalizeCompletion,
	type CompletionContext,
} from './completionRules';
import { charsForTokens, cursorWindow, looksBinary } from './documentGuard';
import type { ModelHost } from './modelHost';
import { healLastToken } from './engine';
import { buildCompletionPrompt } from './prompt';
import type { ServerSettings } from './settings';

const EMPTY: InlineCompletionList = { items: [] };
const CACHE_SIZE = 64;
/** Characters of each side of the cursor that identify a completion context in the cache. */
const KEY_PREFIX_CHARS = 2000;
const KEY_SUFFIX_CHARS = 500;

interface LastAnswer {
	uri: string;
	prefix: string;
	suffixHead: string;
	text: string;
}

export class InlineCompletionService {
	private readonly cache = new Map<string, string>();
	private last: LastAnswer | undefined;

	constructor(
		private readonly host: ModelHost,
		private readonly documents: TextDocuments<TextDocument>,
		private readonly settings: ServerSettings,
		private readonly log: (message: string) => void,
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
		if (!settings.completion.enabled || !loaded || token.isCancellationRequested) {
			return EMPTY;
		}

		const version = doc.version;
		const text = doc.getText();
		const offset = doc.offsetAt(params.position);
		const maxNew = settings.completion.maxNewTokens;
		const budget = Math.max(16, Math.min(settings.completion.contextTokens, loaded.contextLength - maxNew - 4));
		const window = cursorWindow(text, offset, charsForTokens(budget), charsForTokens(budget) / 2);
		if (looksBinary(window.prefix.slice(-4000) + window.suffix.slice(0, 1000))) {
			this.log(`No completion for ${path.basename(doc.uri)}: the content near the cursor is not text.`);
			return EMPTY;
		}

		const lineStart = doc.offsetAt({ line, character: 0 });
		const linePrefix = text.slice(Math.max(lineStart, offset - 1000), offset);
		const newline = window.suffix.indexOf('\n');
		const lineSuffix = (newline < 0 ? window.suffix : window.suffix.slice(0, newline)).slice(0, 1000);
		const followingLines = newline < 0 ? [] : window.suffix.slice(newline + 1, newline + 4000).split('\n').slice(0, 6);
		const ctx: CompletionContext = {
			mode: decideLineMode(linePrefix, lineSuffix, settings.completion.multiline),
			linePrefix,
			lineSuffix,
			followingLines,
			maxLines: 16,
		};

		const suffixHead = window.suffix.slice(0, KEY_SUFFIX_CHARS);
		const typedAhead = this.typedAhead(doc.uri, window.prefix, suffixHead);
		if (typedAhead !== undefined) {
			return this.answer(typedAhead, params);
		}
		const key = createHash('sha1')
			.update(JSON.stringify([loaded.request, ctx.mode, maxNew, budget, window.prefix.slice(-KEY_PREFIX_CHARS), suffixHead]))
			.digest('hex');
		const cached = this.cache.get(key);
		if (cached !== undefined) {
			this.remember(doc.uri, window.prefix, suffixHead, cached);
			return this.answer(cached, params);
		}

		const useFim = loaded.family.fimCompletions === false ? null : loaded.fim;
		const prompt = buildCompletionPrompt(
			window.prefix,
			window.suffix,
			budget,
			useFim,
			(t) => loaded.codec.encode(t),
			loaded.family.fimSuffixTokens,
		);
		// Token healing when the prompt ends with the prefix: the cursor often ends inside a token
		// (after a space, mid-word), a split the model rarely saw; let it re-spell the last token.
		const full = prompt.fim ? prompt.ids : [...loaded.startIds, ...prompt.ids];
		const { ids, healed } = prompt.endsWithPrefix && prompt.prefixTokens > 1 ? healLastToken(loaded, full) : { ids: full, healed: '' };
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
			return EMPTY;
		}
		if (!outcome || outcome.record.stopReason === 'cancelled') {
			return EMPTY;
		}
		if (this.documents.get(doc.uri)?.version !== version) {
			return EMPTY; // the document changed while the model ran; the answer is stale
		}
		const completion = finalizeCompletion(outcome.record.text, ctx);
		outcome.record.text = completion;
		this.cache.set(key, completion);
		if (this.cache.size > CACHE_SIZE) {
			this.cache.delete(this.cache.keys().next().value as string);
		}
		this.remember(doc.uri, window.prefix, suffixHead, completion);
		return this.answer(completion, params);
	}

	/** The rest of the last suggestion when the user typed its beginning. */
	private typedAhead(uri: string, prefix: string, suffixHead: string): string | undefined {
		const last = this.last;
		if (!last || last.uri !== uri || prefix.length <= last.prefix.length || !prefix.startsWith(last.prefix)) {
			return undefined;
		}
		const typed = prefix.slice(last.prefix.length);
		if (!last.text.startsWith(typed) || typed.length >= last.text.length) {
			return undefined;
		}
		// Typing goes in before the cursor; the text after it must be unchanged.
		if (suffixHead !== last.suffixHead) {
			return undefined;
		}
		return last.text.slice(typed.length);
	}

	private remember(uri: string, prefix: string, suffixHead: string, text: string): void {
		this.last = text === '' ? undefined : { uri, prefix, suffixHead, text };
	}

	private answer(text: string, params: InlineCompletionParams): InlineCompletionList {
		if (text === '') {
			return EMPTY;
		}
		return {
			items: [{ insertText: text, range: { start: params.position, end: params.position } }],
		};
	}

	clear(): void {
		this.cache.clear();
		this.last = undefined;
	}
}
