/**
 * The one edit that inserts a documentation comment, or replaces the existing
 * one, for every supported language: the symbol found in the syntax tree, the
 * edit applied to the source, the whole result compared.
 */
import * as assert from 'assert';
import { buildDocCommentEdit, type DocCommentInput, type LineEdit } from '../../../client/src/docComment/edit';
import { findSymbolAt } from '../../../client/src/docComment/symbols';
import { parse } from './parse';

/** Applies a line/character edit to text whose lines end in `eol`. */
function applyEdit(text: string, edit: LineEdit, eol = '\n'): string {
	const lines = text.split(eol);
	const offset = (line: number, character: number): number =>
		lines.slice(0, line).reduce((sum, l) => sum + l.length + eol.length, 0) + character;
	return text.slice(0, offset(edit.startLine, edit.startCharacter)) + edit.newText + text.slice(offset(edit.endLine, edit.endCharacter));
}

interface Case {
	languageId: string;
	source: string[];
	/** Text on the line where the cursor is. */
	cursor: string;
	content: string;
	indentUnit?: string;
	eol?: string;
	tags?: boolean;
}

/** Finds the symbol in the syntax tree, builds the edit and applies it: the whole resulting document. */
async function document(c: Case): Promise<{ text: string; replaced: boolean }> {
	const eol = c.eol ?? '\n';
	const text = c.source.join(eol);
	const line = c.source.findIndex((l) => l.includes(c.cursor));
	assert.ok(line >= 0, `cursor text ${c.cursor} not found`);
	const src = await parse(text, c.languageId);
	const target = findSymbolAt(src, line);
	assert.ok(target, `no symbol at ${c.cursor}`);
	const input: DocCommentInput = {
		src,
		target,
		content: c.content,
		eol,
		indentUnit: c.indentUnit ?? '    ',
		tabSize: 4,
		tags: c.tags,
	};
	const result = buildDocCommentEdit(input);
	if (!result.ok) {
		assert.fail(result.message);
	}
	return { text: applyEdit(text, result.edit, eol), replaced: result.replaced };
}

