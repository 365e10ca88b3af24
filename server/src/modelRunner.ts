/**
 * One forward pass at a time on the model's ONNX session, with the KV cache.
 * The passes go straight to onnxruntime, because the per-pass wrapping in
 * transformers.js' forward() costs a noticeable share of a small model's step.
 * Handles the input variants decoder exports use: position_ids,
 * num_logits_to_keep, use_cache_branch, past_key_values.* / present.*.
 *
 * `PassRunner` is what the engine sees. `ModelRunner` runs passes on the
 * calling thread (GPU sessions, which transformers.js sets up); on the CPU the
 * same class runs inside a worker thread (workerRunner.ts, passWorker.ts).
 */
import { Tensor, type InferenceSession } from 'onnxruntime-common';
import type { AttentionTensor } from './attention';
import { argmaxAllowed } from './sampling';

export interface PassResult {
	/** Logits of the last position, float32. */
	logits: Float32Array;
	/** decoder_attentions.{i} in layer order, rows from the feed's attentionFrom on; null when not asked for or not exported. */
	attention: FloatAttention[] | null;
	/** Leading ids of this feed whose keys and values came from a parked cache (only a sequence's first feed takes one). */
	reused: number;
	/** Ids of this feed the model computed: the feed's length less `reused`. */
	computed: number;
	/** Bytes of KV cache the runner keeps parked for later sequences, after this feed took its own (0: it parks none). */
	parkedBytes: number;
}

export interface FloatAttention extends AttentionTensor {
	data: Float32Array;
}

/** A model's forward passes, however they are run. */
export interface PassRunner {
	/** How many decoder_attentions.* outputs the export has (0: none). */
	readonly attentionLayers: number;
	/**
	 * A new sequence. Its cache starts empty at position 0, but a runner that parks
	 * the caches of released sequences (the pass worker) may start the first feed
	 * from one that holds the same leading ids (PassResult.reused says how many).
	 */
	start(): PassSequence;
	/** Forget every parked cache (the settings changed). Sequences in use keep theirs. */
	dropParked(): void;
	/** Frees the session (and its thread, if it has one), with every parked cache. */
	dispose(): Promise<void>;
}

/**
 * How the caller will most likely choose the next token from a pass's logits,
 * so a runner that can work ahead (the pass worker) runs that token's pass
 * while the caller is still busy with this one: the most likely token among
 * `allowed` (every token when absent) that is not `banned`, unless it is one
 * of `stops`. The caller still feeds its actual choice; a wrong guess costs
 * one pass of time, never a wrong result.
 */
export interface NextGuess {
	banned: readonly number[];
	allowed?: readonly number[];
	stops: readonly number[];
	/** attentionFrom of the pass that would follow. */
	attentionFrom: number | null;
}

/** The token `guess` describes, or undefined when it is a stop (nothing follows). Ties go to the lower id. */
export function guessNext(logits: Float32Array, guess: NextGuess): number | undefined {
	const best = argmaxAllowed(logits, guess.allowed, guess.banned);
	return best < 0 || guess.stops.includes(best) ? undefined : best;
}

