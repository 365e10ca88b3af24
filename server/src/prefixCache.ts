/**
 * KV caches of finished sequences, parked with the exact token ids they hold,
 * so that a later sequence starting with the same ids (the next keystroke's
 * prompt) takes them over instead of computing those positions again.
 *
 * Why this is exact: with causal attention the keys and values of the first n
 * positions depend on the first n ids alone, so a parked cache cut back to the
 * common prefix is what a cold pass over those ids would build. Only the last
 * bits can differ: a pass over m positions sums its matrix products in another
 * order than one over n (the tests state the tolerance).
 *
 * Bounded by bytes and by entries; the oldest entry goes first. The owner (the
 * pass worker) drops everything when asked (settings changed); a new model or
 * device means a new worker, which starts empty.
 */
import { Tensor } from 'onnxruntime-common';

/** Fewer common ids than this are computed again: taking a cache over costs a copy, and a few tokens cost nothing. */
export const MIN_REUSE = 8;

interface Entry {
	ids: readonly number[];
	past: Record<string, Tensor>;
	bytes: number;
}

/** A parked cache taken over: its first `reused` positions hold ids[0..reused). */
export interface TakenCache {
	past: Record<string, Tensor>;
	reused: number;
}

/** How many leading ids `a` and `b` share. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
	const n = Math.min(a.length, b.length);
	let i = 0;
	while (i < n && a[i] === b[i]) {
		i++;
	}
	return i;
}

/** Bytes a cache holds in memory. */
export function cacheBytes(past: Record<string, Tensor>): number {
	let bytes = 0;
	for (const t of Object.values(past)) {
		bytes += (t.data as ArrayBufferView).byteLength;
	}
	return bytes;
}

/** Positions a cache tensor holds: its second-to-last axis. */
function positionsOf(t: Tensor): number {
	return t.dims.length >= 3 ? t.dims[t.dims.length - 2] : -1;
}

/**
 * The first `keep` positions of a cache, copied. Positions are the
 * second-to-last axis of every tensor: [batch, kv_heads, positions, head_dim],
 * or [batch·heads, positions, 2·head_dim] for multi-query exports. The other
 * dims are read from each tensor, never from the config: grouped-query models
 * cache fewer key/value heads than they have attention heads.
 *
 * @throws when a tensor has fewer than three dims or fewer than `keep` positions.
 */
export function cutCache(past: Record<string, Tensor>, keep: number): Record<string, Tensor> {
	const out: Record<string, Tensor> = {};
	for (const [name, t] of Object.entries(past)) {
		const positions = positionsOf(t);
		if (positions < keep) {
			throw new Error(`Cannot cut ${name} (dims ${t.dims.join('×')}) to ${keep} positions.`);
		}
		const inner = t.dims[t.dims.length - 1];
		const outer = t.dims.slice(0, -2).reduce((a, b) => a * b, 1);
		const data = t.data as Float32Array | Uint16Array;
		const Typed = data.constructor as new (length: number) => Float32Array | Uint16Array;
		const cut = new Typed(outer * keep * inner);
		// One slice per head (per leading index): the positions axis is not the outermost.
		for (let o = 0; o < outer; o++) {
			const from = o * positions * inner;
			cut.set(data.subarray(from, from + keep * inner), o * keep * inner);
		}
		const dims = [...t.dims];
		dims[dims.length - 2] = keep;
		out[name] = new Tensor(t.type as 'float32', cut as Float32Array, dims);
	}
	return out;
}

export class PrefixCache {
	private entries: Entry[] = [];
	private total = 0;

	constructor(
		/** Most bytes parked at once; a cache larger than this alone is not parked. */
		readonly budgetBytes: number,
		readonly maxEntries = 4,
	) {}

	/** Bytes parked now (at most budgetBytes). */
	get bytes(): number {
		return this.total;
	}

	get size(): number {
		return this.entries.length;
	}

	/**
	 * Park `past`, which holds the keys and values of exactly `ids`. Evicts the
	 * oldest entries until the pool fits its bounds. A cache whose positions do
	 * not match `ids` is not parked.
	 */
	park(ids: readonly number[], past: Record<string, Tensor>): void {
		const tensors = Object.values(past);
		if (ids.length === 0 || tensors.length === 0 || tensors.some((t) => positionsOf(t) !== ids.length)) {
			return;
		}
		const bytes = cacheBytes(past);
		if (bytes > this.budgetBytes) {
			return;
		}
		this.entries.push({ ids: [...ids], past, bytes });
		this.total += bytes;
		while (this.total > this.budgetBytes || this.entries.length > this.maxEntries) {
			this.total -= this.entries.shift()!.bytes;
		}
	}

	/**
	 * Take over the parked cache that shares the longest prefix with `ids`, cut
	 * to at most `limit` positions; undefined when no entry shares MIN_REUSE ids
	 * within the limit. The entry leaves the pool: the sequence that takes it
	 * will park its own, longer cache when it ends.
	 */
	take(ids: readonly number[], limit: number): TakenCache | undefined {
		let best = -1;
		let bestLength = 0;
		this.entries.forEach((entry, i) => {
			const length = commonPrefixLength(entry.ids, ids);
			if (length > bestLength) {
				best = i;
				bestLength = length;
			}
		});
		const reused = Math.min(bestLength, limit);
		if (best < 0 || reused < MIN_REUSE) {
			return undefined;
		}
		const [entry] = this.entries.splice(best, 1);
		this.total -= entry.bytes;
		// Tensors are never written to after a pass, so a cache taken whole needs no copy.
		return { past: reused === entry.ids.length ? entry.past : cutCache(entry.past, reused), reused };
	}

	clear(): void {
		this.entries = [];
		this.total = 0;
	}
}
