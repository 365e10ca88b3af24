/**
 * Pure data transforms behind the inspector: probability buckets, entropy,
 * per-generation summaries, and the packed attention layout (decode, slice a
 * head, average heads, take one query row, downsample for drawing).
 *
 * No DOM and no VS Code API, so the unit tests run these in Node.
 */
import { packedHeadSize, packedRowOffset, type AttentionLayerData, type TokenStep } from '../../protocol/generation';

// ---------------------------------------------------------------------------
// Token probabilities

export interface ProbabilityBucket {
	/** Lower bound, inclusive. */
	min: number;
	label: string;
	meaning: string;
}

/** Legend and classifier share this list, so they cannot disagree. Index = bucket number. */
export const PROBABILITY_BUCKETS: readonly ProbabilityBucket[] = [
	{ min: 0, label: '< 10%', meaning: 'very unsure' },
	{ min: 0.1, label: '10–30%', meaning: 'unsure' },
	{ min: 0.3, label: '30–60%', meaning: 'leaning' },
	{ min: 0.6, label: '60–90%', meaning: 'confident' },
	{ min: 0.9, label: '≥ 90%', meaning: 'very confident' },
];

/** Bucket number (0 = least likely) for a probability; NaN counts as least likely. */
export function probabilityBucket(prob: number): number {
	for (let i = PROBABILITY_BUCKETS.length - 1; i > 0; i--) {
		if (prob >= PROBABILITY_BUCKETS[i].min) {
			return i;
		}
	}
	return 0;
}

/**
 * Shannon entropy in nats of a list of non-negative weights. The weights are
 * normalised first, so a quantised attention row (which sums to about 1) or a
 * truncated top-k list gives the entropy of the distribution they describe.
 */
export function entropy(weights: ArrayLike<number>): number {
	let sum = 0;
	for (let i = 0; i < weights.length; i++) {
		if (weights[i] > 0) {
			sum += weights[i];
		}
	}
	if (!(sum > 0)) {
		return 0;
	}
	let h = 0;
	for (let i = 0; i < weights.length; i++) {
		const w = weights[i];
		if (w > 0) {
			const p = w / sum;
			h -= p * Math.log(p);
		}
	}
	return h;
}

/** The step's log-probability; recomputed from prob where JSON turned -Infinity into null. */
export function stepLogprob(step: TokenStep): number {
	return typeof step.logprob === 'number' && !Number.isNaN(step.logprob) ? step.logprob : Math.log(step.prob);
}

export interface LeastConfident {
	/** Index into the generation's steps. */
	index: number;
	text: string;
	prob: number;
}

export interface GenerationSummary {
	tokens: number;
	/** Mean natural-log probability of the chosen tokens; null without tokens. */
	meanLogprob: number | null;
	/** exp(-meanLogprob): the effective number of choices per token; Infinity if a token had probability 0. */
	perplexity: number | null;
	/** Lowest probability first; ties keep text order. */
	leastConfident: LeastConfident[];
}

export function summarizeSteps(steps: readonly TokenStep[], leastCount = 5): GenerationSummary {
	if (steps.length === 0) {
		return { tokens: 0, meanLogprob: null, perplexity: null, leastConfident: [] };
	}
	let total = 0;
	for (const step of steps) {
		total += stepLogprob(step);
	}
	const meanLogprob = total / steps.length;
	const leastConfident = steps
		.map((step, index) => ({ index, text: step.text, prob: step.prob }))
		.sort((a, b) => a.prob - b.prob || a.index - b.index)
		.slice(0, Math.max(0, leastCount));
	return { tokens: steps.length, meanLogprob, perplexity: Math.exp(-meanLogprob), leastConfident };
}

// ---------------------------------------------------------------------------
// Packed attention

/** Decodes standard base64 (no line breaks) into bytes. */
export function decodeBase64(b64: string): Uint8Array {
	const binary = atob(b64);
	const bytes = new Uint8Array(binary.length);
	for (let i = 0; i < binary.length; i++) {
		bytes[i] = binary.charCodeAt(i);
	}
	return bytes;
}

/** One layer, decoded but still packed: head h occupies bytes[h*headSize, (h+1)*headSize). */
export interface PackedLayer {
	generationId: string;
	layer: number;
	heads: number;
	totalTokens: number;
	rowStart: number;
	headSize: number;
	bytes: Uint8Array;
}

/** Decodes a layer from the server; throws if the data does not have the size its shape implies. */
export function unpackLayer(data: AttentionLayerData, bytes?: Uint8Array): PackedLayer {
	const decoded = bytes ?? decodeBase64(data.data);
	const headSize = packedHeadSize(data.totalTokens, data.rowStart);
	if (decoded.length !== headSize * data.heads) {
		throw new Error(
			`Attention layer ${data.layer} has ${decoded.length} values; ${data.heads} heads over ` +
				`${data.totalTokens} tokens need ${headSize * data.heads}.`,
		);
	}
	return {
		generationId: data.generationId,
		layer: data.layer,
		heads: data.heads,
		totalTokens: data.totalTokens,
		rowStart: data.rowStart,
		headSize,
		bytes: decoded,
	};
}