/** The cache and position of one generation. */
export interface PassSequence {
	/** Tokens fed so far. */
	readonly length: number;
	/**
	 * Feed `ids` (the prompt, then one token at a time). `attentionFrom` asks for the attention
	 * rows of ids[attentionFrom..] (null: none, which spares copying them out); `next`, when given,
	 * says how the following token will likely be chosen.
	 */
	feed(ids: readonly number[], attentionFrom: number | null, next?: NextGuess): Promise<PassResult>;
	/** Ends the sequence; it is not fed again. Its cache is freed, or parked for a later sequence to take over. */
	release(): void;
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

/** `count` values of `tensor` from `start` as float32 (a view when they already are). */
function floats(tensor: Tensor, start: number, count: number): Float32Array {
	const data = tensor.data;
	if (data instanceof Float32Array) {
		return data.subarray(start, start + count);
	}
	const out = new Float32Array(count);
	const half = tensor.type === 'float16';
	for (let i = 0; i < count; i++) {
		const v = Number(data[start + i]);
		out[i] = half ? halfToFloat(v) : v;
	}
	return out;
}

/** Query rows `from`.. of an attention output [batch, heads, queries, keys], as float32. */
function rowsFrom(tensor: Tensor, from: number): FloatAttention {
	const [batch, heads, queries, keys] = tensor.dims;
	if (from <= 0) {
		return { data: floats(tensor, 0, tensor.size), dims: tensor.dims };
	}
	const kept = Math.max(0, queries - from);
	const data = new Float32Array(heads * kept * keys);
	for (let h = 0; h < heads; h++) {
		data.set(floats(tensor, (h * queries + queries - kept) * keys, kept * keys), h * kept * keys);
	}
	return { data, dims: [batch, heads, kept, keys] };
}

function lastRow(logits: Tensor): Float32Array {
	const dims = logits.dims;
	const vocab = dims[dims.length - 1];
	const rows = logits.size / vocab;
	return floats(logits, (rows - 1) * vocab, vocab);
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

export class ModelRunner implements PassRunner {
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
		/** Frees the session: the owner knows how (transformers.js' model.dispose(), or session.release()). */
		private readonly disposeSession: () => Promise<void>,
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

	get attentionLayers(): number {
		return this.attentionOutputs.length;
	}

	private get hasAttention(): boolean {
		return this.attentionOutputs.length > 0;
	}

	/** A new sequence; `from` continues a cache that holds exactly `from.ids` (the pass worker's parked caches). */
	start(from?: { past: Record<string, Tensor>; ids: readonly number[] }): Sequence {
		return new Sequence(this, from?.past ?? emptyCache(this.session, this.cacheInputs, this.heads), from?.ids ?? []);
	}

	/** Nothing is parked on this thread: GPU caches are not kept between sequences. */
	dropParked(): void {}

	dispose(): Promise<void> {
		return this.disposeSession();
	}

	/** @internal one pass for `Sequence` */
	async run(ids: readonly number[], position: number, past: Record<string, Tensor>, attentionFrom: number | null): Promise<{ result: PassResult; present: Record<string, Tensor> }> {
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
		const wanted = attentionFrom !== null && this.hasAttention;
		const out = wanted || !this.hasAttention ? await this.session.run(feeds) : await this.session.run(feeds, this.plainOutputs);
		const present: Record<string, Tensor> = {};
		for (const name of Object.keys(out)) {
			if (name.startsWith('present')) {
				present[name.replace('present', 'past_key_values')] = out[name];
			}
		}
		const attention = wanted ? this.attentionOutputs.map((n) => rowsFrom(out[n], attentionFrom)) : null;
		return { result: { logits: lastRow(out.logits), attention, reused: 0, computed: ids.length, parkedBytes: 0 }, present };
	}
}

export interface Checkpoint {
	readonly past: Record<string, Tensor>;
	readonly position: number;
}

export class Sequence implements PassSequence {
	private position: number;
	/** The ids whose keys and values the cache holds, in order. */
	private readonly fed: number[];

	constructor(
		private readonly runner: ModelRunner,
		private past: Record<string, Tensor>,
		ids: readonly number[],
	) {
		this.fed = [...ids];
		this.position = ids.length;
	}

	get length(): number {
		return this.position;
	}

	/** The ids the cache holds (what a parked cache is matched on). */
	get ids(): readonly number[] {
		return this.fed;
	}

	/** Runs on the calling thread, so there is nothing to gain from `next`: it is ignored. */
	async feed(ids: readonly number[], attentionFrom: number | null): Promise<PassResult> {
		const { result, present } = await this.runner.run(ids, this.position, this.past, attentionFrom);
		this.release();
		this.past = present;
		this.position += ids.length;
		for (const id of ids) {
			this.fed.push(id);
		}
		return result;
	}

	/** The cache as it is, to rewind to after a pass that was not wanted. CPU caches only: feed() frees GPU ones. */
	checkpoint(): Checkpoint {
		if (Object.values(this.past).some((t) => t.location !== 'cpu' && t.location !== 'cpu-pinned')) {
			throw new Error('Only a cache in CPU memory can be rewound.');
		}
		return { past: this.past, position: this.position };
	}

	rewind(checkpoint: Checkpoint): void {
		this.past = checkpoint.past;
		this.position = checkpoint.position;
		this.fed.length = checkpoint.position;
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
