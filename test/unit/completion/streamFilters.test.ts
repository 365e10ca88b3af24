import * as assert from 'assert';
import {
	checkStop,
	repeatedBlock,
	repeatedTail,
	stopAtBlankRun,
	stopAtEnclosingClose,
	stopAtExistingLine,
	stopAtLineSuffix,
	stopAtLoop,
	stopAtMaxLines,
	stopAtScopeEnd,
	stopAtSingleLineEnd,
} from '../../../server/src/completion/streamFilters';
import { at } from './cursor';

describe('stream filters (inside the decoding loop)', () => {
	describe('stopAtLoop', () => {
		it('keeps one copy of a short piece repeated within a line, ending naturally', () => {
			assert.strictEqual(repeatedTail('x = 1  #  #  #  #  #'), 'x = 1', 'nothing natural to keep of the loop');
			assert.strictEqual(repeatedTail('f(a, a, a, a, a, '), 'f(a');
			assert.strictEqual(repeatedTail('xs) / len(xs) / len(xs) / len(xs) / len(xs) /'), 'xs) / len(xs)');
			assert.strictEqual(repeatedTail('return x'), undefined);
			assert.strictEqual(repeatedTail('\n                '), undefined, 'indentation is not a loop');
		});
		it('keeps one copy of a block of lines written twice', () => {
			const twice = 'total += x\n    count += 1\n    total += x\n    count += 1\n';
			assert.strictEqual(repeatedBlock(twice, '    '), 'total += x\n    count += 1');
		});
		it('catches a two-line block repeated five times, at its second copy', () => {
			const stream = 'print(a)\n    print(b)\n' + '    print(a)\n    print(b)\n'.repeat(4);
			const ctx = at('def f(a, b):\n    |');
			let fired: string | undefined;
			for (let n = 1; n <= stream.length && fired === undefined; n++) {
				fired = stopAtLoop(stream.slice(0, n), ctx);
			}
			assert.strictEqual(fired, 'print(a)\n    print(b)');
		});
		it('a line of code twice is a loop; a short closer needs three', () => {
			assert.strictEqual(repeatedBlock('let total: number;\n    let total: number;\n', '    '), 'let total: number;');
			assert.strictEqual(repeatedBlock('a\n}\n}\n'), undefined);
			assert.strictEqual(repeatedBlock('a\n      }\n    }\n  }\n'), undefined, 'closers of nested blocks');
			assert.strictEqual(repeatedBlock('a\ni++;\ni++;\ni++;\n'), 'a\ni++;');
		});
		it('does not judge an unfinished last line', () => {
			assert.strictEqual(repeatedBlock('foo(1)\nfoo(1)'), undefined);
		});
	});

	describe('stopAtSingleLineEnd', () => {
		it('ends a one-line suggestion at its first newline', () => {
			assert.strictEqual(stopAtSingleLineEnd('foo(1)\nbar()', at('x = |')), 'foo(1)');
			assert.strictEqual(stopAtSingleLineEnd('foo(1', at('x = |')), undefined);
			assert.strictEqual(stopAtSingleLineEnd('a\nb', at('def f():|')), undefined, 'multi-line');
		});
	});

	describe('stopAtLineSuffix', () => {
		it('stops where the model starts writing the closers already right of the cursor', () => {
			assert.strictEqual(stopAtLineSuffix('ult);', at('console.log(resu|);', 'javascript')), 'ult');
			assert.strictEqual(stopAtLineSuffix('ult);u', at('console.log(resu|);', 'javascript')), 'ult');
			assert.strictEqual(stopAtLineSuffix('stra"', at('name = "caf|"')), 'stra');
		});
		it('lets brackets and strings the model opened close on their own', () => {
			assert.strictEqual(stopAtLineSuffix('g(1), h(2', at('f(|)')), undefined);
			assert.strictEqual(stopAtLineSuffix('g(1), h(2))', at('f(|)')), 'g(1), h(2)');
			assert.strictEqual(stopAtLineSuffix('"a)b"', at('f(|)')), undefined);
		});
		it('does nothing without text right of the cursor', () => {
			assert.strictEqual(stopAtLineSuffix('x)', at('f(|')), undefined);
		});
	});

	describe('stopAtExistingLine', () => {
		it('a blank line above `print(items)` does not get `print(items)` again', () => {
			assert.strictEqual(stopAtExistingLine('print(items)\n', at('def show(items):\n    |\n    print(items)\n')), '');
		});
		it('stops before a later line that repeats what follows', () => {
			const ctx = at('def f(xs):\n    total = 0\n    |\n\n    return total\n');
			assert.strictEqual(stopAtExistingLine('for x in xs:\n        total += x\n    return total\n', ctx), 'for x in xs:\n        total += x');
		});
		it('the `}` the editor already closed is not written again', () => {
			const ctx = at('function f() {|\n}\n', 'javascript');
			assert.strictEqual(stopAtExistingLine('\n  return 1;\n}\n', ctx), '\n  return 1;');
		});
	});

	describe('stopAtScopeEnd', () => {
		it('ends a Python body when the code dedents to the def level, before a sibling def', () => {
			const ctx = at('def add(a, b):|');
			assert.strictEqual(stopAtScopeEnd('\n    return a + b\n\ndef sub(a, b):\n', ctx), '\n    return a + b\n');
		});
		it('a function written on a blank top-level line stops before the next top-level def', () => {
			assert.strictEqual(stopAtScopeEnd('def f():\n    return 1\n\ndef g():\n', at('import os\n\n|')), 'def f():\n    return 1\n');
		});
		it('keeps the closing brace of the block it opened, then stops', () => {
			const ctx = at('function f() {|', 'javascript');
			assert.strictEqual(stopAtScopeEnd('\n  return 1;\n}\nfunction g() {\n', ctx), '\n  return 1;\n}');
		});
		it('a `}` is not the end of a Python block', () => {
			assert.strictEqual(stopAtScopeEnd('\n    return 1\n}\n', at('def f():|')), '\n    return 1');
			assert.strictEqual(stopAtScopeEnd('if x:\n        y = 1\n        }\n', at('def f(x):\n    |')), 'if x:\n        y = 1');
		});
		it('a Python bracket closes where it opened', () => {
			const ctx = at('CONFIG = {|');
			assert.strictEqual(stopAtScopeEnd("\n    'a': 1,\n}\nprint(CONFIG)\n", ctx), "\n    'a': 1,\n}");
		});
		it('stops when leaving the block the cursor is in', () => {
			assert.strictEqual(stopAtScopeEnd('x = 1\n    y = 2\nz = 3\n', at('def f():\n    |')), 'x = 1\n    y = 2');
		});
		it('else, elif, catch continue the block', () => {
			const py = at('def f(x):\n    |');
			assert.strictEqual(stopAtScopeEnd('if x:\n        a()\n    else:\n        b()\n    c()\n', py), 'if x:\n        a()\n    else:\n        b()');
			const js = at('function f(x) {\n  |', 'javascript');
			assert.strictEqual(stopAtScopeEnd('try {\n    a();\n  } catch (e) {\n    b();\n  }\n  c();\n', js), 'try {\n    a();\n  } catch (e) {\n    b();\n  }');
		});
		it('shell blocks end with their keyword', () => {
			const sh = at('for f in *; do|', 'shellscript');
			assert.strictEqual(stopAtScopeEnd('\n  echo "$f"\ndone\necho end\n', sh), '\n  echo "$f"\ndone');
		});
		it('prose has no scope', () => {
			assert.strictEqual(stopAtScopeEnd('a\nb\n', at('Notes:\n|', 'markdown', { multiline: 'always' })), undefined);
		});
	});

	describe('stopAtEnclosingClose', () => {
		it('a line that closes the bracket the cursor is in ends the suggestion after it', () => {
			const go = at('func double(x int) int {|', 'go');
			assert.strictEqual(stopAtEnclosingClose('0} [1]\n\ndef other():\n', go), '0} [1]');
			assert.strictEqual(stopAtEnclosingClose('\n\treturn x * 2\n}\n\nfunc half(', go), '\n\treturn x * 2\n}');
		});
		it('brackets the suggestion opens and closes itself do not end it', () => {
			const js = at('function f() {\n  |', 'javascript');
			assert.strictEqual(stopAtEnclosingClose('if (a) {\n    b();\n  }\n  c();\n', js), undefined);
		});
		it('strings and comments do not count', () => {
			const js = at('function f() {\n  |', 'javascript');
			assert.strictEqual(stopAtEnclosingClose('log("}"); // }\n  c();\n', js), undefined);
		});
	});

	describe('size', () => {
		it('stopAtBlankRun: two blank lines end a suggestion', () => {
			assert.strictEqual(stopAtBlankRun('a()\n\n\nb()\n', at('def f():\n    |')), 'a()');
		});
		it('stopAtMaxLines caps the lines', () => {
			const ctx = { ...at('def f():\n    |'), maxLines: 2 };
			assert.strictEqual(stopAtMaxLines('a\nb\nc\nd\n', ctx), 'a\nb');
		});
	});

	describe('checkStop', () => {
		it('keeps going while no filter fires, and takes the shortest text when several do', () => {
			assert.deepStrictEqual(checkStop('a()\nb', at('def f():\n    |')), { text: 'a()\nb', stop: false });
			assert.deepStrictEqual(checkStop('print(items)\nprint(items)\n', at('def show(items):\n    |\n    print(items)\n')), { text: '', stop: true });
		});
	});
});
