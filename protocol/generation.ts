/**
 * Plain data that describes one generation: shared by the server (which
 * produces it), the extension host (which forwards it) and the webview (which
 * draws it). No imports, so the browser bundle can use it too.
 */

/** One candidate for a decoding step. */
export interface TokenAlternative {
	id: number;
	text: string;
	/** Probability under the model's distribution (temperature 1). */
	prob: number;
}

/** One decoding step: the chosen token and what the model weighed against it. */
export interface TokenStep {
	/** Token id; -1 when the server did not report ids (idUnknown), also in `top`. */
	id: number;
	/** Text this token adds to the output (may be '' when it completes a multi-byte character later). */
	text: string;
	prob: number;
	/** Natural-log probability of the chosen token. */
	logprob: number;
	/** Entropy of the step's distribution, in nats. */
	entropy: number;
	/** Most likely tokens at this step, best first (the chosen one may or may not be among them). */
	top: TokenAlternative[];
	/**
	 * The entropy is estimated from the top alternatives an inference server reported (the rest
	 * of the distribution counted as one outcome: a lower bound), not computed over the vocabulary.
	 */
	entropyEstimated?: true;
	/** The server reported no token ids: `id` and the alternatives' ids are -1; compare texts. */
	idUnknown?: true;
	/** The server reported no probabilities (Ollama before 0.12.11): prob, logprob and entropy are 0, top is empty. */
	unscored?: true;
}

/** The text tasks: templates per task in models/registry.json, one request for all three (TextTaskRequest in protocol/lsp.ts). */
export type TextTaskName = 'summarize' | 'explain' | 'docComment';
/** completion: an inline suggestion asked for; prefetch: one computed ahead for the state after a suggestion is accepted. */
export type GenerationKind = 'completion' | 'prefetch' | 'prompt' | TextTaskName;

export type StopReason =
	| 'eos' // the model emitted an end / stop token
	| 'maxTokens' // the token budget ran out
	| 'stopRule' // a completion rule ended the output (newline, end of scope, suffix repeat)
	| 'cancelled'; // the request was cancelled or superseded

export interface SamplingOptions {
	maxNewTokens: number;
	/** true: always take the most likely token; the other fields are ignored. */
	greedy: boolean;
	temperature: number;
	/** 0 means no top-k cut. */
	topK: number;
	/** 1 means no nucleus cut. */
	topP: number;
	/** Seed for the sampler's random numbers, so a run can be repeated. */
	seed: number;
}

/**
 * Bounds of each sampling field, for every place that takes sampling options
 * from outside: the Inspector's form shows them, its host and the server clamp
 * what arrives to them. `step` is the form's increment.
 */
export const SAMPLING_LIMITS = {
	maxNewTokens: { min: 1, max: 512, step: 1 },
	temperature: { min: 0.05, max: 2, step: 0.05 },
	topK: { min: 0, max: 200, step: 1 },
	topP: { min: 0.05, max: 1, step: 0.01 },
	seed: { min: 0, max: 2_147_483_647, step: 1 },
} as const;

function clampField(value: unknown, limits: { min: number; max: number }, fallback: number): number {
	return typeof value === 'number' && Number.isFinite(value) ? Math.min(limits.max, Math.max(limits.min, value)) : fallback;
}

/**
 * Sampling options clamped into SAMPLING_LIMITS (integer fields rounded); a
 * field that is missing, of the wrong type or not finite takes `fallback`'s.
 */
export function clampSampling(s: Partial<SamplingOptions> | undefined, fallback: SamplingOptions): SamplingOptions {
	const L = SAMPLING_LIMITS;
	return {
		maxNewTokens: Math.round(clampField(s?.maxNewTokens, L.maxNewTokens, fallback.maxNewTokens)),
		greedy: typeof s?.greedy === 'boolean' ? s.greedy : fallback.greedy,
		temperature: clampField(s?.temperature, L.temperature, fallback.temperature),
		topK: Math.round(clampField(s?.topK, L.topK, fallback.topK)),
		topP: clampField(s?.topP, L.topP, fallback.topP),
		seed: Math.round(clampField(s?.seed, L.seed, fallback.seed)),
	};
}

/**
 * Where the attention for a generation is available (fetched one layer at a time).
 *
 * Positions count the prompt tokens first, then the generated ones: position p
 * is promptTokens[p] for p < promptTokens.length, else steps[p - promptTokens.length].
 * Row p holds the weights the model used when it read the token at position p,
 * over columns 0..p; that row is what produced the token at position p + 1. So
 * the generated token steps[k] came from row promptTokens.length - 1 + k. The
 * last generated token has a row only when the model went on to produce an
 * end token (stopReason 'eos'); otherwise it was never read back.
 */
export interface AttentionShape {
	layers: number;
	heads: number;
	/** Positions that have a row (prompt plus generated tokens read back); columns 0..totalTokens-1. */
	totalTokens: number;
	/** First position whose attention row is kept (earlier prompt rows are dropped for long prompts). */
	rowStart: number;
}

export interface GenerationRecord {
	id: string;
	kind: GenerationKind;
	/** Model id as the user configured it ('embedded' for the shipped model). */
	model: string;
	/** Short title for history lists: the task and file, or the first words of the prompt. */
	title: string;
	/** Text of each prompt token, for attention labels (special tokens included). */
	promptTokens: string[];
	/** Ids of the prompt tokens (what the model read). */
	promptIds: number[];
	steps: TokenStep[];
	/** The text the user gets (after completion rules trimmed it). */
	text: string;
	stopReason: StopReason;
	elapsedMs: number;
	/** null when the model has no attention outputs (and for every inference server). */
	attention: AttentionShape | null;
	createdAt: number;
	/**
	 * Set when an inference server generated it: its kind, model and origin, e.g.
	 * "glassbox-mini on the llama.cpp server at http://127.0.0.1:8080". Servers return no attention.
	 */
	server?: string;
}

/** One layer of attention, quantised and packed (AttentionCapture.add and .layer in server/src/attention.ts). */
export interface AttentionLayerData {
	generationId: string;
	layer: number;
	heads: number;
	totalTokens: number;
	rowStart: number;
	/**
	 * base64 of a Uint8Array: for each head, rows rowStart..totalTokens-1, row r holding
	 * r+1 values (causal: columns 0..r), each round(weight * 255).
	 */
	data: string;
}

/** Number of packed values for one head. */
export function packedHeadSize(totalTokens: number, rowStart: number): number {
	// Sum over r in [rowStart, totalTokens) of (r + 1).
	const rows = totalTokens - rowStart;
	return rows <= 0 ? 0 : (rows * (rowStart + 1 + totalTokens)) / 2;
}

/** Offset of row `r` (absolute position) inside one head's packed block. */
export function packedRowOffset(r: number, rowStart: number): number {
	const k = r - rowStart;
	return k * (rowStart + 1) + (k * (k - 1)) / 2;
}
