import * as assert from 'assert';
import {
	checkStop,
	decideLineMode,
	finalizeCompletion,
	trimSuffixOverlap,
	type CompletionContext,
} from '../../server/src/completionRules';

function ctx(partial: Partial<CompletionContext>): CompletionContext {
	return { mode: 'multi', linePrefix: '', lineSuffix: '', followingLines: [], maxLines: 16, ...partial };
}

describe('completion rules', () => {
	describe('decideLineMode', () => {
		it('completes one line in the middle of a line', () => {
			assert.strictEqual(decideLineMode('const x = foo(', ')', 'auto'), 'single');
		});
		it('completes one line after an ordinary statement', () => {
			assert.strictEqual(decideLineMode('    return x', '', 'auto'), 'single');
		});
		it('allows several lines on a blank line and after a block opener', () => {
			assert.strictEqual(decideLineMode('    ', '', 'auto'), 'multi');
			assert.strictEqual(decideLineMode('def f(x):', '', 'auto'), 'multi');
			assert.strictEqual(decideLineMode('function f() {', '  ', 'auto'), 'multi');
			assert.strictEqual(decideLineMode('const f = () =>', '', 'auto'), 'multi');
		});
		it('obeys always and never', () => {
			assert.strictEqual(decideLineMode('x = 1', 'y', 'always'), 'multi');
			assert.strictEqual(decideLineMode('def f():', '', 'never'), 'single');
		});
	});

	describe('checkStop', () => {
		it('single line stops at the first newline', () => {
			assert.deepStrictEqual(checkStop('foo(1)\nbar()', ctx({ mode: 'single' })), { text: 'foo(1)', stop: true });
			assert.deepStrictEqual(checkStop('foo(1', ctx({ mode: 'single' })), { text: 'foo(1', stop: false });
		});
		it('ends a Python body when the code dedents to the def level', () => {
			const c = ctx({ linePrefix: 'def add(a, b):' });
			const v = checkStop('\n    return a + b\n\ndef sub(a, b):\n', c);
			assert.deepStrictEqual(v, { text: '\n    return a + b\n', stop: true });
		});
		it('keeps the closing brace of the block it opened, then stops', () => {
			const c = ctx({ linePrefix: 'function f() {' });
			const v = checkStop('\n  return 1;\n}\nfunction g() {\n', c);
			assert.deepStrictEqual(v, { text: '\n  return 1;\n}', stop: true });
		});
		it('stops when leaving the block the cursor is in', () => {
			const c = ctx({ linePrefix: '    ' });
			const v = checkStop('x = 1\n    y = 2\nz = 3\n', c);
			assert.deepStrictEqual(v, { text: 'x = 1\n    y = 2', stop: true });
		});
		it('stops before a line that repeats what follows the cursor', () => {
			const c = ctx({ linePrefix: '    ', followingLines: ['', '    return total'] });
			const v = checkStop('total += x\n    return total\n', c);
			assert.deepStrictEqual(v, { text: 'total += x', stop: true });
		});
		it('stops at two blank lines and on a line repeated three times', () => {
			assert.deepStrictEqual(checkStop('a()\n\n\nb()\n', ctx({})), { text: 'a()', stop: true });
			assert.deepStrictEqual(checkStop('x\nfoo()\nfoo()\nfoo()\n', ctx({})), { text: 'x\nfoo()', stop: true });
		});
		it('does not judge an unfinished last line', () => {
			assert.deepStrictEqual(checkStop('a()\nb', ctx({ linePrefix: '    ' })), { text: 'a()\nb', stop: false });
		});
		it('stops a loop of a short piece and drops it', () => {
			assert.deepStrictEqual(checkStop('x = 1  #  #  #  #  #', ctx({ mode: 'single' })), { text: 'x = 1', stop: true });
			assert.deepStrictEqual(checkStop('f(a, a, a, a, a, ', ctx({ mode: 'single' })), { text: 'f(', stop: true });
			assert.deepStrictEqual(checkStop('return x', ctx({ mode: 'single' })).stop, false);
			// Indentation is not a loop.
			assert.deepStrictEqual(checkStop('\n                ', ctx({ linePrefix: 'def f():' })).stop, false);
		});
		it('caps the number of lines', () => {
			const v = checkStop('a\nb\nc\nd\n', ctx({ maxLines: 2 }));
			assert.deepStrictEqual(v, { text: 'a\nb', stop: true });
		});
	});

	describe('suffix dedupe', () => {
		it('drops closing characters already after the cursor', () => {
			assert.strictEqual(trimSuffixOverlap('bar(1, 2))', '))'), 'bar(1, 2');
			assert.strictEqual(trimSuffixOverlap('x);', ');'), 'x');
		});
		it('returns nothing when the completion only repeats the rest of the line', () => {
			assert.strictEqual(trimSuffixOverlap(')', ')'), '');
		});
		it('keeps text that does not overlap', () => {
			assert.strictEqual(trimSuffixOverlap('a + b', ')'), 'a + b');
			assert.strictEqual(trimSuffixOverlap('a + b', ''), 'a + b');
		});
		it('finalize trims whitespace-only output and trailing blanks', () => {
			assert.strictEqual(finalizeCompletion('   \n  ', ctx({})), '');
			assert.strictEqual(finalizeCompletion('return 1  \n\n', ctx({ linePrefix: '    ' })), 'return 1');
			assert.strictEqual(finalizeCompletion('foo(x)) ', ctx({ mode: 'single', lineSuffix: ')' })), 'foo(x)');
		});
		it('drops extra leading indentation when the user already indented', () => {
			assert.strictEqual(finalizeCompletion('    return x', ctx({ linePrefix: '    ' })), 'return x');
			assert.strictEqual(finalizeCompletion('    return x', ctx({ linePrefix: '' })), '    return x');
		});
	});
});
