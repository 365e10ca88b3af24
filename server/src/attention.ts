/**
 * Attention weights of a generation, kept compactly: each weight quantised to
 * a byte, only the causal part of each row, and for long prompts only the
 * last rows of the prompt (a completion's 1,000-token prefix would otherwise
 * cost megabytes per suggestion). The inspector fetches one layer at a time.
 */
import { packedHeadSize } from '../../protocol/generation';

/** The part of an ONNX output tensor this module reads. */
export interface AttentionTensor {
	data: ArrayLike<number>;
	/** [batch, heads, queries, keys] */
	dims: readonly number[];
}

class ByteBuffer {
	// Clamped: assigning weight * 255 rounds and clamps in one native step.
	private bytes = new Uint8ClampedArray(1024);
	length = 0;

	reserve(extra: number): void {
		if (this.length + extra > this.bytes.length) {
			let size = this.bytes.length * 2;
			while (size < this.length + extra) {
				size *= 2;
			}
			const grown = new Uint8ClampedArray(size);
			grown.set(this.bytes.subarray(0, this.length));
			this.bytes = grown;
		}
	}

	/** Append `count` weights from `data` at `start`, quantised to bytes. */
	pushScaled(data: ArrayLike<number>, start: number, count: number): void {
		const bytes = this.bytes;
		let at = this.length;
		for (let k = 0; k < count; k++) {
			bytes[at++] = data[start + k] * 255;
		}
		this.length = at;
	}

	view(): Uint8Array {
		return new Uint8Array(this.bytes.buffer, 0, this.length);
	}
}

export class AttentionCapture {
	/** buffers[layer][head] */
	private readonly buffers: ByteBuffer[][];
	/** Next position whose row has not been captured yet. */
	private rowsEnd = 0;

	constructor(
		readonly layers: number,
		readonly heads: number,
		/** First row kept. */
		readonly rowStart: number,
	) {
		this.buffers = Array.from({ length: layers }, () => Array.from({ length: heads }, () => new ByteBuffer()));
	}

	/** Rows captured so far: positions 0..totalTokens-1. */
	get totalTokens(): number {
		return this.rowsEnd;
	}

	get byteSize(): number {
		return this.layers * this.heads * packedHeadSize(this.rowsEnd, this.rowStart);
	}

	/**
	 * Add the attention outputs of one forward pass (one tensor per layer) whose
	 * queries are positions firstRow, firstRow+1, ...
	 */
	add(perLayer: AttentionTensor[], firstRow: number): void {
		// Rows before rowStart may be skipped (a prompt pass run without attention outputs).
		const gap = firstRow > this.rowsEnd && firstRow > this.rowStart;
		if (perLayer.length !== this.layers || firstRow < this.rowsEnd || gap) {
			throw new Error(`Attention rows out of order: expected row ${this.rowsEnd}, got ${firstRow}.`);
		}
		let queries = 0;
		for (let layer = 0; layer < this.layers; layer++) {
			const { data, dims } = perLayer[layer];
			const [, heads, q, keys] = dims;
			if (heads !== this.heads) {
				throw new Error(`Layer ${layer} has ${heads} attention heads, expected ${this.heads}.`);
			}
			queries = q;
			for (let h = 0; h < heads; h++) {
				const buffer = this.buffers[layer][h];
				for (let s = 0; s < q; s++) {
					const row = firstRow + s;
					if (row < this.rowStart) {
						continue;
					}
					// Causal: only columns 0..row can carry weight.
					buffer.reserve(row + 1);
					buffer.pushScaled(data, (h * q + s) * keys, row + 1);
				}
			}
		}
		this.rowsEnd = firstRow + queries;
	}

	/** One layer, heads one after another, as AttentionLayerData.data expects. */
	layer(index: number): Uint8Array {
		const per = packedHeadSize(this.rowsEnd, this.rowStart);
		const out = new Uint8Array(per * this.heads);
		for (let h = 0; h < this.heads; h++) {
			out.set(this.buffers[index][h].view().subarray(0, per), h * per);
		}
		return out;
	}
}
