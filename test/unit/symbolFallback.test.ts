/**
 * The fallback that finds the function, method or class around the cursor
 * without a language server: declaration patterns per language, ends by
 * brace matching (braces in strings, comments, regexes and char literals
 * ignored) or by Python indentation.
 */
import * as assert from 'assert';
import { scanCode } from '../../client/src/commands/codeScan';
import { findSymbolAt, normaliseSymbolSpan, type SymbolSpan } from '../../client/src/commands/symbolFallback';

/** Line index of the only line containing `needle`. */
function lineOf(text: string, needle: string): number {
	const lines = text.split('\n');
	const hits = lines.flatMap((l, i) => (l.includes(needle) ? [i] : []));
	assert.strictEqual(hits.length, 1, `needle ${JSON.stringify(needle)} must be on exactly one line`);
	return hits[0];
}

/** Expected span, lines given by unique text on them. */
function span(text: string, name: string, kind: SymbolSpan['kind'], start: string, declaration: string, end: string): SymbolSpan {
	return { name, kind, startLine: lineOf(text, start), declarationLine: lineOf(text, declaration), endLine: lineOf(text, end) };
}

function at(text: string, languageId: string, cursor: string): SymbolSpan | undefined {
	return findSymbolAt(text, lineOf(text, cursor), languageId);
}

describe('codeScan', () => {
	/** `n` spaces: what a masked string or comment of n characters becomes. */
	const _ = (n: number): string => ' '.repeat(n);

	it('blanks strings, comments, template literals and regexes, keeping offsets and lines', () => {
		const src = 'const a = "{"; // }\nconst b = `x${ {y: "}"} }z` + /[{]/g.source; /* { */ f({});\n';
		const scan = scanCode(src, 'typescript');
		assert.deepStrictEqual(scan.maskedLines, [`const a = ${_(3)}; ${_(4)}`, `const b = ${_(17)} + ${_(6)}.source; ${_(7)} f({});`, '']);
		assert.strictEqual(scan.masked.length, src.length);
	});

	it('marks lines that begin inside a multi-line string or comment', () => {
		const src = 'x = """\n{\n"""\n# }\ny = 1\n';
		assert.deepStrictEqual(scanCode(src, 'python').continued, [false, true, true, false, false, false]);
	});

	it('tells Rust lifetimes from char literals, and reads raw strings', () => {
		const src = "fn f<'a>(x: &'a str) -> char { let c = '{'; let s = r#\"}\"#; c }";
		assert.strictEqual(scanCode(src, 'rust').masked, `fn f<'a>(x: &'a str) -> char { let c = ${_(3)}; let s = ${_(6)}; c }`);
	});

	it('reads C# verbatim strings and Go raw strings', () => {
		assert.strictEqual(scanCode('var s = @"a""}";', 'csharp').masked, `var s = @${_(6)};`);
		assert.strictEqual(scanCode('s := `}\n{` + "x"', 'go').masked, `s := ${_(2)}\n${_(2)} + ${_(3)}`);
	});
});

