import * as assert from 'assert/strict';
import type { AttentionLayerData, TokenStep } from '../../../protocol/generation';
import { formatNumber, formatPercent, shortToken, visibleToken } from '../../../media/src/format';
import {
	attentionAlpha,
	attentionFrom,
	averageHeads,
	blockSizeFor,
	decodeBase64,
	downsampleMax,
	entropy,
	probabilityBucket,
	PROBABILITY_BUCKETS,
	sliceHead,
	summarizeSteps,
	unpackLayer,
	weightAt,
} from '../../../media/src/transforms';

/**
 * A hand-built layer: 4 positions, rows kept from position 1, 2 heads.
 * Packed per head: row 1 has 2 values, row 2 has 3, row 3 has 4 (9 per head),
 * so row offsets are 0, 2 and 5. Each row sums to 255 (weights sum to 1).
 */
const HEAD0 = [255, 0, /* row 2 */ 51, 102, 102, /* row 3 */ 0, 0, 255, 0];
const HEAD1 = [0, 255, /* row 2 */ 153, 0, 102, /* row 3 */ 51, 51, 51, 102];

function layerData(bytes: number[], shape: { heads: number; totalTokens: number; rowStart: number }): AttentionLayerData {
	// Node's own base64 encoder, so the decoder is checked against an independent one.
	return { generationId: 'g', layer: 0, ...shape, data: Buffer.from(bytes).toString('base64') };
}

const LAYER = layerData([...HEAD0, ...HEAD1], { heads: 2, totalTokens: 4, rowStart: 1 });

function close(actual: ArrayLike<number> | null, expected: number[], message?: string): void {
	assert.ok(actual, message);
	assert.equal(actual.length, expected.length, message);
	for (let i = 0; i < expected.length; i++) {
		assert.ok(Math.abs(actual[i] - expected[i]) < 1e-6, `${message ?? ''} [${i}]: ${actual[i]} ≠ ${expected[i]}`);
	}
}

function step(prob: number, text = 't', logprob: number | null = Math.log(prob)): TokenStep {
	return { id: 1, text, prob, logprob: logprob as number, entropy: 0, top: [] };
}

