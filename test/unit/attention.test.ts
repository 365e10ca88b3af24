import * as assert from 'assert';
import { packedHeadSize, packedRowOffset, type GenerationRecord } from '../../protocol/generation';
import { AttentionCapture } from '../../server/src/attention';
import { GenerationStore } from '../../server/src/generationStore';

/** A causal [1, heads, q, keys] tensor whose row r spreads evenly over keys 0..r. */
function uniform(heads: number, firstRow: number, q: number): { data: Float32Array; dims: number[] } {
	const keys = firstRow + q;
	const data = new Float32Array(heads * q * keys);
	for (let h = 0; h < heads; h++) {
		for (let s = 0; s < q; s++) {
			const r = firstRow + s;
			for (let k = 0; k <= r; k++) {
				data[(h * q + s) * keys + k] = 1 / (r + 1);
			}
		}
	}
	return { data, dims: [1, heads, q, keys] };
}

describe('attention capture', () => {
	it('packing offsets agree with sizes', () => {
		assert.strictEqual(packedHeadSize(4, 0), 1 + 2 + 3 + 4);
		assert.strictEqual(packedHeadSize(5, 2), 3 + 4 + 5);
		assert.strictEqual(packedRowOffset(2, 2), 0);
		assert.strictEqual(packedRowOffset(3, 2), 3);
		assert.strictEqual(packedRowOffset(4, 2), 7);
		assert.strictEqual(packedRowOffset(5, 2), packedHeadSize(5, 2));
	});
	it('keeps prefill and step rows, quantised, causal part only', () => {
		const cap = new AttentionCapture(1, 2, 0);
		cap.add([uniform(2, 0, 3)], 0); // prompt of 3
		cap.add([uniform(2, 3, 1)], 3); // one generated token read back
		assert.strictEqual(cap.totalTokens, 4);
		const layer = cap.layer(0);
		assert.strictEqual(layer.length, 2 * packedHeadSize(4, 0));
		// head 1, row 3: four weights of 0.25 → 64
		const off = packedHeadSize(4, 0) + packedRowOffset(3, 0);
		assert.deepStrictEqual(Array.from(layer.subarray(off, off + 4)), [64, 64, 64, 64]);
		// row 0 attends to itself only
		assert.strictEqual(layer[0], 255);
	});
	it('drops early prompt rows when asked', () => {
		const cap = new AttentionCapture(1, 1, 2);
		cap.add([uniform(1, 0, 4)], 0);
		assert.strictEqual(cap.layer(0).length, packedHeadSize(4, 2));
		assert.strictEqual(cap.layer(0)[0], Math.round(255 / 3));
	});
	it('rejects rows out of order', () => {
		const cap = new AttentionCapture(1, 1, 0);
		assert.throws(() => cap.add([uniform(1, 2, 1)], 2), /out of order/);
	});
});

describe('generation store', () => {
	const record = (id: string, kind: 'completion' | 'prompt'): GenerationRecord => ({
		id,
		kind,
		model: 'm',
		title: id,
		promptTokens: [],
		promptIds: [],
		steps: [],
		text: '',
		stopReason: 'eos',
		elapsedMs: 1,
		attention: null,
		createdAt: 0,
	});

	it('keeps the last completion while evicting old entries', () => {
		const store = new GenerationStore(2);
		store.add(record('c1', 'completion'), null);
		store.add(record('p1', 'prompt'), null);
		store.add(record('p2', 'prompt'), null);
		store.add(record('p3', 'prompt'), null);
		assert.strictEqual(store.lastCompletion()?.id, 'c1');
		assert.strictEqual(store.get('p1'), undefined);
		assert.ok(store.get('p3'));
	});
	it('answers attention by layer and refuses bad layers', () => {
		const store = new GenerationStore();
		const cap = new AttentionCapture(2, 1, 0);
		cap.add([uniform(1, 0, 2), uniform(1, 0, 2)], 0);
		store.add(record('g', 'prompt'), cap);
		const data = store.attentionLayer('g', 1);
		assert.ok(data);
		assert.deepStrictEqual(Array.from(Buffer.from(data.data, 'base64')), [255, 128, 128]);
		assert.strictEqual(store.attentionLayer('g', 2), undefined);
		assert.strictEqual(store.attentionLayer('missing', 0), undefined);
	});
});
