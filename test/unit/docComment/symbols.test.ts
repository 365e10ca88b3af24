/**
 * The function, method or class around a line, from the syntax tree:
 * declarations per grammar, decorators, annotations and attributes included
 * in the span, trailing comments not; and the parameters the signature
 * declares. The cases under "what the regular expressions got wrong" are
 * ones the hand-written scanner this replaced answered wrongly.
 */
import * as assert from 'assert';
import { findSymbolAt, matchProviderSymbol, signatureOf, type SymbolSpan } from '../../../client/src/docComment/symbols';
import { parse } from './parse';

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

/** The symbol at `line`, as a plain span. */
async function symbolAt(text: string, line: number, languageId: string): Promise<SymbolSpan | undefined> {
	const s = findSymbolAt(await parse(text, languageId), line);
	return s && { name: s.name, kind: s.kind, startLine: s.startLine, declarationLine: s.declarationLine, endLine: s.endLine };
}

function at(text: string, languageId: string, cursor: string): Promise<SymbolSpan | undefined> {
	return symbolAt(text, lineOf(text, cursor), languageId);
}

/** The parameter names the signature of the symbol at `cursor` declares. */
async function params(text: string, languageId: string, cursor: string): Promise<string[] | undefined> {
	const src = await parse(text, languageId);
	const s = findSymbolAt(src, lineOf(text, cursor));
	return s && signatureOf(src, s).params;
}

