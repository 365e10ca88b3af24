/**
 * glassbox/generate: the inspector panel's free prompt. Sampling options come
 * from the user and are clamped to sane ranges; the whole attention is kept
 * because the panel is where it is looked at.
 */
import { type CancellationToken, type Connection, LSPErrorCodes, ResponseError } from 'vscode-languageserver';
import type { GenerationRecord, SamplingOptions } from '../../protocol/generation';
import { GenerationProgress, type GenerateParams } from '../../protocol/lsp';
import type { ModelHost } from './modelHost';
import { encodeTail } from './prompt';

function clamp(value: unknown, min: number, max: number, fallback: number): number {
	return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

export function sanitizeSampling(s: Partial<SamplingOptions> | undefined, contextLength: number): SamplingOptions {
	return {
		maxNewTokens: Math.round(clamp(s?.maxNewTokens, 1, Math.min(1024, Math.floor(contextLength / 2)), 64)),
		greedy: s?.greedy !== false,
		temperature: clamp(s?.temperature, 0, 5, 1),
		topK: Math.round(clamp(s?.topK, 0, 1000, 0)),
		topP: clamp(s?.topP, 0.01, 1, 1),
		seed: Math.round(clamp(s?.seed, 0, 2 ** 32 - 1, 0)),
	};
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
		let ids = [...loaded.startIds, ...encodeTail(prompt, room - loaded.startIds.length, (t) => loaded.codec.encode(t))];
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
