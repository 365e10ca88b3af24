import * as assert from 'assert';
import { guessNext } from '../../server/src/modelRunner';

describe('guessNext (the pass worker works ahead on this guess)', () => {
	const logits = new Float32Array([0.5, 3, -1, 2.5, 3, 1]);
	const plain = { banned: [], stops: [], attentionFrom: null };

	it('is the argmax, ties to the lower id', () => {
		assert.strictEqual(guessNext(logits, plain), 1);
	});
	it('skips banned control tokens', () => {
		assert.strictEqual(guessNext(logits, { ...plain, banned: [1] }), 4);
		assert.strictEqual(guessNext(logits, { ...plain, banned: [1, 4] }), 3);
	});
	it('chooses among the allowed ids only (token healing)', () => {
		assert.strictEqual(guessNext(logits, { ...plain, allowed: [0, 2, 5] }), 5);
		assert.strictEqual(guessNext(logits, { ...plain, allowed: [] }), undefined);
	});
	it('is nothing when the best token is a stop: no pass follows it', () => {
		assert.strictEqual(guessNext(logits, { ...plain, stops: [1] }), undefined);
		assert.strictEqual(guessNext(logits, { ...plain, stops: [4] }), 1);
	});
	it('takes -Infinity logits when nothing else is left', () => {
		assert.strictEqual(guessNext(new Float32Array([-Infinity, -Infinity]), plain), 0);
	});
});