/**
 * Weights in the packed causal layout: rows rowStart..totalTokens-1, row r
 * holding columns 0..r. Values are in 0..1.
 */
export interface TriangularMatrix {
	totalTokens: number;
	rowStart: number;
	values: Float32Array;
}

/** Whether position `row` has a kept attention row. */
export function hasRow(m: { totalTokens: number; rowStart: number }, row: number): boolean {
	return Number.isInteger(row) && row >= m.rowStart && row < m.totalTokens;
}

/** Weight of query `row` on key `col`; 0 for masked (future) or missing cells. */
export function weightAt(m: TriangularMatrix, row: number, col: number): number {
	if (!hasRow(m, row) || col < 0 || col > row) {
		return 0;
	}
	return m.values[packedRowOffset(row, m.rowStart) + col];
}

/** One head as a matrix of weights (the stored byte / 255). */
export function sliceHead(layer: PackedLayer, head: number): TriangularMatrix {
	if (!Number.isInteger(head) || head < 0 || head >= layer.heads) {
		throw new RangeError(`Head ${head} is outside 0..${layer.heads - 1}.`);
	}
	const start = head * layer.headSize;
	const values = new Float32Array(layer.headSize);
	for (let i = 0; i < layer.headSize; i++) {
		values[i] = layer.bytes[start + i] / 255;
	}
	return { totalTokens: layer.totalTokens, rowStart: layer.rowStart, values };
}

/** The mean over all heads of the layer. */
export function averageHeads(layer: PackedLayer): TriangularMatrix {
	const sums = new Uint32Array(layer.headSize);
	for (let h = 0; h < layer.heads; h++) {
		const start = h * layer.headSize;
		for (let i = 0; i < layer.headSize; i++) {
			sums[i] += layer.bytes[start + i];
		}
	}
	const values = new Float32Array(layer.headSize);
	const scale = layer.heads > 0 ? 1 / (255 * layer.heads) : 0;
	for (let i = 0; i < layer.headSize; i++) {
		values[i] = sums[i] * scale;
	}
	return { totalTokens: layer.totalTokens, rowStart: layer.rowStart, values };
}

/**
 * "Attention from token `row`": its weight on every position 0..totalTokens-1
 * (zero after itself). null when the row was not kept.
 */
export function attentionFrom(m: TriangularMatrix, row: number): Float32Array | null {
	if (!hasRow(m, row)) {
		return null;
	}
	const out = new Float32Array(m.totalTokens);
	out.set(m.values.subarray(packedRowOffset(row, m.rowStart), packedRowOffset(row, m.rowStart) + row + 1));
	return out;
}

/** Tokens per display cell so that at most `maxCells` cells span the columns. */
export function blockSizeFor(totalTokens: number, maxCells: number): number {
	return Math.max(1, Math.ceil(totalTokens / Math.max(1, Math.floor(maxCells))));
}

/**
 * The matrix reduced to block × block cells, each holding the strongest weight
 * inside it (a mean would hide the sharp, single-token attention that is the
 * interesting part) and where that weight is, so a hover can name the exact
 * query and key. Rows cover rowStart..totalTokens-1, columns 0..totalTokens-1.
 */
export interface DownsampledMatrix {
	block: number;
	rowStart: number;
	totalTokens: number;
	rows: number;
	cols: number;
	/** rows × cols, row-major. */
	max: Float32Array;
	/** Absolute query / key position of each cell's maximum (-1 for a cell entirely in the future). */
	argRow: Int32Array;
	argCol: Int32Array;
}

export function downsampleMax(m: TriangularMatrix, block: number): DownsampledMatrix {
	const b = Math.max(1, Math.floor(block));
	const keptRows = Math.max(0, m.totalTokens - m.rowStart);
	const rows = Math.ceil(keptRows / b);
	const cols = Math.ceil(m.totalTokens / b);
	const max = new Float32Array(rows * cols);
	const argRow = new Int32Array(rows * cols).fill(-1);
	const argCol = new Int32Array(rows * cols).fill(-1);
	for (let r = m.rowStart; r < m.totalTokens; r++) {
		const rowCell = Math.floor((r - m.rowStart) / b) * cols;
		const offset = packedRowOffset(r, m.rowStart);
		for (let c = 0; c <= r; c++) {
			const cell = rowCell + Math.floor(c / b);
			const w = m.values[offset + c];
			if (argRow[cell] < 0 || w > max[cell]) {
				max[cell] = w;
				argRow[cell] = r;
				argCol[cell] = c;
			}
		}
	}
	return { block: b, rowStart: m.rowStart, totalTokens: m.totalTokens, rows, cols, max, argRow, argCol };
}

/**
 * Opacity for a weight in the heatmap and the text highlight. Square root, so
 * the many small weights stay visible next to a few large ones; anything
 * non-zero gets a faint floor so "a little" differs from "none".
 */
export function attentionAlpha(weight: number): number {
	if (!(weight > 0)) {
		return 0;
	}
	return Math.min(1, 0.06 + 0.94 * Math.sqrt(weight));
}
