/**
 * glassbox/textTask (summarize, explain, documentation comment): validate the
 * input, bound it by tokens (with a note when it was cut), stream each step
 * to the client as a partial result, and answer repeated requests for the
 * same text, model and settings from a cache.
 */
import { createHash } from 'crypto';
import {
	type CancellationToken,
	type Connection,
	ErrorCodes as RpcErrorCodes,
	LSPErrorCodes,
	type ProgressToken,
	ResponseError,
} from 'vscode-languageserver';
import { docCommentStyle, unsupportedDocCommentMessage } from '../../protocol/languages';
import { ErrorCodes, GenerationProgress, type TextTaskInput, type TextTaskResult, type TruncationNote } from '../../protocol/lsp';
import { looksBinary } from './documentGuard';
import type { ModelHost } from './modelHost';
import type { TaskName } from './modelRegistry';
import type { ServerSettings } from './settings';
import { buildTaskPrompt } from './taskPrompts';

const CACHE_SIZE = 50;
/** Tokens left for the template around the input. */
const TEMPLATE_ROOM = 64;

const NOUN: Record<TaskName, string> = {
	summarize: 'summarize',
	explain: 'explain',
	docComment: 'document',
};

/** The input with its shape checked: any LSP client may send this request. */
function checkedInput(raw: TextTaskInput): TextTaskInput {
	if (!Object.prototype.hasOwnProperty.call(NOUN, raw.task)) {
		throw new ResponseError(RpcErrorCodes.InvalidParams, `Unknown text task ${JSON.stringify(raw.task)}: expected one of ${Object.keys(NOUN).join(', ')}.`);
	}
	if (typeof raw.text !== 'string' || typeof raw.languageId !== 'string') {
		throw new ResponseError(RpcErrorCodes.InvalidParams, 'A text task needs its text and languageId as strings.');
	}
	const text = (value: unknown): string => (typeof value === 'string' ? value : '');
	return { task: raw.task, text: raw.text, languageId: raw.languageId, fileName: text(raw.fileName), symbolName: text(raw.symbolName) };
}

export class TextTaskService {
	private readonly cache = new Map<string, TextTaskResult>();

	constructor(
		private readonly host: ModelHost,
		private readonly settings: ServerSettings,
		private readonly connection: Connection,
	) {}

	/**
	 * Runs one task to its end. Throws a ResponseError: InvalidParams for an
	 * unknown task or empty text, NotText for binary content,
	 * UnsupportedLanguage for a documentation comment in a language without a
	 * comment style, RequestCancelled when cancelled; and whatever loading the
	 * model threw.
	 */
	async run(raw: TextTaskInput, partialResultToken: ProgressToken | undefined, token: CancellationToken): Promise<TextTaskResult> {
		const input = checkedInput(raw);
		if (input.text.trim() === '') {
			throw new ResponseError(RpcErrorCodes.InvalidParams, `Nothing to ${NOUN[input.task]}: the text is empty.`);
		}
		if (looksBinary(input.text.slice(0, 100_000))) {
			throw new ResponseError(ErrorCodes.NotText, `Nothing to ${NOUN[input.task]}: the content is not text.`);
		}
		if (input.task === 'docComment' && docCommentStyle(input.languageId) === undefined) {
			throw new ResponseError(ErrorCodes.UnsupportedLanguage, unsupportedDocCommentMessage(input.languageId));
		}
		const loaded = await this.host.whenReady();
		const settings = await this.settings.get();
		const maxNew = Math.min(settings.commands.maxNewTokens, Math.floor(loaded.contextLength / 2));
		const budget = Math.max(32, Math.min(settings.commands.maxInputTokens, loaded.contextLength - maxNew - TEMPLATE_ROOM));
		// Very long input would cost a long tokenizer pass for text the model never reads.
		const text = input.text.length > budget * 16 ? input.text.slice(0, budget * 16) : input.text;
		const prompt = await this.host.tokenized(loaded, () => buildTaskPrompt(loaded, { ...input, text }, budget), 'user', token);
		const clipped = text.length < input.text.length;
		// When the text was clipped before tokenizing, extrapolate its size from what was counted.
		const inputTokens = clipped ? Math.round(prompt.inputTokens * (input.text.length / text.length)) : prompt.inputTokens;
		const truncated: TruncationNote | null =
			prompt.keptTokens < inputTokens
				? {
						inputTokens,
						keptTokens: prompt.keptTokens,
						message: `The input is longer than the model reads at once: only its first ${prompt.keptTokens} of ${clipped ? 'about ' : ''}${inputTokens} tokens were used.`,
					}
				: null;

		const key = createHash('sha1')
			.update(JSON.stringify([input.task, loaded.request, input.languageId, input.symbolName, maxNew, budget, prompt.messages ?? prompt.ids]))
			.digest('hex');
		const cached = this.cache.get(key);
		if (cached) {
			this.sendSteps(partialResultToken, cached.record.steps);
			return { ...cached, fromCache: true };
		}

		const outcome = await this.host.run(loaded, 'user', token, {
			kind: input.task,
			title: this.title(input),
			promptIds: prompt.ids,
			messages: prompt.messages,
			healed: prompt.healed,
			sampling: { maxNewTokens: maxNew, greedy: true, temperature: 0, topK: 0, topP: 1, seed: 0 },
			repetitionPenalty: loaded.family.repetitionPenalty,
			stopStrings: prompt.stopStrings,
			onSteps: (steps) => this.sendSteps(partialResultToken, steps),
			attention: { promptRows: 512 },
		});
		if (!outcome || outcome.record.stopReason === 'cancelled') {
			throw new ResponseError(LSPErrorCodes.RequestCancelled, 'The request was cancelled.');
		}
		const result: TextTaskResult = { text: outcome.record.text.trim(), record: outcome.record, truncated, fromCache: false };
		this.cache.set(key, result);
		if (this.cache.size > CACHE_SIZE) {
			this.cache.delete(this.cache.keys().next().value as string);
		}
		return result;
	}

	private sendSteps(token: ProgressToken | undefined, steps: TextTaskResult['record']['steps']): void {
		if (token !== undefined && steps.length > 0) {
			void this.connection.sendProgress(GenerationProgress, token, { steps });
		}
	}

	private title(input: TextTaskInput): string {
		switch (input.task) {
			case 'summarize':
				return `Summary of ${input.fileName}`;
			case 'explain':
				return `Explanation (${input.fileName})`;
			case 'docComment':
				return `Doc comment for ${input.symbolName}`;
		}
	}

	clear(): void {
		this.cache.clear();
	}
}
