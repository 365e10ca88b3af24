import * as assert from 'assert';
import { decideLineMode, nextExistingLine, previousNonBlank } from '../../../server/src/completion/context';
import { at } from './cursor';

describe('completion context', () => {
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
		it('gives an empty document one line at most, even with always', () => {
			assert.strictEqual(decideLineMode('', '', 'always', true), 'single');
		});
	});

	describe('readContext', () => {
		it('splits the cursor line and keeps the neighbouring lines', () => {
			const ctx = at('import os\n\ndef f(x):\n    y = |\n    return y\n');
			assert.strictEqual(ctx.linePrefix, '    y = ');
			assert.strictEqual(ctx.lineSuffix, '');
			assert.deepStrictEqual(ctx.previousLines, ['import os', '', 'def f(x):']);
			assert.deepStrictEqual(ctx.followingLines, ['    return y', '']);
			assert.strictEqual(previousNonBlank(ctx), 'def f(x):');
			assert.strictEqual(nextExistingLine(ctx), '    return y');
			assert.strictEqual(ctx.mode, 'single');
			assert.strictEqual(ctx.language.blocks, 'indent');
		});
		it('knows an empty document and the indentation unit', () => {
			assert.strictEqual(at('  \n|\n\n').emptyDocument, true);
			assert.strictEqual(at('x|').emptyDocument, false);
			assert.strictEqual(at('if (a) {\n\tb();\n\t|\n}', 'javascript').indentUnit, '\t');
			assert.strictEqual(at('if a:\n  b()\n  |', 'python').indentUnit, '  ');
			assert.strictEqual(at('|').indentUnit, '    ');
		});
	});
});
