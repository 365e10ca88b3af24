import * as assert from 'assert';
import { chooseToken, describeStep, entropy, inspectLogits, penalizeRepeats, seededRandom, softmax, topK } from '../../server/src/sampling';

const greedy = { maxNewTokens: 1, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 0 };
const sample = { ...greedy, greedy: false };

describe('sampling', () => {
	it('softmax is normalised and stable with large logits', () => {
		const p = softmax(new Float32Array([1000, 1000, 999]));
		assert.ok(Math.abs(p[0] + p[1] + p[2] - 1) < 1e-6);
		assert.ok(Math.abs(p[0] - p[1]) < 1e-7 && p[2] < p[0]);
	});
	it('entropy of uniform and one-hot distributions', () => {
		assert.ok(Math.abs(entropy([0.25, 0.25, 0.25, 0.25]) - Math.log(4)) < 1e-12);
		assert.strictEqual(entropy([1, 0, 0]), 0);
	});
	it('topK returns the best ids in order', () => {
		assert.deepStrictEqual(topK([0.1, 0.5, 0.05, 0.3, 0.05], 3).map((c) => c.id), [1, 3, 0]);
		assert.strictEqual(topK([0.2, 0.8], 5).length, 2);
	});
	it('greedy takes the argmax', () => {
		assert.strictEqual(chooseToken(new Float32Array([0.1, 3, -2, 2.9]), greedy, Math.random), 1);
	});
	it('top-k 1 is greedy even when sampling', () => {
		const rnd = seededRandom(7);
		for (let i = 0; i < 20; i++) {
			assert.strictEqual(chooseToken(new Float32Array([0, 1, 5, 2]), { ...sample, topK: 1 }, rnd), 2);
		}
	});
	it('top-p keeps the nucleus only', () => {
		// probabilities ≈ [0.64, 0.24, 0.09, 0.03]: top-p 0.8 keeps ids 0 and 1.
		const logits = new Float32Array([3, 2, 1, 0]);
		const rnd = seededRandom(1);
		const seen = new Set<number>();
		for (let i = 0; i < 500; i++) {
			seen.add(chooseToken(logits, { ...sample, topP: 0.8 }, rnd));
		}
		assert.deepStrictEqual([...seen].sort(), [0, 1]);
	});
	it('the same seed gives the same samples', () => {
		const logits = new Float32Array([1, 1.2, 0.8, 1.1, 0.9]);
		const run = (seed: number) => {
			const rnd = seededRandom(seed);
			return Array.from({ length: 30 }, () => chooseToken(logits, sample, rnd));
		};
		assert.deepStrictEqual(run(42), run(42));
		assert.notDeepStrictEqual(run(42), run(43));
	});
	it('sampling follows the distribution', () => {
		const rnd = seededRandom(3);
		const counts = [0, 0];
		for (let i = 0; i < 4000; i++) {
			counts[chooseToken(new Float32Array([Math.log(3), 0]), sample, rnd)]++;
		}
		assert.ok(Math.abs(counts[0] / 4000 - 0.75) < 0.03, String(counts));
	});
	it('repetition penalty lowers seen tokens only', () => {
		const out = penalizeRepeats(new Float32Array([2, -2, 1]), [0, 1, 0], 2);
		assert.deepStrictEqual(Array.from(out), [1, -4, 1]);
	});
	it('inspectLogits agrees with softmax, entropy and topK computed separately', () => {
		const logits = new Float32Array(5000);
		const rnd = seededRandom(11);
		for (let i = 0; i < logits.length; i++) {
			logits[i] = (rnd() - 0.5) * 20;
		}
		const probs = softmax(logits);
		const d = inspectLogits(logits, 8);
		assert.deepStrictEqual(d.top.map((t) => t.id), topK(probs, 8).map((t) => t.id));
		assert.ok(Math.abs(d.entropy - entropy(probs)) < 1e-4, `${d.entropy} vs ${entropy(probs)}`);
		for (const id of [0, 17, d.top[0].id]) {
			assert.ok(Math.abs(Math.exp(d.logprob(id)) - probs[id]) < 1e-6);
		}
	});
	it('describeStep reports the chosen probability and alternatives', () => {
		const logits = new Float32Array([2, 1, 0]);
		const probs = softmax(logits);
		const d = describeStep(inspectLogits(logits, 2), 1, (id) => `t${id}`);
		assert.ok(Math.abs(d.prob - probs[1]) < 1e-6);
		assert.ok(Math.abs(d.logprob - Math.log(probs[1])) < 1e-6);
		assert.deepStrictEqual(d.top.map((t) => t.text), ['t0', 't1']);
		assert.ok(Math.abs(d.entropy - entropy(probs)) < 1e-6);
	});
});
