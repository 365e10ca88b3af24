import * as assert from 'assert';
import type { StopReason } from '../../../protocol/generation';
import type { CompletionContext } from '../../../server/src/completion/context';
import {
	applyStreamFilters,
	dropBlank,
	dropDuplicateOfNextLine,
	keepWholeLines,
	matchIndentStyle,
	postProcess,
	rebaseIndentation,
	trimLineSuffixOverlap,
	trimTrailingWhitespace,
} from '../../../server/src/completion/postFilters';
import { at } from './cursor';

const input = (ctx: CompletionContext, stopReason: StopReason = 'eos') => ({ ctx, stopReason });

describe('post-processing filters', () => {
	it('keepWholeLines: a multi-line suggestion cut by the token budget ends on a whole line', () => {
		const ctx = at('import os\n\n|');
		assert.strictEqual(keepWholeLines('def f():\n    return 1\n\ndef g(na', input(ctx, 'maxTokens')), 'def f():\n    return 1\n');
		assert.strictEqual(keepWholeLines('def f():\n    return 1', input(ctx, 'eos')), 'def f():\n    return 1');
		assert.strictEqual(keepWholeLines('x = compute(a, b', input(at('x = |'), 'maxTokens')), 'x = compute(a, b', 'one line stays');
	});

	it('applyStreamFilters judges the last line too', () => {
		const ctx = at('def show(items):\n    items.sort()\n    |\n    print(items)\n');
		assert.strictEqual(applyStreamFilters('print(items)', input(ctx)), '');
	});

	describe('rebaseIndentation', () => {
		it('moves every line by what the first line had too much (Python stays valid)', () => {
			const ctx = at('def total(xs):\n    s = 0\n    |\n');
			assert.strictEqual(rebaseIndentation('    for x in xs:\n            s += x', input(ctx)), 'for x in xs:\n        s += x');
		});
		it('leaves a suggestion that already starts at the cursor alone', () => {
			const ctx = at('def total(xs):\n    s = 0\n    |\n');
			assert.strictEqual(rebaseIndentation('for x in xs:\n        s += x', input(ctx)), 'for x in xs:\n        s += x');
		});
		it('at column 0, keeps the model\'s indentation up to what the line above allows', () => {
			assert.strictEqual(rebaseIndentation('        x = 1\n        y = 2', input(at('import os\n|'))), 'x = 1\ny = 2');
			assert.strictEqual(rebaseIndentation('    return 1', input(at('def f():\n|'))), '    return 1');
			assert.strictEqual(rebaseIndentation('        return 1\n        x', input(at('def f():\n|'))), '    return 1\n    x');
		});
		it('does nothing after code on the cursor line', () => {
			assert.strictEqual(rebaseIndentation('\n        return 1', input(at('def f():|'))), '\n        return 1');
		});
	});

	it('matchIndentStyle writes later lines with the document\'s unit', () => {
		const tabs = at('function f() {\n\tif (a) {\n\t\tb();\n\t}\n\t|\n}', 'javascript');
		assert.strictEqual(matchIndentStyle('while (x) {\n        y();\n    }', input(tabs)), 'while (x) {\n\t\ty();\n\t}');
		const spaces = at('def f():\n    a()\n    |');
		assert.strictEqual(matchIndentStyle('if x:\n\t\ty()', input(spaces)), 'if x:\n        y()');
	});

	it('trimTrailingWhitespace', () => {
		assert.strictEqual(trimTrailingWhitespace('return 1  \n\n', input(at('def f():\n    |'))), 'return 1');
		assert.strictEqual(trimTrailingWhitespace('a  \n    b', input(at('def f():\n    |'))), 'a\n    b');
	});

	it('dropDuplicateOfNextLine: a first line equal to the next line is no suggestion', () => {
		const ctx = at('def show(items):\n    |\n    print(items)\n');
		assert.strictEqual(dropDuplicateOfNextLine('print(items)', input(ctx)), '');
		assert.strictEqual(dropDuplicateOfNextLine('items.sort()', input(ctx)), 'items.sort()');
	});

	describe('trimLineSuffixOverlap', () => {
		it('drops closing characters already after the cursor', () => {
			assert.strictEqual(trimLineSuffixOverlap('bar(1, 2))', input(at('print(foo(|))'))), 'bar(1, 2)');
			assert.strictEqual(trimLineSuffixOverlap('x);', input(at('f(|);'))), 'x');
		});
		it('keeps the closers of brackets the suggestion opened', () => {
			assert.strictEqual(trimLineSuffixOverlap('foo(x)', input(at('bar(|)'))), 'foo(x)');
		});
		it('returns nothing when the suggestion only repeats the rest of the line', () => {
			assert.strictEqual(trimLineSuffixOverlap(')', input(at('f(|)'))), '');
		});
		it('keeps text that does not overlap', () => {
			assert.strictEqual(trimLineSuffixOverlap('a + b', input(at('f(|)'))), 'a + b');
			assert.strictEqual(trimLineSuffixOverlap('a + b', input(at('x = |'))), 'a + b');
		});
	});

	it('dropBlank', () => {
		assert.strictEqual(dropBlank('   \n  ', input(at('x|'))), '');
	});

	it('postProcess runs them in order', () => {
		assert.strictEqual(postProcess('foo(x)) ', input(at('bar(|)'))), 'foo(x)');
		assert.strictEqual(postProcess('    return x\n\n', input(at('def f(x):\n    |'))), 'return x');
		const py = at('def total(xs):\n    s = 0\n    |\n    return s\n');
		assert.strictEqual(postProcess('    for x in xs:\n            s += x\n    return s\n', input(py)), 'for x in xs:\n        s += x');
	});
});