describe('docComment/edit', () => {
	describe('TypeScript and JavaScript (JSDoc)', () => {
		it('documents a method inside a class inside a namespace, with tags from the signature', async () => {
			const result = await document({
				languageId: 'typescript',
				source: [
					'namespace Geometry {',
					'    export class Circle {',
					'        scale(factor: number, origin = ORIGIN, ...rest: Point[]): Circle {',
					'            return new Circle(this.r * factor);',
					'        }',
					'    }',
					'}',
				],
				cursor: 'return new Circle',
				content:
					'Returns a copy of the circle scaled by the given factor around the origin point, leaving this one unchanged.\n' +
					'@param factor How much larger the copy is.\n@param bogus Not a parameter.\n@returns The new circle.',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'namespace Geometry {',
				'    export class Circle {',
				'        /**',
				'         * Returns a copy of the circle scaled by the given factor around the',
				'         * origin point, leaving this one unchanged.',
				'         *',
				'         * @param factor How much larger the copy is.',
				'         * @param origin',
				'         * @param rest',
				'         * @returns The new circle.',
				'         */',
				'        scale(factor: number, origin = ORIGIN, ...rest: Point[]): Circle {',
				'            return new Circle(this.r * factor);',
				'        }',
				'    }',
				'}',
			]);
			assert.strictEqual(result.replaced, false);
		});

		it('replaces an existing JSDoc above the decorators instead of adding a second one', async () => {
			const source = [
				'class Panel {',
				'    /**',
				'     * Old text.',
				'     */',
				'    @bound',
				'    @log({ level: "debug" })',
				'    render(): void {',
				'        draw();',
				'    }',
				'}',
			];
			const expected = ['class Panel {', '    /** Draws the panel. */', '    @bound', '    @log({ level: "debug" })', '    render(): void {', '        draw();', '    }', '}'];
			const first = await document({ languageId: 'typescript', source, cursor: 'draw();', content: 'Draws the panel.\n@returns nothing' });
			assert.deepStrictEqual(first.text.split('\n'), expected);
			assert.strictEqual(first.replaced, true);
			// Running it again replaces again: still one comment.
			const again = await document({ languageId: 'typescript', source: expected, cursor: 'draw();', content: 'Draws the panel.' });
			assert.deepStrictEqual(again.text.split('\n'), expected);
		});

		it('replaces a JSDoc placed between a decorator and the class', async () => {
			const result = await document({
				languageId: 'typescriptreact',
				source: ['@Component()', '/** Old. */', 'export class View {', '    x = 1;', '}'],
				cursor: 'x = 1',
				content: 'A view.',
			});
			assert.deepStrictEqual(result.text.split('\n'), ['@Component()', '/** A view. */', 'export class View {', '    x = 1;', '}']);
		});

		it('keeps the model @returns in JavaScript (no types) and neutralises */', async () => {
			const result = await document({
				languageId: 'javascript',
				source: ['function strip(s, { keep }) {', '  return s.replace(/\\/\\*.*\\*\\//g, "");', '}'],
				cursor: 'return s.replace',
				content: 'Removes /* block */ comments.\n@returns {string} The text without comments.',
				indentUnit: '  ',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'/**',
				' * Removes /* block *\\/ comments.',
				' *',
				' * @param s',
				' * @returns {string} The text without comments.',
				' */',
				'function strip(s, { keep }) {',
				'  return s.replace(/\\/\\*.*\\*\\//g, "");',
				'}',
			]);
		});

		it('replaces a JSDoc separated by a blank line, but never a file header', async () => {
			const separated = await document({
				languageId: 'typescript',
				source: ['import x from "x";', '', '/** Old. */', '', 'export class Store {}'],
				cursor: 'export class Store',
				content: 'Holds state.',
			});
			assert.deepStrictEqual(separated.text.split('\n'), ['import x from "x";', '', '/** Holds state. */', 'export class Store {}']);
			const header = await document({
				languageId: 'typescript',
				source: ['/**', ' * @file Storage.', ' */', '', 'export class Store {}'],
				cursor: 'export class Store',
				content: 'Holds state.',
			});
			assert.deepStrictEqual(header.text.split('\n'), ['/**', ' * @file Storage.', ' */', '', '/** Holds state. */', 'export class Store {}']);
			assert.strictEqual(header.replaced, false);
		});

		it('leaves a plain block comment alone and drops @returns for a void function', async () => {
			const result = await document({
				languageId: 'typescript',
				source: ['/* eslint-disable */', 'export function reset(): void {', '    state.clear();', '}'],
				cursor: 'state.clear',
				content: 'Clears the state.\n@returns nothing',
			});
			assert.deepStrictEqual(result.text.split('\n'), ['/* eslint-disable */', '/** Clears the state. */', 'export function reset(): void {', '    state.clear();', '}']);
		});
		it('documents an arrow function whose value starts on the next line, with every parameter despite `>>`', async () => {
			const result = await document({
				languageId: 'typescript',
				source: ['export const select =', '    (state: State, shift = bits >> 2): Todo[] => {', '        return state.todos;', '    };'],
				cursor: 'return state',
				content: 'Selects the todos.',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'/**',
				' * Selects the todos.',
				' *',
				' * @param state',
				' * @param shift',
				' * @returns',
				' */',
				'export const select =',
				'    (state: State, shift = bits >> 2): Todo[] => {',
				'        return state.todos;',
				'    };',
			]);
		});

		it('refuses a symbol that starts after other code on its line: a comment there would document that code', async () => {
			const text = 'function a() { return 1; } function b() {\n    return 2;\n}';
			const src = await parse(text, 'typescript');
			const target = findSymbolAt(src, 1);
			assert.strictEqual(target?.name, 'b');
			const result = buildDocCommentEdit({ src, target, content: 'Returns two.', eol: '\n', indentUnit: '    ', tabSize: 4 });
			assert.deepStrictEqual(result, { ok: false, message: 'b starts after other code on line 1: move it to a line of its own to document it.' });
		});
	});

	describe('Python (docstrings)', () => {
		it('replaces the docstring of a method in a tab-indented class, one level deeper than the def', async () => {
			const result = await document({
				languageId: 'python',
				source: ['class Store:', '\tdef get(self, key, default=None):', '\t\t"""Old', '\t\tdocstring."""', '\t\treturn self.data.get(key, default)', ''],
				cursor: 'return self.data',
				content: '"""Returns the value stored under key, or default."""',
				indentUnit: '    ',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'class Store:',
				'\tdef get(self, key, default=None):',
				'\t\t"""Returns the value stored under key, or default."""',
				'\t\treturn self.data.get(key, default)',
				'',
			]);
			assert.strictEqual(result.replaced, true);
		});

		it('inserts into a decorated method with a multi-line signature, wrapping long text', async () => {
			const result = await document({
				languageId: 'python',
				source: [
					'class Api:',
					'    @route("/items",',
					'           methods=["GET"])',
					'    def list_items(self,',
					'                   limit: int = 10) -> list:',
					'        # fetch',
					'        return db.items(limit)',
				],
				cursor: 'db.items',
				content:
					'Lists the items in the database, at most limit of them, newest first.\n\nThe result is a list of dictionaries with "id" and "name" keys.',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'class Api:',
				'    @route("/items",',
				'           methods=["GET"])',
				'    def list_items(self,',
				'                   limit: int = 10) -> list:',
				'        """Lists the items in the database, at most limit of them, newest first.',
				'',
				'        The result is a list of dictionaries with "id" and "name" keys.',
				'        """',
				'        # fetch',
				'        return db.items(limit)',
			]);
		});

		it("splits a one-line def, using the file's two-space indentation", async () => {
			const result = await document({
				languageId: 'python',
				source: ['class A:', '  @property', '  def size(self): return len(self.items)  # cached', ''],
				cursor: 'def size',
				content: 'The number of items.',
				indentUnit: '    ',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'class A:',
				'  @property',
				'  def size(self):',
				'    """The number of items."""',
				'    return len(self.items)  # cached',
				'',
			]);
		});

		it('replaces the docstring of a one-line def', async () => {
			const result = await document({ languageId: 'python', source: ['def f(): "Old."', 'x = 1'], cursor: 'def f', content: 'New.' });
			assert.deepStrictEqual(result.text.split('\n'), ['def f():', '    """New."""', 'x = 1']);
			assert.strictEqual(result.replaced, true);
		});

		it('escapes quotes and backslashes, and does not take a string expression for a docstring', async () => {
			const result = await document({
				languageId: 'python',
				source: ['def join(parts):', '    "".join(parts)'],
				cursor: 'def join',
				content: 'Joins with """ quotes and a \\ backslash.',
			});
			assert.deepStrictEqual(result.text.split('\n'), ['def join(parts):', '    """Joins with \\"\\"\\" quotes and a \\\\ backslash."""', '    "".join(parts)']);
			assert.strictEqual(result.replaced, false);
		});

		it('replaces a class docstring at the end of the file', async () => {
			const result = await document({ languageId: 'python', source: ['class Empty:', "    '''Old.'''"], cursor: 'class Empty', content: 'Nothing here.' });
			assert.deepStrictEqual(result.text.split('\n'), ['class Empty:', '    """Nothing here."""']);
		});
	});

	describe('Java (Javadoc)', () => {
		it('documents an annotated method in a nested class, escaping HTML and replacing the old Javadoc', async () => {
			const result = await document({
				languageId: 'java',
				source: [
					'public class Outer {',
					'    static class Inner {',
					'        /** Old. */',
					'        @Override',
					'        public <T> List<T> copy(final List<T> items, int... extra) throws IOException {',
					'            return new ArrayList<>(items);',
					'        }',
					'    }',
					'}',
				],
				cursor: 'new ArrayList',
				content: 'Copies a List<T> into a new list & returns it.\n\nThe input is {@code List<T>} and stays unchanged.\n@return the copy',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'public class Outer {',
				'    static class Inner {',
				'        /**',
				'         * Copies a List&lt;T&gt; into a new list &amp; returns it.',
				'         *',
				'         * <p>The input is {@code List<T>} and stays unchanged.',
				'         *',
				'         * @param items',
				'         * @param extra',
				'         * @return the copy',
				'         */',
				'        @Override',
				'        public <T> List<T> copy(final List<T> items, int... extra) throws IOException {',
				'            return new ArrayList<>(items);',
				'        }',
				'    }',
				'}',
			]);
			assert.strictEqual(result.replaced, true);
		});

		it('writes no @return for constructors and void methods', async () => {
			const result = await document({
				languageId: 'java',
				source: ['class Box {', '    Box(int size) {', '        this.size = size;', '    }', '}'],
				cursor: 'this.size',
				content: 'Makes a box.\n@return a box',
			});
			assert.deepStrictEqual(result.text.split('\n'), ['class Box {', '    /**', '     * Makes a box.', '     *', '     * @param size', '     */', '    Box(int size) {', '        this.size = size;', '    }', '}']);
		});
	});

	describe('Rust (///)', () => {
		it('documents a function in an impl in a module, above its attributes, replacing old /// lines', async () => {
			const result = await document({
				languageId: 'rust',
				source: [
					'mod net {',
					'    impl Server {',
					'        /// Old line one.',
					'        /// Old line two.',
					'        #[inline]',
					"        pub fn name<'a>(&'a self) -> &'a str {",
					"            let brace = '}';",
					'            &self.name',
					'        }',
					'    }',
					'}',
				],
				cursor: 'let brace',
				content: "Returns the server's name.",
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'mod net {',
				'    impl Server {',
				"        /// Returns the server's name.",
				'        #[inline]',
				"        pub fn name<'a>(&'a self) -> &'a str {",
				"            let brace = '}';",
				'            &self.name',
				'        }',
				'    }',
				'}',
			]);
		});

		it('replaces doc comments both above and between the attributes with one comment', async () => {
			const result = await document({
				languageId: 'rust',
				source: ['/// Old.', '#[derive(Debug)]', '/** Older. */', 'pub enum Kind {', '    A,', '}'],
				cursor: 'A,',
				content: 'The kind.',
			});
			assert.deepStrictEqual(result.text.split('\n'), ['/// The kind.', '#[derive(Debug)]', 'pub enum Kind {', '    A,', '}']);
		});
	});

	describe('Go (// Name ...)', () => {
		it('replaces the comment of a method, starting it with the name and keeping a directive', async () => {
			const result = await document({
				languageId: 'go',
				source: ['package srv', '', '// old text', '//', '//go:noinline', 'func (s *Server) Start(ctx context.Context) error {', '\treturn nil', '}'],
				cursor: 'return nil',
				content: 'Starts listening and returns when the context is done.',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'package srv',
				'',
				'// Start starts listening and returns when the context is done.',
				'//',
				'//go:noinline',
				'func (s *Server) Start(ctx context.Context) error {',
				'\treturn nil',
				'}',
			]);
			assert.strictEqual(result.replaced, true);
		});

		it('inserts above a bare directive with a separator line', async () => {
			const result = await document({
				languageId: 'go',
				source: ['//go:noinline', 'func add(a, b int) int { return a + b }'],
				cursor: 'func add',
				content: 'Returns a plus b.',
			});
			assert.deepStrictEqual(result.text.split('\n'), ['// add returns a plus b.', '//', '//go:noinline', 'func add(a, b int) int { return a + b }']);
		});
	});

	describe('C# (/// XML)', () => {
		it('documents a method in a class in a namespace with summary, param and returns elements', async () => {
			const result = await document({
				languageId: 'csharp',
				source: [
					'namespace App',
					'{',
					'    public class Cache',
					'    {',
					'        /// <summary>Old.</summary>',
					'        [Obsolete("x")]',
					'        public async Task<int> CountAsync(string prefix, [NotNull] ref int @ref, int max = 10)',
					'        {',
					'            return 0;',
					'        }',
					'    }',
					'}',
				],
				cursor: 'return 0',
				content: '/// <summary>\n/// Counts keys with a prefix & <see cref="Cache"/> rules.\n/// </summary>\n/// <param name="max">Upper bound.</param>',
			});
			assert.deepStrictEqual(result.text.split('\n'), [
				'namespace App',
				'{',
				'    public class Cache',
				'    {',
				'        /// <summary>',
				'        /// Counts keys with a prefix &amp; <see cref="Cache"/> rules.',
				'        /// </summary>',
				'        /// <param name="prefix"></param>',
				'        /// <param name="ref"></param>',
				'        /// <param name="max">Upper bound.</param>',
				'        /// <returns></returns>',
				'        [Obsolete("x")]',
				'        public async Task<int> CountAsync(string prefix, [NotNull] ref int @ref, int max = 10)',
				'        {',
				'            return 0;',
				'        }',
				'    }',
				'}',
			]);
		});

		it('replaces a C# comment separated by a blank line at the top of the file', async () => {
			const result = await document({
				languageId: 'csharp',
				source: ['/// <summary>Old</summary>', '', '[Serializable]', 'public record Person(string First, string Last);'],
				cursor: 'record Person',
				content: 'A person.',
			});
			assert.deepStrictEqual(result.text.split('\n'), ['/// <summary>', '/// A person.', '/// </summary>', '[Serializable]', 'public record Person(string First, string Last);']);
		});

		it('keeps CRLF line endings and writes no tags when tags are off', async () => {
			const result = await document({
				languageId: 'csharp',
				source: ['class C', '{', '    void Run(int n) { }', '}'],
				cursor: 'void Run',
				content: 'Runs n times.',
				eol: '\r\n',
				tags: false,
			});
			assert.strictEqual(result.text, ['class C', '{', '    /// <summary>', '    /// Runs n times.', '    /// </summary>', '    void Run(int n) { }', '}'].join('\r\n'));
		});
	});
});
