import * as assert from 'assert';
import { cursorWindow, looksBinary } from '../../server/src/documentGuard';
import { buildCompletionPrompt, encodeHead, encodeTail } from '../../server/src/prompt';

/** One token per character: makes budgets easy to reason about. */
const encode = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));
const decode = (ids: number[]): string => String.fromCharCode(...ids);

describe('prompt building', () => {
	it('keeps the whole prefix when it fits', () => {
		assert.strictEqual(decode(encodeTail('abc\ndef', 10, encode)), 'abc\ndef');
	});
	it('cuts the prefix at a line start when it is too long', () => {
		const text = 'line one\nline two\nline three';
		const kept = decode(encodeTail(text, 15, encode));
		assert.ok(kept.length <= 15, kept);
		assert.strictEqual(kept, 'line three');
	});
	it('cuts the suffix at a line end when it is too long', () => {
		const kept = decode(encodeHead('first line\nsecond line\nthird', 14, encode));
		assert.strictEqual(kept, 'first line\n');
	});
	it('never exceeds the budget, even without newlines', () => {
		const long = 'x'.repeat(5000);
		assert.strictEqual(encodeTail(long, 100, encode).length, 100);
		assert.strictEqual(encodeHead(long, 100, encode).length, 100);
	});
	it('builds a FIM prompt with prefix, suffix and middle tokens in order', () => {
		const fim = { prefix: 1, suffix: 2, middle: 3, order: 'psm' as const };
		const p = buildCompletionPrompt('ab', 'cd', 100, fim, encode);
		assert.deepStrictEqual(p.ids, [1, 97, 98, 2, 99, 100, 3]);
		assert.strictEqual(p.fim, true);
	});
	it('builds a suffix-prefix-middle prompt for models trained that way', () => {
		const fim = { prefix: 1, suffix: 2, middle: 3, order: 'spm' as const };
		const p = buildCompletionPrompt('ab', 'cd', 100, fim, encode);
		assert.deepStrictEqual(p.ids, [1, 2, 99, 100, 3, 97, 98]);
		assert.strictEqual(p.endsWithPrefix, true);
	});
	it('gives most of the budget to the prefix', () => {
		const fim = { prefix: 1, suffix: 2, middle: 3, order: 'psm' as const };
		const p = buildCompletionPrompt('p'.repeat(1000), 's'.repeat(1000), 103, fim, encode);
		assert.strictEqual(p.ids.length, 103);
		assert.strictEqual(p.suffixTokens, 25);
		assert.strictEqual(p.prefixTokens, 75);
	});
	it('caps the suffix for models trained on short FIM examples', () => {
		const fim = { prefix: 1, suffix: 2, middle: 3, order: 'psm' as const };
		const p = buildCompletionPrompt('p'.repeat(1000), 's'.repeat(1000), 403, fim, encode, 40);
		assert.strictEqual(p.suffixTokens, 40);
		assert.strictEqual(p.prefixTokens, 360);
	});
	it('uses the prefix only without FIM tokens', () => {
		const p = buildCompletionPrompt('abc', 'def', 100, null, encode);
		assert.deepStrictEqual(p.ids, encode('abc'));
		assert.strictEqual(p.fim, false);
	});
});

describe('document guard', () => {
	it('recognises binary content', () => {
		assert.strictEqual(looksBinary('PNG\u0000\u0001\u0002'), true);
		assert.strictEqual(looksBinary('\u0001\u0002\u0003\u0004abc'), true);
		assert.strictEqual(looksBinary('def f():\n\treturn "é ✓ 日本"\r\n'), false);
		assert.strictEqual(looksBinary(''), false);
	});
	it('reads a bounded window around the cursor of a huge line', () => {
		const text = 'a'.repeat(200_000);
		const w = cursorWindow(text, 100_000, 8000, 4000);
		assert.strictEqual(w.prefix.length, 8000);
		assert.strictEqual(w.suffix.length, 4000);
		assert.ok(w.prefixClipped && w.suffixClipped);
	});
	it('handles the cursor at the very start and end', () => {
		assert.deepStrictEqual(cursorWindow('abc', 0, 10, 10), { prefix: '', suffix: 'abc', prefixClipped: false, suffixClipped: false });
		assert.deepStrictEqual(cursorWindow('abc', 3, 10, 10), { prefix: 'abc', suffix: '', prefixClipped: false, suffixClipped: false });
	});
});