describe('docComment/symbols', () => {
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

		it('finds a decorated method with a multi-line signature and a column-0 string in its body', async () => {
			const expected = span(src, 'hello', 'function', '@staticmethod', 'def hello', 'return f"');
			assert.deepStrictEqual(await at(src, 'python', 'x = {'), expected);
			assert.deepStrictEqual(await at(src, 'python', 'greeting: str'), expected);
			assert.deepStrictEqual(await at(src, 'python', 'key="}"'), expected);
		});

		it('treats a cursor on a decorator as the declaration below it', async () => {
			assert.deepStrictEqual(await at(src, 'python', '@staticmethod'), span(src, 'hello', 'function', '@staticmethod', 'def hello', 'return f"'));
		});

		it('finds the class from a blank line between its methods, and a one-line method', async () => {
			assert.deepStrictEqual(await symbolAt(src, lineOf(src, 'return f"') + 1, 'python'), span(src, 'Greeter', 'class', 'class Greeter', 'class Greeter', 'def bye'));
			assert.deepStrictEqual(await at(src, 'python', 'def bye'), span(src, 'bye', 'function', 'def bye', 'def bye', 'def bye'));
		});

		it('moves from a comment to the declaration under it, and finds async functions', async () => {
			assert.deepStrictEqual(await at(src, 'python', '# helper'), span(src, 'top', 'function', 'async def top', 'async def top', 'pass'));
		});

		it('finds nothing outside every definition', async () => {
			assert.strictEqual(await at(src, 'python', 'import os'), undefined);
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

		it('finds an annotated generic method with a multi-line signature despite braces in strings', async () => {
			const expected = span(src, 'find', 'function', '@Override', 'public <K>', '        return map.get(key);');
			const result = await at(src, 'java', 'char c');
			// The method ends on the line after `return map.get(key);`.
			assert.deepStrictEqual(result, { ...expected, endLine: expected.endLine + 1 });
			assert.deepStrictEqual(await at(src, 'java', 'if (key == null)'), result);
		});

		it('finds constructors, abstract methods and the class around them', async () => {
			assert.deepStrictEqual(await at(src, 'java', 'this.size'), {
				...span(src, 'Repo', 'function', 'Repo(int size)', 'Repo(int size)', 'this.size'),
				endLine: lineOf(src, 'this.size') + 1,
			});
			assert.deepStrictEqual(await at(src, 'java', 'abstract void run'), span(src, 'run', 'function', 'abstract void', 'abstract void', 'abstract void'));
			assert.deepStrictEqual(await at(src, 'java', '/** Doc. */'), { ...span(src, 'Repo', 'class', '@Service', 'public class Repo', 'abstract void'), endLine: src.split('\n').length - 1 });
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

		it('finds a function with attributes, lifetimes, a where clause and braces in literals', async () => {
			assert.deepStrictEqual(await at(src, 'rust', 'let raw'), {
				...span(src, 'start', 'function', '#[inline]', 'pub async fn start', 'Ok(())'),
				endLine: lineOf(src, 'Ok(())') + 1,
			});
		});

		it('finds trait methods without a body and unit structs', async () => {
			assert.deepStrictEqual(await at(src, 'rust', 'fn run(&self);'), span(src, 'run', 'function', 'fn run', 'fn run', 'fn run'));
			assert.deepStrictEqual(await at(src, 'rust', 'pub struct Unit;'), span(src, 'Unit', 'class', 'pub struct Unit', 'pub struct Unit', 'pub struct Unit'));
		});

		it('does not treat an impl block as a documentable symbol', async () => {
			assert.strictEqual(await at(src, 'rust', 'impl Server'), undefined);
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

		it('finds a decorated method whose return type is an object literal, ignoring braces in templates and regexes', async () => {
			const expected = span(src, 'area', 'function', '@memo()', 'area(scale', 'return { value');
			assert.deepStrictEqual(await at(src, 'typescript', 'const re'), { ...expected, endLine: expected.endLine + 1 });
		});

		it('finds arrow functions with multi-line parameters and expression bodies', async () => {
			assert.deepStrictEqual(await at(src, 'typescript', 'return Number'), span(src, 'parse', 'function', 'export const parse', 'export const parse', '}; // parse'));
			assert.deepStrictEqual(await at(src, 'javascript', 'const double'), span(src, 'double', 'function', 'const double', 'const double', 'const double'));
		});

		it('does not take a parenthesised value or a call for a function', async () => {
			assert.strictEqual(await at(src, 'typescript', 'notAFunction'), undefined);
			assert.deepStrictEqual(await at(src, 'javascript', 'go(event)'), span(src, 'onClick', 'function', 'onClick(event)', 'onClick(event)', '    },'));
		});

		it('finds overload signatures', async () => {
			assert.deepStrictEqual(await at(src, 'typescript', 'function overload'), span(src, 'overload', 'function', 'function overload', 'function overload', 'function overload'));
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

		it('finds methods with receivers and multi-line parameters, and struct types', async () => {
			assert.deepStrictEqual(await at(src, 'go', 'return len'), {
				...span(src, 'Start', 'function', 'func (s', 'func (s', 'return len'),
				endLine: lineOf(src, 'return len') + 1,
			});
			assert.deepStrictEqual(await at(src, 'go', 'name string'), {
				...span(src, 'Server', 'class', 'type Server', 'type Server', 'name string'),
				endLine: lineOf(src, 'name string') + 1,
			});
			assert.deepStrictEqual(await at(src, 'go', '// Start runs it.'), await at(src, 'go', 'ctx context'));
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

		it('finds Allman-style members with attributes, constraints and constructors', async () => {
			assert.deepStrictEqual(await at(src, 'csharp', 'return default'), {
				...span(src, 'FetchAsync', 'function', '[Obsolete', 'public async Task', 'return default'),
				endLine: lineOf(src, 'return default') + 1,
			});
			assert.deepStrictEqual(await at(src, 'csharp', 'var path'), {
				...span(src, 'Cache', 'function', 'public Cache(int size)', 'public Cache(int size)', 'var path'),
				endLine: lineOf(src, 'var path') + 1,
			});
		});

		it('finds expression-bodied members and the class', async () => {
			assert.deepStrictEqual(await at(src, 'csharp', 'public int Count'), span(src, 'Count', 'function', 'public int Count', 'public int Count', 'public int Count'));
			assert.deepStrictEqual(await symbolAt(src, lineOf(src, 'var path') + 2, 'csharp'), {
				...span(src, 'Cache', 'class', '[Serializable]', 'public sealed class', 'public int Count'),
				endLine: lineOf(src, 'public int Count') + 1,
			});
		});
	});

	it('has no grammar for other languages, and says so', async () => {
		await assert.rejects(parse('def f\n  1\nend\n', 'ruby'), /No tree-sitter grammar for Ruby\./);
	});

	describe('what the regular expressions got wrong', () => {
		it('finds an arrow function whose value starts on the line after `=` (as formatters break long ones)', async () => {
			const src = ['export const selectVisible =', '    (state: State, filter: Filter): Todo[] => {', '        return state.todos;', '    };'].join('\n');
			assert.deepStrictEqual(await at(src, 'typescript', 'return state'), span(src, 'selectVisible', 'function', 'export const', 'export const', '    };'));
			assert.deepStrictEqual(await params(src, 'typescript', 'return state'), ['state', 'filter']);
		});

		it('reads every parameter when defaults hold `>>` or `<` beside generics', async () => {
			const ts = ['function f(a: Map<string, Set<number>>, b = flags >> 2, c = x < y, d = 1): void {', '    go();', '}'].join('\n');
			assert.deepStrictEqual(await params(ts, 'typescript', 'go()'), ['a', 'b', 'c', 'd']);
			const cs = ['class A', '{', '    Dictionary<string, List<int>> Build(Func<int, List<List<int>>> f, int n = 1 >> 2, int m = 0)', '    {', '        return null;', '    }', '}'].join('\n');
			assert.deepStrictEqual(await params(cs, 'csharp', 'return null'), ['f', 'n', 'm']);
		});

		it('ends a TSX function at its own brace when JSX text holds an apostrophe', async () => {
			const src = ['export function Card({ title }: Props) {', '    return (', "        <p>It's {", '            title', '        }</p>', '    );', '}', 'function Next() {', '    return null;', '}'].join('\n');
			const card = { name: 'Card', kind: 'function' as const, startLine: 0, declarationLine: 0, endLine: 6 };
			assert.deepStrictEqual(await at(src, 'typescriptreact', '    );'), card);
			assert.deepStrictEqual(await symbolAt(src, 6, 'typescriptreact'), card);
		});

		it('sees no function inside a Rust macro definition', async () => {
			const src = ['macro_rules! make {', '    () => {', '        fn generated() {', '            todo!()', '        }', '    };', '}'].join('\n');
			assert.strictEqual(await at(src, 'rust', 'todo!()'), undefined);
		});

		it('finds a declaration that starts after other code on its line', async () => {
			const src = ['function a() { return 1; } function b() {', '    return 2;', '}'].join('\n');
			assert.deepStrictEqual(await at(src, 'typescript', 'return 2'), { name: 'b', kind: 'function', startLine: 0, declarationLine: 0, endLine: 2 });
		});
	});

	describe('cases the issue named, which the regular expressions answered right too', () => {
		it('nested classes', async () => {
			const java = ['public class Outer {', '    static class Inner {', '        int x;', '    }', '    void after() { }', '}'].join('\n');
			assert.deepStrictEqual(await at(java, 'java', 'int x'), { name: 'Inner', kind: 'class', startLine: 1, declarationLine: 1, endLine: 3 });
			assert.deepStrictEqual(await at(java, 'java', 'void after'), { name: 'after', kind: 'function', startLine: 4, declarationLine: 4, endLine: 4 });
			const py = ['class Outer:', '    class Inner:', '        x = 1', '', '    def after(self):', '        pass'].join('\n');
			assert.deepStrictEqual(await at(py, 'python', 'x = 1'), span(py, 'Inner', 'class', 'class Inner', 'class Inner', 'x = 1'));
			assert.deepStrictEqual(await symbolAt(py, 3, 'python'), span(py, 'Outer', 'class', 'class Outer', 'class Outer', 'pass'));
		});

		it('arrow functions assigned to a typed const, with generics', async () => {
			const src = ['const handler: Handler<Event> = async <T,>(event: T, n = a >> 1): Promise<void> => {', '    go(event);', '};'].join('\n');
			assert.deepStrictEqual(await at(src, 'typescript', 'go(event)'), { name: 'handler', kind: 'function', startLine: 0, declarationLine: 0, endLine: 2 });
			assert.deepStrictEqual(await params(src, 'typescript', 'go(event)'), ['event', 'n']);
		});

		it('Python functions with multi-line string defaults', async () => {
			const src = ['def fmt(template="""', 'def inner():', '    pass', '""", sep=":") -> str:', '    return template', '', 'x = 1'].join('\n');
			assert.deepStrictEqual(await at(src, 'python', '    pass'), span(src, 'fmt', 'function', 'def fmt', 'def fmt', 'return template'));
			assert.deepStrictEqual(await params(src, 'python', 'return template'), ['template', 'sep']);
		});

		it('Rust impl blocks with attributes, and `>>` in generics', async () => {
			const src = ['#[cfg(feature = "x")]', 'impl<T> Server<T> where T: Into<Vec<Vec<u8>>> {', '    #[inline]', '    pub fn start(&self, n: u8) -> Result<Vec<Vec<u8>>, E> {', '        todo!()', '    }', '}'].join('\n');
			assert.deepStrictEqual(await at(src, 'rust', 'todo!()'), { name: 'start', kind: 'function', startLine: 2, declarationLine: 3, endLine: 5 });
			assert.deepStrictEqual(await params(src, 'rust', 'todo!()'), ['n']);
			assert.strictEqual(await at(src, 'rust', 'impl<T>'), undefined);
		});
	});

	describe('matchProviderSymbol', () => {
		const text = ['class A:', '    # note', '    @property', '    def f(self):', '        return 1', ''].join('\n');

		it('adds decorators a provider left out and skips a leading comment it included', async () => {
			const src = await parse(text, 'python');
			const lines = (s: SymbolSpan | undefined) => s && { startLine: s.startLine, declarationLine: s.declarationLine, endLine: s.endLine };
			const expected = { startLine: 2, declarationLine: 3, endLine: 4 };
			assert.deepStrictEqual(lines(matchProviderSymbol(src, { name: 'f', startLine: 3, endLine: 4, nameLine: 3 })), expected);
			assert.deepStrictEqual(lines(matchProviderSymbol(src, { name: 'f', startLine: 1, endLine: 4 })), expected);
			// A provider's symbol the tree does not know by that name is not replaced by another.
			assert.strictEqual(matchProviderSymbol(src, { name: 'g', startLine: 3, endLine: 4, nameLine: 3 }), undefined);
		});
	});
});
