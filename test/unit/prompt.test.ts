import * as assert from 'assert';
import { cursorWindow, looksBinary, typedWindow } from '../../server/src/documentGuard';
import { commonPrefixLength } from '../../server/src/prefixCache';
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
		// The prefix's anchored cut (steps of a quarter of the budget) leaves part of the 360 unused.
		assert.ok(p.prefixTokens <= 360 && p.prefixTokens >= 270, String(p.prefixTokens));
	});
	it('uses the prefix only without FIM tokens', () => {
		const p = buildCompletionPrompt('abc', 'def', 100, null, encode);
		assert.deepStrictEqual(p.ids, encode('abc'));
		assert.strictEqual(p.fim, false);
	});
});

/** Tokens of up to three word characters, runs of spaces, single other characters: merges like a BPE's do. */
function chunky(text: string): number[] {
	return (text.match(/\w{1,3}|[ \t]+|[^]/g) ?? []).map((t) => [...t].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_000, 7));
}

/** A file of `lines` lines of code, each different. */
function codeLines(lines: number): string {
	return Array.from({ length: lines }, (_, i) => `\tconst value${i} = compute(${i}, options.limit) + offset;\n`).join('');
}

describe('append-only completion prompts', () => {
	const spm = { prefix: 1, suffix: 2, middle: 3, order: 'spm' as const };
	const typedLine = '\tconst typed = [first, second].map((item) => item.value * 2).filter(Boolean);\n';

	/** Prompts while typing `typed` at `at` in `text`, with the cursor window a completion takes. */
	function promptsWhileTyping(text: string, at: number, typed: string, budget: number, anchored: boolean): number[][] {
		const prompts: number[][] = [];
		for (let n = 1; n <= typed.length; n++) {
			const doc = text.slice(0, at) + typed.slice(0, n) + text.slice(at);
			const offset = at + n;
			const w = cursorWindow(doc, offset, budget * 8, budget * 4);
			prompts.push(
				anchored
					? buildCompletionPrompt(w.prefix, w.suffix, budget, spm, chunky).ids
					: [1, 2, ...encodeHead(w.suffix, 50, chunky), 3, ...encodeTail(w.prefix, budget - 53, chunky)],
			);
		}
		return prompts;
	}

	/** Keystrokes whose prompt does not extend the one before (allowing its last two tokens to change). */
	function restarts(prompts: number[][]): number {
		let n = 0;
		for (let i = 1; i < prompts.length; i++) {
			if (commonPrefixLength(prompts[i - 1], prompts[i]) < prompts[i - 1].length - 2) {
				n++;
			}
		}
		return n;
	}

	it('typing a line at the end of a long file changes only the prompt\'s last tokens', () => {
		const text = codeLines(200);
		const prompts = promptsWhileTyping(text, text.length, typedLine, 600, true);
		for (const p of prompts) {
			assert.ok(p.length <= 600, `over budget: ${p.length}`);
			assert.ok(p.length >= 300, `under half the budget: ${p.length}`);
		}
		assert.ok(restarts(prompts) <= 1, `${restarts(prompts)} restarts over ${prompts.length} keystrokes`);
		// What the unanchored cut did: a new start on most keystrokes.
	});

	it('typing in the middle of a file leaves the suffix and the prefix\'s start alone', () => {
		const text = codeLines(200);
		const at = text.indexOf('const value120');
		const prompts = promptsWhileTyping(text, at, typedLine, 600, true);
		assert.ok(restarts(prompts) <= 1, `${restarts(prompts)} restarts over ${prompts.length} keystrokes`);
		assert.ok(prompts.every((p) => p.length <= 600));
	});

	it('the anchored cut moves in steps while typing many lines, and the budget holds', () => {
		const text = codeLines(200);
		const typed = codeLines(12).replace(/value/g, 'typed');
		const prompts = promptsWhileTyping(text, text.length, typed, 300, true);
		// About a quarter of the budget per step: the prefix gains ~190 tokens here, so a few steps.
		const n = restarts(prompts);
		assert.ok(n >= 1 && n <= 6, `${n} restarts over ${prompts.length} keystrokes`);
		// The cut counted from the end (no anchoring) restarted several times a line (37 times here).
		const unanchored = restarts(promptsWhileTyping(text, text.length, typed, 300, false));
		assert.ok(unanchored >= 3 * n, `unanchored: ${unanchored} restarts`);
		assert.ok(prompts.every((p) => p.length <= 300 && p.length >= 150));
	});

	it('keeps text dense in tokens within the budget, using most of it', () => {
		// One token per character: a step sized for four characters a token would be the whole budget.
		const text = 'ab\n'.repeat(2000);
		for (const extra of ['', 'a', 'ab', 'ab\nab']) {
			const ids = encodeTail(text + extra, 300, encode, 300);
			assert.ok(ids.length <= 300 && ids.length >= 200, String(ids.length));
		}
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
	it('anchors the window\'s start on a grid of a quarter of its size, at a line start', () => {
		const text = codeLines(400);
		const before = 4000;
		const starts = new Set<number>();
		for (let offset = 9000; offset < 9400; offset++) {
			const w = cursorWindow(text, offset, before, 2000);
			const start = offset - w.prefix.length;
			assert.ok(w.prefix.length <= before);
			assert.ok(start === 0 || text[start - 1] === '\n', 'starts a line');
			starts.add(start);
		}
		// 400 characters of cursor movement cross at most one 1,000-character step.
		assert.ok(starts.size <= 2, [...starts].join(', '));
	});
	it('ends the suffix at a line end, counted from the cursor', () => {
		const text = codeLines(400);
		const w = cursorWindow(text, 5000, 4000, 2000);
		assert.ok(w.suffix.endsWith('\n') && w.suffix.length <= 2000 && w.suffix.length > 1500, String(w.suffix.length));
		// Typing before the cursor does not change the text after it.
		const typed = text.slice(0, 5000) + 'xyz' + text.slice(5000);
		assert.strictEqual(cursorWindow(typed, 5003, 4000, 2000).suffix, w.suffix);
	});
	it('handles the cursor at the very start and end', () => {
		assert.deepStrictEqual(cursorWindow('abc', 0, 10, 10), { prefix: '', suffix: 'abc', prefixClipped: false, suffixClipped: false, start: 0, head: '' });
		assert.deepStrictEqual(cursorWindow('abc', 3, 10, 10), { prefix: 'abc', suffix: '', prefixClipped: false, suffixClipped: false, start: 0, head: '' });
	});
	it('moves the window along typed text as a new window of the typed document would be', () => {
		// Lines of varied length, a long line without newlines, and typed text with and without newlines,
		// at cursors before, at and past the first clipping, so the start stays, moves in its step, and jumps.
		const text = codeLines(60).replace(/compute\(1\d,/g, (m) => m + ' '.repeat(300)) + 'x'.repeat(900) + '\n' + codeLines(20);
		const typings = ['a', 'abc', 'x = 1;\n\tconst y', '\n'.repeat(5), 'long '.repeat(80), 'one\ntwo\nthree\n'];
		let checked = 0;
		for (const before of [400, 1000, 4000]) {
			for (let offset = 0; offset < text.length; offset += 97) {
				const w = cursorWindow(text, offset, before, before / 2);
				for (const typed of typings) {
					for (const n of [1, Math.ceil(typed.length / 2), typed.length]) {
						const part = typed.slice(0, n);
						const doc = text.slice(0, offset) + part + text.slice(offset);
						assert.deepStrictEqual(typedWindow(w, part, before), cursorWindow(doc, offset + part.length, before, before / 2), `offset ${offset}, before ${before}, typed ${JSON.stringify(part)}`);
						checked++;
					}
				}
			}
		}
		assert.ok(checked > 1000);
	});
});
