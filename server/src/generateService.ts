/**
 * glassbox/generate: the inspector panel's free prompt. Sampling options come
 * from the user and are clamped to sane ranges; the whole attention is kept
 * because the panel is where it is looked at.
 */
import { type CancellationToken, type Connection, LSPErrorCodes, ResponseError } from 'vscode-languageserver';
import { clampSampling, type GenerationRecord, type SamplingOptions } from '../../protocol/generation';
import { GenerationProgress, type GenerateParams } from '../../protocol/lsp';
import type { ModelHost } from './modelHost';
import { encodeTail } from './prompt';

/** What a client that sends no (or broken) sampling options gets: a short greedy run. */
const FALLBACK_SAMPLING: SamplingOptions = { maxNewTokens: 64, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 0 };

/** The request's sampling options within SAMPLING_LIMITS, and at most half the context generated. */
function sanitizeSampling(s: Partial<SamplingOptions> | undefined, contextLength: number): SamplingOptions {
	const sampling = clampSampling(s, FALLBACK_SAMPLING);
	return { ...sampling, maxNewTokens: Math.max(1, Math.min(sampling.maxNewTokens, Math.floor(contextLength / 2))) };
}

export class GenerateService {
	constructor(
		private readonly host: ModelHost,
		private readonly connection: Connection,
	) {}

	async generate(params: GenerateParams, token: CancellationToken): Promise<GenerationRecord> {
		const loaded = await this.host.whenReady();
		const sampling = sanitizeSampling(params.sampling, loaded.contextLength);
		const prompt = typeof params.prompt === 'string' ? params.prompt : '';
		const room = loaded.contextLength - sampling.maxNewTokens;
		const tail = () => encodeTail(prompt, room - loaded.startIds.length, (t) => loaded.codec.encode(t));
		let ids = [...loaded.startIds, ...(await this.host.tokenized(loaded, tail, 'user', token))];
		if (ids.length === 0) {
			// An empty prompt starts the model from a document boundary.
			const start = loaded.codec.eosTokenId ?? [...loaded.stopIds][0];
			ids = start === undefined ? [] : [start];
		}
		if (ids.length === 0) {
			throw new ResponseError(LSPErrorCodes.RequestFailed, 'Type a prompt first: this model has no start token.');
		}
		const words = prompt.trim().split(/\s+/).slice(0, 6).join(' ');
		const outcome = await this.host.run(loaded, 'user', token, {
			kind: 'prompt',
			title: words === '' ? '(empty prompt)' : words.length > 48 ? `${words.slice(0, 47)}…` : words,
			promptIds: ids,
			sampling,
			repetitionPenalty: 1,
			stopStrings: [],
			onSteps: (steps) => {
				if (params.partialResultToken !== undefined) {
					void this.connection.sendProgress(GenerationProgress, params.partialResultToken, { steps });
				}
			},
			attention: { promptRows: Number.POSITIVE_INFINITY },
		});
		if (!outcome) {
			throw new ResponseError(LSPErrorCodes.RequestCancelled, 'Superseded by a newer request.');
		}
		return outcome.record;
	}
}
