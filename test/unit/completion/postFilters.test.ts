import * as assert from 'assert';
import type { StopReason } from '../../../protocol/generation';
import type { CompletionContext } from '../../../server/src/completion/context';
import {
	applyStreamFilters,
	balanceBrackets,
	dropBlank,
	dropDanglingOpener,
	dropUnclosedComment,
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

describe('post-processing filters: brackets, comments, openers', () => {
	it('balanceBrackets: one line with closers right of the cursor leaves nothing open', () => {
		assert.strictEqual(balanceBrackets('{', input(at('users.map((user) => |);', 'javascript'))), '');
		assert.strictEqual(balanceBrackets('user.name', input(at('users.map((user) => |);', 'javascript'))), 'user.name');
		assert.strictEqual(balanceBrackets('b)', input(at('x = compute(a, |'))), 'b)', 'closes what the line opened');
		assert.strictEqual(balanceBrackets('b, f(c', input(at('x = compute(a, |'))), 'b, f(c', 'the line goes on');
		assert.strictEqual(balanceBrackets('b))', input(at('x = compute(a, |'))), 'b)', 'one closer too many');
	});
	it('balanceBrackets: never closes more than is open at the cursor', () => {
		const go = at('package main\n\nfunc double(x int) int {|\n}\n', 'go');
		assert.strictEqual(balanceBrackets('0} [1]', input(go)), '');
		const open = at('func double(x int) int {\n\t|', 'go');
		assert.strictEqual(balanceBrackets('return x * 2\n}', input(open)), 'return x * 2\n}', 'nothing closes that block yet');
	});
	it('balanceBrackets: a multi-line suggestion ends on a line with its own brackets closed', () => {
		const ctx = at('func sum(xs []int) int {\n\ttotal := 0\n\t|\n\treturn total\n}\n', 'go');
		assert.strictEqual(balanceBrackets('if (x < 0) {\n\t\tif (x < 0) {', input(ctx)), '');
		assert.strictEqual(balanceBrackets('for _, x := range xs {\n\t\ttotal += x\n\t}\n\tif total > 9 {', input(ctx)), 'for _, x := range xs {\n\t\ttotal += x\n\t}');
	});
	it('dropUnclosedComment: no block comment or docstring left open', () => {
		const js = at("const fs = require('fs');\n\n|\n", 'javascript');
		assert.strictEqual(dropUnclosedComment('/**\n * Reads a file.\n * @param', input(js)), '');
		assert.strictEqual(dropUnclosedComment('x();\n/**\n * Reads', input(js)), 'x();');
		assert.strictEqual(dropUnclosedComment('/** Reads. */\nread();', input(js)), '/** Reads. */\nread();');
		const py = at('def f():|');
		assert.strictEqual(dropUnclosedComment('\n    """Return one.\n    Longer', input(py)), '');
		assert.strictEqual(dropUnclosedComment('\n    """Return one."""\n    return 1', input(py)), '\n    """Return one."""\n    return 1');
	});
	it('dropUnclosedComment: inside a docstring at the cursor, its closer is the suggestion\'s to write', () => {
		const py = at('def f():\n    """Return |');
		assert.strictEqual(dropUnclosedComment('the sum."""', input(py)), 'the sum."""');
		const js = at('/**\n * Reads |', 'javascript');
		assert.strictEqual(dropUnclosedComment('a file. */', input(js)), 'a file. */');
	});
	it('dropDanglingOpener: no last line that opens a block it never writes', () => {
		assert.strictEqual(dropDanglingOpener('x = 1\n    if x:', input(at('def f():\n    |'))), 'x = 1');
		assert.strictEqual(dropDanglingOpener('if x:', input(at('def f():\n    |'))), '');
		assert.strictEqual(dropDanglingOpener('\n    return 1', input(at('def f():|'))), '\n    return 1');
	});
});
