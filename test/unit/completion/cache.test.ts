import * as assert from 'assert';
import { AnswerCache, FORWARD_CHARS } from '../../../server/src/completion/cache';
import { cursorWindow, typedWindow } from '../../../server/src/documentGuard';

const parts = AnswerCache.parts([{ model: 'embedded' }, 'python', 48, 1024, 'auto', '']);

describe('answer cache', () => {
	it('keys on every part, the whole prefix and the whole suffix', () => {
		const key = AnswerCache.key('greedy', parts, 'def f(x):\n    return ', '\n');
		assert.strictEqual(AnswerCache.key('greedy', parts, 'def f(x):\n    return ', '\n'), key);
		const others = [
			AnswerCache.key('alternatives', parts, 'def f(x):\n    return ', '\n'),
			AnswerCache.key('greedy', AnswerCache.parts([{ model: 'embedded' }, 'python', 32, 1024, 'auto', '']), 'def f(x):\n    return ', '\n'),
			AnswerCache.key('greedy', parts, 'Def f(x):\n    return ', '\n'),
			AnswerCache.key('greedy', parts, 'def f(x):\n    return ', '\n\n'),
			// The same characters split differently between prefix and suffix.
			AnswerCache.key('greedy', parts, 'def f(x):\n    return', ' \n'),
		];
		assert.strictEqual(new Set([key, ...others]).size, others.length + 1);
	});

	it('answers each state on the way through a shown suggestion with its rest, also when the window moves', () => {
		// A small window over a long text, so typing the suggestion moves the window's start.
		const before = 400;
		const text = Array.from({ length: 40 }, (_, i) => `line_${i} = compute(${i})\n`).join('');
		const offset = text.length;
		const window = cursorWindow(text, offset, before, before / 2);
		const suggestion = 'total = sum(values)\nfor value in values:\n    total += value\n' + 'x'.repeat(300);
		const cache = new AnswerCache();
		cache.forward(parts, window, before, suggestion, 'record-1');
		let moved = 0;
		for (let n = 1; n <= FORWARD_CHARS; n++) {
			const typed = cursorWindow(text + suggestion.slice(0, n), offset + n, before, before / 2);
			assert.deepStrictEqual(typedWindow(window, suggestion.slice(0, n), before), typed);
			moved += typed.start !== window.start ? 1 : 0;
			const hit = cache.get(AnswerCache.key('greedy', parts, typed.prefix, typed.suffix));
			assert.deepStrictEqual(hit, { texts: [suggestion.slice(n)], recordId: 'record-1' }, `after ${n} characters`);
		}
		assert.ok(moved > 0, 'the window moved on the way');
		// Not past FORWARD_CHARS.
		const far = typedWindow(window, suggestion.slice(0, FORWARD_CHARS + 1), before);
		assert.strictEqual(cache.get(AnswerCache.key('greedy', parts, far.prefix, far.suffix)), undefined);
	});

	it('stays bounded however many answers it takes', () => {
		const cache = new AnswerCache();
		for (let i = 0; i < 20_000; i++) {
			cache.set(AnswerCache.key('greedy', parts, `prefix ${i}`, ''), { texts: ['y'.repeat(200)], recordId: null });
		}
		assert.ok(cache.size <= 8192 && cache.size > 1000, String(cache.size));
		// The most recent are kept.
		assert.ok(cache.get(AnswerCache.key('greedy', parts, 'prefix 19999', '')));
		assert.strictEqual(cache.get(AnswerCache.key('greedy', parts, 'prefix 0', '')), undefined);
	});
});