describe('panel transforms', () => {
	describe('probabilityBucket', () => {
		it('puts each probability in the bucket whose lower bound it reaches', () => {
			const cases: [number, number][] = [
				[0, 0],
				[0.0999, 0],
				[0.1, 1],
				[0.29, 1],
				[0.3, 2],
				[0.59, 2],
				[0.6, 3],
				[0.899, 3],
				[0.9, 4],
				[1, 4],
				[NaN, 0],
			];
			for (const [p, bucket] of cases) {
				assert.equal(probabilityBucket(p), bucket, `p=${p}`);
			}
		});

		it('has a legend entry for every bucket, in ascending order', () => {
			assert.equal(PROBABILITY_BUCKETS.length, 5);
			for (let i = 1; i < PROBABILITY_BUCKETS.length; i++) {
				assert.ok(PROBABILITY_BUCKETS[i].min > PROBABILITY_BUCKETS[i - 1].min);
				assert.equal(probabilityBucket(PROBABILITY_BUCKETS[i].min), i);
			}
		});
	});

	describe('entropy', () => {
		it('matches known distributions (nats)', () => {
			assert.ok(Math.abs(entropy([0.25, 0.25, 0.25, 0.25]) - Math.log(4)) < 1e-12);
			assert.equal(entropy([1]), 0);
			assert.ok(Math.abs(entropy([0.5, 0.5]) - Math.LN2) < 1e-12);
			// -(0.9 ln 0.9 + 0.1 ln 0.1)
			assert.ok(Math.abs(entropy([0.9, 0.1]) - 0.3250829733914482) < 1e-12);
		});

		it('normalises unnormalised weights and ignores zeros', () => {
			assert.ok(Math.abs(entropy([2, 2, 0]) - Math.LN2) < 1e-12);
			assert.ok(Math.abs(entropy(new Float32Array([0.4, 0.2, 0.4, 0])) - entropy([2, 1, 2])) < 1e-6);
			assert.equal(entropy([]), 0);
			assert.equal(entropy([0, 0]), 0);
		});
	});

	describe('summarizeSteps', () => {
		it('gives mean log-prob, perplexity and the least confident tokens', () => {
			const s = summarizeSteps([step(0.5, 'a'), step(0.25, 'b'), step(1, 'c')], 2);
			assert.equal(s.tokens, 3);
			// (ln 0.5 + ln 0.25 + ln 1) / 3 = -ln 2, so perplexity is exactly 2.
			assert.ok(Math.abs(s.meanLogprob! + Math.LN2) < 1e-12);
			assert.ok(Math.abs(s.perplexity! - 2) < 1e-12);
			assert.deepEqual(
				s.leastConfident.map((t) => [t.index, t.text]),
				[
					[1, 'b'],
					[0, 'a'],
				],
			);
		});

		it('keeps text order among equal probabilities', () => {
			const s = summarizeSteps([step(0.3), step(0.1), step(0.1), step(0.9)], 3);
			assert.deepEqual(
				s.leastConfident.map((t) => t.index),
				[1, 2, 0],
			);
		});

		it('recomputes a log-prob that JSON turned into null, and handles no steps', () => {
			const s = summarizeSteps([step(0.5, 'a', null)]);
			assert.ok(Math.abs(s.meanLogprob! - Math.log(0.5)) < 1e-12);
			assert.deepEqual(summarizeSteps([]), { tokens: 0, meanLogprob: null, perplexity: null, leastConfident: [] });
		});

		it('reports infinite perplexity for a token of probability 0', () => {
			assert.equal(summarizeSteps([step(0.5), step(0)]).perplexity, Infinity);
		});
	});

	describe('packed attention', () => {
		it('decodes base64 to the original bytes', () => {
			assert.deepEqual([...decodeBase64(LAYER.data)], [...HEAD0, ...HEAD1]);
			assert.deepEqual([...decodeBase64('')], []);
		});

		it('checks the data length against the shape', () => {
			const layer = unpackLayer(LAYER);
			assert.equal(layer.headSize, 9);
			assert.equal(layer.bytes.length, 18);
			assert.throws(() => unpackLayer({ ...LAYER, totalTokens: 5 }), /need 2\d/);
		});

		it('slices one head with the packed row offsets', () => {
			const layer = unpackLayer(LAYER);
			const h0 = sliceHead(layer, 0);
			const h1 = sliceHead(layer, 1);
			assert.equal(weightAt(h0, 1, 0), 1);
			assert.ok(Math.abs(weightAt(h0, 2, 1) - 0.4) < 1e-6);
			assert.equal(weightAt(h0, 3, 2), 1);
			assert.ok(Math.abs(weightAt(h1, 2, 0) - 0.6) < 1e-6);
			assert.ok(Math.abs(weightAt(h1, 3, 3) - 0.4) < 1e-6);
			// Future cells and dropped rows read as 0.
			assert.equal(weightAt(h0, 1, 2), 0);
			assert.equal(weightAt(h0, 0, 0), 0);
			assert.throws(() => sliceHead(layer, 2), RangeError);
		});

		it('averages over heads', () => {
			const avg = averageHeads(unpackLayer(LAYER));
			close(avg.values, [0.5, 0.5, /* row 2 */ 0.4, 0.2, 0.4, /* row 3 */ 0.1, 0.1, 0.6, 0.2]);
		});

		it('extracts "attention from token i" over all positions', () => {
			const avg = averageHeads(unpackLayer(LAYER));
			close(attentionFrom(avg, 2), [0.4, 0.2, 0.4, 0], 'row 2');
			close(attentionFrom(sliceHead(unpackLayer(LAYER), 1), 3), [0.2, 0.2, 0.2, 0.4], 'row 3');
			assert.equal(attentionFrom(avg, 0), null, 'row before rowStart');
			assert.equal(attentionFrom(avg, 4), null, 'position without a row');
		});

		it('downsamples to block maxima and remembers where each maximum is', () => {
			const grid = downsampleMax(sliceHead(unpackLayer(LAYER), 1), 2);
			assert.equal(grid.rows, 2); // rows 1–2, then row 3
			assert.equal(grid.cols, 2); // columns 0–1, 2–3
			close(grid.max, [1, 0.4, 0.2, 0.4]);
			assert.deepEqual([...grid.argRow], [1, 2, 3, 3]);
			assert.deepEqual([...grid.argCol], [1, 2, 0, 3]);
		});

		it('marks blocks that lie entirely in the future', () => {
			// One head, every row kept: 10 values.
			const data = layerData([255, 128, 127, 0, 0, 255, 64, 64, 64, 63], { heads: 1, totalTokens: 4, rowStart: 0 });
			const grid = downsampleMax(sliceHead(unpackLayer(data), 0), 2);
			assert.equal(grid.argRow[1], -1, 'rows 0–1 cannot see columns 2–3');
			assert.equal(grid.argRow[3], 2);
			assert.ok(Math.abs(grid.max[3] - 1) < 1e-6);
		});

		it('is the identity at block size 1', () => {
			const h0 = sliceHead(unpackLayer(LAYER), 0);
			const grid = downsampleMax(h0, 1);
			assert.equal(grid.rows, 3);
			assert.equal(grid.cols, 4);
			for (let r = 1; r < 4; r++) {
				for (let c = 0; c < 4; c++) {
					const i = (r - 1) * 4 + c;
					assert.equal(grid.max[i], weightAt(h0, r, c));
					assert.equal(grid.argRow[i], c <= r ? r : -1);
				}
			}
		});

		it('picks block sizes that fit the cells available', () => {
			assert.equal(blockSizeFor(10, 75), 1);
			assert.equal(blockSizeFor(150, 75), 2);
			assert.equal(blockSizeFor(600, 75), 8);
			assert.equal(blockSizeFor(600, 0), 600);
		});

		it('maps weights to opacity on a square-root scale', () => {
			assert.equal(attentionAlpha(0), 0);
			assert.equal(attentionAlpha(1), 1);
			assert.ok(Math.abs(attentionAlpha(0.25) - (0.06 + 0.94 * 0.5)) < 1e-12);
			assert.ok(attentionAlpha(0.01) > attentionAlpha(0.001));
		});
	});

	describe('format', () => {
		it('shows invisible characters in token labels', () => {
			assert.equal(visibleToken(' a\n\tb'), '·a↵→b');
			assert.equal(visibleToken(''), '∅');
			assert.equal(shortToken('abcdefghij', 5), 'abcd…');
		});

		it('formats probabilities and numbers', () => {
			assert.equal(formatPercent(0.4213), '42.1%');
			assert.equal(formatPercent(0.0004), '<0.1%');
			assert.equal(formatPercent(0), '0.0%');
			assert.equal(formatNumber(-0.5), '−0.50');
			assert.equal(formatNumber(Infinity), '∞');
		});
	});
});
