/**
 * One forward pass at a time on the model's ONNX session, with the KV cache.
 * transformers.js loads the session (files, dtype, device, downloads); the
 * passes themselves go straight to onnxruntime, because the per-pass wrapping
 * in transformers.js' forward() costs a noticeable share of a small model's
 * step. Handles the input variants decoder exports use: position_ids,
 * num_logits_to_keep, use_cache_branch, past_key_values.* / present.*.
 */
import { Tensor, type InferenceSession } from 'onnxruntime-common';
import type { AttentionTensor } from './attention';

export interface PassResult {
	/** Logits of the last position, float32. */
	logits: Float32Array;
	/** decoder_attentions.{i} in layer order, when the export has them. */
	attention: AttentionTensor[] | null;
}

type Session = InferenceSession;

/** IEEE half → float, for models whose logits come back as float16. */
function halfToFloat(h: number): number {
	const s = h & 0x8000 ? -1 : 1;
	const e = (h >> 10) & 0x1f;
	const f = h & 0x03ff;
	if (e === 0) {
		return s * 2 ** -14 * (f / 1024);
	}
	if (e === 31) {
		return f ? NaN : s * Infinity;
	}
	return s * 2 ** (e - 15) * (1 + f / 1024);
}

function lastRow(logits: Tensor): Float32Array {
	const dims = logits.dims;
	const vocab = dims[dims.length - 1];
	const rows = logits.size / vocab;
	const start = (rows - 1) * vocab;
	const data = logits.data;
	if (data instanceof Float32Array) {
		return data.subarray(start, start + vocab);
	}
	const out = new Float32Array(vocab);
	const half = logits.type === 'float16';
	for (let i = 0; i < vocab; i++) {
		const v = Number(data[start + i]);
		out[i] = half ? halfToFloat(v) : v;
	}
	return out;
}

/** Shapes of the empty cache: batch 1, symbolic sequence dims 0, the rest as exported. */
function emptyCache(session: Session, cacheInputs: string[], heads: number): Record<string, Tensor> {
	const cache: Record<string, Tensor> = {};
	for (const name of cacheInputs) {
		const found = session.inputMetadata.find((m) => m.name === name);
		const meta = found?.isTensor ? found : undefined;
		const shape = (meta?.shape ?? []).map((d: number | string, i: number) => {
			if (typeof d === 'number') {
				return d;
			}
			// A symbolic head dimension is rare, but some exports name it.
			return i === 0 ? 1 : i === 1 && /head/i.test(d) ? heads : 0;
		});
		const type = meta?.type === 'float16' ? 'float16' : 'float32';
		const size = shape.reduce((a: number, b: number) => a * b, 1);
		cache[name] = new Tensor(type, type === 'float16' ? new Uint16Array(size) : new Float32Array(size), shape);
	}
	return cache;
}

export class ModelRunner {
	private readonly cacheInputs: string[];
	private readonly attentionOutputs: string[];
	/** Every output but the attentions: a pass that needs no attention skips copying them out. */
	private readonly plainOutputs: string[];
	private readonly takesPositions: boolean;
	private readonly takesLogitsToKeep: boolean;
	private readonly takesCacheBranch: boolean;

	constructor(
		private readonly session: Session,
		private readonly heads: number,
	) {
		this.cacheInputs = session.inputNames.filter((n) => n.startsWith('past_key_values.'));
		this.attentionOutputs = session.outputNames
			.filter((n) => n.startsWith('decoder_attentions.'))
			.sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
		this.plainOutputs = session.outputNames.filter((n) => !n.startsWith('decoder_attentions.'));
		this.takesPositions = session.inputNames.includes('position_ids');
		this.takesLogitsToKeep = session.inputNames.includes('num_logits_to_keep');
		this.takesCacheBranch = session.inputNames.includes('use_cache_branch');
	}

	get hasAttention(): boolean {
		return this.attentionOutputs.length > 0;
	}

	/** A new sequence: the cache starts empty at position 0. */
	start(): Sequence {
		return new Sequence(this, emptyCache(this.session, this.cacheInputs, this.heads));
	}

	/** @internal one pass for `Sequence` */
	async run(ids: readonly number[], position: number, past: Record<string, Tensor>, keepAttention: boolean): Promise<{ result: PassResult; present: Record<string, Tensor> }> {
		const total = position + ids.length;
		const feeds: Record<string, Tensor> = {
			...past,
			input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
			attention_mask: new Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
		};
		if (this.takesPositions) {
			const positions = new BigInt64Array(ids.length);
			for (let i = 0; i < ids.length; i++) {
				positions[i] = BigInt(position + i);
			}
			feeds.position_ids = new Tensor('int64', positions, [1, ids.length]);
		}
		if (this.takesLogitsToKeep) {
			// Only the last position's logits are used; a 150k vocabulary times 1,000 positions would be 600 MB.
			feeds.num_logits_to_keep = new Tensor('int64', BigInt64Array.of(1n), []);
		}
		if (this.takesCacheBranch) {
			feeds.use_cache_branch = new Tensor('bool', Uint8Array.of(position > 0 ? 1 : 0), [1]);
		}
		// A 1,000-token prompt's attentions are 16 floats per token pair per layer: 64 MB to allocate and fill.
		const out = keepAttention || !this.hasAttention ? await this.session.run(feeds) : await this.session.run(feeds, this.plainOutputs);
		const present: Record<string, Tensor> = {};
		for (const name of Object.keys(out)) {
			if (name.startsWith('present')) {
				present[name.replace('present', 'past_key_values')] = out[name];
			}
		}
		const attention = keepAttention && this.hasAttention ? this.attentionOutputs.map((n) => out[n] as unknown as AttentionTensor) : null;
		return { result: { logits: lastRow(out.logits), attention }, present };
	}
}

/** The cache and position of one generation. */
export class Sequence {
	private position = 0;

	constructor(
		private readonly runner: ModelRunner,
		private past: Record<string, Tensor>,
	) {}

	get length(): number {
		return this.position;
	}

	/** Feed `ids` (the prompt, then one token at a time). */
	async feed(ids: readonly number[], keepAttention: boolean): Promise<PassResult> {
		const { result, present } = await this.runner.run(ids, this.position, this.past, keepAttention);
		this.release();
		this.past = present;
		this.position += ids.length;
		return result;
	}

	/** CPU tensors are garbage collected; GPU buffers must be released by hand. */
	release(): void {
		for (const t of Object.values(this.past)) {
			if (t.location !== 'cpu' && t.location !== 'cpu-pinned') {
				t.dispose();
			}
		}
	}
}
