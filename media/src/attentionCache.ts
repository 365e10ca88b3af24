/**
 * Decoded attention layers, fetched from the host one at a time and kept
 * (least recently used first out) so switching layers and heads back and
 * forth does not ask the model server again. Head slices and averages are
 * derived once per layer and kept with it.
 */
import type { AttentionLayerData } from '../../protocol/generation';
import { averageHeads, sliceHead, unpackLayer, type PackedLayer, type TriangularMatrix } from './transforms';

export type HeadChoice = number | 'avg';

interface CachedLayer {
	packed: PackedLayer;
	matrices: Map<HeadChoice, TriangularMatrix>;
	/** Bytes held: the packed data plus 4 per value of each derived matrix. */
	cost: number;
}

export class AttentionCache {
	private readonly layers = new Map<string, CachedLayer>();
	private readonly inflight = new Map<string, Promise<CachedLayer>>();
	private bytes = 0;

	constructor(
		private readonly fetchLayer: (generationId: string, layer: number) => Promise<AttentionLayerData>,
		private readonly maxBytes = 96 * 1024 * 1024,
	) {}

	/** The matrix for one head or the average, fetching and decoding the layer if needed. */
	async matrix(generationId: string, layer: number, head: HeadChoice): Promise<TriangularMatrix> {
		const cached = await this.layer(generationId, layer);
		let matrix = cached.matrices.get(head);
		if (!matrix) {
			matrix = head === 'avg' ? averageHeads(cached.packed) : sliceHead(cached.packed, head);
			cached.matrices.set(head, matrix);
			cached.cost += matrix.values.byteLength;
			this.bytes += matrix.values.byteLength;
			this.evict();
		}
		return matrix;
	}

	private async layer(generationId: string, layer: number): Promise<CachedLayer> {
		const key = `${generationId}\u0000${layer}`;
		const hit = this.layers.get(key);
		if (hit) {
			// Re-insert: Map order is the recency order.
			this.layers.delete(key);
			this.layers.set(key, hit);
			return hit;
		}
		let pending = this.inflight.get(key);
		if (!pending) {
			pending = this.fetchLayer(generationId, layer)
				.then((data) => {
					const packed = unpackLayer(data);
					const entry: CachedLayer = { packed, matrices: new Map(), cost: packed.bytes.byteLength };
					this.layers.set(key, entry);
					this.bytes += entry.cost;
					this.evict(key);
					return entry;
				})
				.finally(() => this.inflight.delete(key));
			this.inflight.set(key, pending);
		}
		return pending;
	}

	/** Drops the least recently used layers until under budget, never the one just used. */
	private evict(keep?: string): void {
		for (const [key, entry] of this.layers) {
			if (this.bytes <= this.maxBytes || this.layers.size <= 1) {
				return;
			}
			if (key === keep) {
				continue;
			}
			this.layers.delete(key);
			this.bytes -= entry.cost;
		}
	}
}