describe('symbolFallback', () => {
	describe('Python', () => {
		const src = [
			'import os',
			'',
			'class Greeter:',
			'    """Says hello."""',
			'',
			'    @staticmethod',
			'    @cache(size=10,',
			'           key="}")',
			'    def hello(name: str,',
			'              greeting: str = "hi(") -> str:',
			'        text = """',
			'x = {',
			'"""',
			'        return f"{greeting} {name}" + text',
			'',
			'    def bye(self): return 1',
			'',
			'    # helper for top',
			'async def top():',
			'    pass',
			'',
		].join('\n');

		it('finds a decorated method with a multi-line signature and a column-0 string in its body', () => {
			const expected = span(src, 'hello', 'function', '@staticmethod', 'def hello', 'return f"');
			assert.deepStrictEqual(at(src, 'python', 'x = {'), expected);
			assert.deepStrictEqual(at(src, 'python', 'greeting: str'), expected);
			assert.deepStrictEqual(at(src, 'python', 'key="}"'), expected);
		});

		it('treats a cursor on a decorator as the declaration below it', () => {
			assert.deepStrictEqual(at(src, 'python', '@staticmethod'), span(src, 'hello', 'function', '@staticmethod', 'def hello', 'return f"'));
		});

		it('finds the class from a blank line between its methods, and a one-line method', () => {
			assert.deepStrictEqual(findSymbolAt(src, lineOf(src, 'return f"') + 1, 'python'), span(src, 'Greeter', 'class', 'class Greeter', 'class Greeter', 'def bye'));
			assert.deepStrictEqual(at(src, 'python', 'def bye'), span(src, 'bye', 'function', 'def bye', 'def bye', 'def bye'));
		});

		it('moves from a comment to the declaration under it, and finds async functions', () => {
			assert.deepStrictEqual(at(src, 'python', '# helper'), span(src, 'top', 'function', 'async def top', 'async def top', 'pass'));
		});

		it('finds nothing outside every definition', () => {
			assert.strictEqual(at(src, 'python', 'import os'), undefined);
		});
	});

	describe('Java', () => {
		const src = [
			'package a;',
			'',
			'/** Doc. */',
			'@Service',
			'public class Repo<T> implements Store {',
			'    @Override',
			'    @SuppressWarnings({"unchecked", "rawtypes"})',
			'    public <K> Map<K, List<T>> find(',
			'            final K key,',
			'            String... rest) throws IOException {',
			'        String s = "}{";',
			"        char c = '}';",
			'        if (key == null) { return null; }',
			'        return map.get(key);',
			'    }',
			'',
			'    Repo(int size) {',
			'        this.size = size;',
			'    }',
			'',
			'    abstract void run();',
			'}',
		].join('\n');

		it('finds an annotated generic method with a multi-line signature despite braces in strings', () => {
			const expected = span(src, 'find', 'function', '@Override', 'public <K>', '        return map.get(key);');
			const result = at(src, 'java', 'char c');
			// The method ends on the line after `return map.get(key);`.
			assert.deepStrictEqual(result, { ...expected, endLine: expected.endLine + 1 });
			assert.deepStrictEqual(at(src, 'java', 'if (key == null)'), result);
		});

		it('finds constructors, abstract methods and the class around them', () => {
			assert.deepStrictEqual(at(src, 'java', 'this.size'), {
				...span(src, 'Repo', 'function', 'Repo(int size)', 'Repo(int size)', 'this.size'),
				endLine: lineOf(src, 'this.size') + 1,
			});
			assert.deepStrictEqual(at(src, 'java', 'abstract void run'), span(src, 'run', 'function', 'abstract void', 'abstract void', 'abstract void'));
			assert.deepStrictEqual(at(src, 'java', '/** Doc. */'), { ...span(src, 'Repo', 'class', '@Service', 'public class Repo', 'abstract void'), endLine: src.split('\n').length - 1 });
		});
	});

	describe('Rust', () => {
		const src = [
			'mod net {',
			'    impl Server {',
			'        /// Starts it.',
			'        #[inline]',
			'        #[cfg(feature = "x")]',
			"        pub async fn start<'a>(&self, name: &'a str) -> Result<(), Error>",
			'        where',
			'            Self: Sized,',
			'        {',
			"            let open = '{';",
			'            let raw = r#"}}"#;',
			'            Ok(())',
			'        }',
			'    }',
			'',
			'    pub trait Run {',
			'        fn run(&self);',
			'    }',
			'',
			'    pub struct Unit;',
			'}',
		].join('\n');

		it('finds a function with attributes, lifetimes, a where clause and braces in literals', () => {
			assert.deepStrictEqual(at(src, 'rust', 'let raw'), {
				...span(src, 'start', 'function', '#[inline]', 'pub async fn start', 'Ok(())'),
				endLine: lineOf(src, 'Ok(())') + 1,
			});
		});

		it('finds trait methods without a body and unit structs', () => {
			assert.deepStrictEqual(at(src, 'rust', 'fn run(&self);'), span(src, 'run', 'function', 'fn run', 'fn run', 'fn run'));
			assert.deepStrictEqual(at(src, 'rust', 'pub struct Unit;'), span(src, 'Unit', 'class', 'pub struct Unit', 'pub struct Unit', 'pub struct Unit'));
		});

		it('does not treat an impl block as a documentable symbol', () => {
			assert.strictEqual(at(src, 'rust', 'impl Server'), undefined);
		});
	});

	describe('TypeScript and JavaScript', () => {
		const src = [
			'export namespace Shapes {',
			'    export class Circle {',
			'        @memo()',
			'        area(scale = 1): { value: number } {',
			'            const label = `r=${this.r} }`;',
			'            const re = /[}{]/g;',
			'            return { value: Math.PI * this.r ** 2 * scale };',
			'        }',
			'    }',
			'}',
			'',
			'export const parse = async (',
			'    text: string,',
			'): Promise<number> => {',
			'    return Number(text);',
			'}; // parse',
			'',
			'const double = (n) => n * 2',
			'const notAFunction = (1 + 2);',
			'function overload(a: string): void;',
			'const handlers = {',
			'    onClick(event) {',
			'        go(event);',
			'    },',
			'};',
		].join('\n');

		it('finds a decorated method whose return type is an object literal, ignoring braces in templates and regexes', () => {
			const expected = span(src, 'area', 'function', '@memo()', 'area(scale', 'return { value');
			assert.deepStrictEqual(at(src, 'typescript', 'const re'), { ...expected, endLine: expected.endLine + 1 });
		});

		it('finds arrow functions with multi-line parameters and expression bodies', () => {
			assert.deepStrictEqual(at(src, 'typescript', 'return Number'), span(src, 'parse', 'function', 'export const parse', 'export const parse', '}; // parse'));
			assert.deepStrictEqual(at(src, 'javascript', 'const double'), span(src, 'double', 'function', 'const double', 'const double', 'const double'));
		});

		it('does not take a parenthesised value or a call for a function', () => {
			assert.strictEqual(at(src, 'typescript', 'notAFunction'), undefined);
			assert.deepStrictEqual(at(src, 'javascript', 'go(event)'), span(src, 'onClick', 'function', 'onClick(event)', 'onClick(event)', '    },'));
		});

		it('finds overload signatures', () => {
			assert.deepStrictEqual(at(src, 'typescript', 'function overload'), span(src, 'overload', 'function', 'function overload', 'function overload', 'function overload'));
		});
	});

	describe('Go', () => {
		const src = [
			'package srv',
			'',
			'type Server struct {',
			'\tname string',
			'}',
			'',
			'// Start runs it.',
			'func (s *Server) Start(',
			'\tctx context.Context,',
			') (int, error) {',
			'\tq := `}`',
			'\treturn len(q), nil',
			'}',
		].join('\n');

		it('finds methods with receivers and multi-line parameters, and struct types', () => {
			assert.deepStrictEqual(at(src, 'go', 'return len'), {
				...span(src, 'Start', 'function', 'func (s', 'func (s', 'return len'),
				endLine: lineOf(src, 'return len') + 1,
			});
			assert.deepStrictEqual(at(src, 'go', 'name string'), {
				...span(src, 'Server', 'class', 'type Server', 'type Server', 'name string'),
				endLine: lineOf(src, 'name string') + 1,
			});
			assert.deepStrictEqual(at(src, 'go', '// Start runs it.'), at(src, 'go', 'ctx context'));
		});
	});

	describe('C#', () => {
		const src = [
			'namespace App',
			'{',
			'    [Serializable]',
			'    public sealed class Cache<T> : IDisposable',
			'    {',
			'        public Cache(int size) : base(size)',
			'        {',
			'            var path = @"C:\\{dir}";',
			'        }',
			'',
			'        [Obsolete("use Get")]',
			'        public async Task<T?> FetchAsync<TKey>(TKey key) where TKey : notnull',
			'        {',
			'            return default;',
			'        }',
			'',
			'        public int Count() => items.Count;',
			'    }',
			'}',
		].join('\n');

		it('finds Allman-style members with attributes, constraints and constructors', () => {
			assert.deepStrictEqual(at(src, 'csharp', 'return default'), {
				...span(src, 'FetchAsync', 'function', '[Obsolete', 'public async Task', 'return default'),
				endLine: lineOf(src, 'return default') + 1,
			});
			assert.deepStrictEqual(at(src, 'csharp', 'var path'), {
				...span(src, 'Cache', 'function', 'public Cache(int size)', 'public Cache(int size)', 'var path'),
				endLine: lineOf(src, 'var path') + 1,
			});
		});

		it('finds expression-bodied members and the class', () => {
			assert.deepStrictEqual(at(src, 'csharp', 'public int Count'), span(src, 'Count', 'function', 'public int Count', 'public int Count', 'public int Count'));
			assert.deepStrictEqual(findSymbolAt(src, lineOf(src, 'var path') + 2, 'csharp'), {
				...span(src, 'Cache', 'class', '[Serializable]', 'public sealed class', 'public int Count'),
				endLine: lineOf(src, 'public int Count') + 1,
			});
		});
	});

	it('has no fallback for other languages', () => {
		assert.strictEqual(findSymbolAt('def f():\n    pass\n', 0, 'ruby'), undefined);
	});

	describe('normaliseSymbolSpan', () => {
		const src = ['class A:', '    # note', '    @property', '    def f(self):', '        return 1', ''].join('\n');

		it('adds decorators a provider left out and skips a leading comment it included', () => {
			const expected = { startLine: 2, declarationLine: 3, endLine: 4 };
			assert.deepStrictEqual(normaliseSymbolSpan(src, 'python', { startLine: 3, endLine: 4, nameLine: 3 }), expected);
			assert.deepStrictEqual(normaliseSymbolSpan(src, 'python', { startLine: 1, endLine: 4 }), expected);
		});
	});
});
