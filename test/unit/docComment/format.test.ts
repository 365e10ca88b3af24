/**
 * Documentation comments from the model's text: cleaning and neutralising
 * the text, wrapping, lists and code, tags from the signature.
 */
import * as assert from 'assert';
import { cleanModelText, formatDocComment, goLead, wrapText } from '../../../client/src/docComment/format';

describe('docComment/format', () => {
	describe('cleaning the model text', () => {
		it('strips a JSDoc block the model wrote, and the code it echoed after it', () => {
			const raw = '/**\n * Adds two numbers.\n *\n * @param a first\n */\nfunction add(a, b) {';
			assert.strictEqual(cleanModelText(raw, 'jsdoc'), 'Adds two numbers.\n\n@param a first');
		});

		it('strips line comment markers, docstring quotes, code fences and a preamble', () => {
			assert.strictEqual(cleanModelText('/// Goes.\n/// Fast.\nfn go() {}', 'rustdoc'), 'Goes.\nFast.');
			assert.strictEqual(cleanModelText('"""Returns one.\n\n    More.\n    """\ndef f(): ...', 'docstring'), 'Returns one.\n\nMore.');
			assert.strictEqual(cleanModelText('```go\n// Run runs.\n```', 'godoc'), 'Run runs.');
			assert.strictEqual(cleanModelText('Here is the comment:\n/** Parses it. */', 'jsdoc'), 'Parses it.');
			assert.strictEqual(cleanModelText('<summary>\nCounts.\n</summary>', 'csharpxml'), 'Counts.');
		});

		it('drops control characters and bidirectional overrides, and turns line separators into new lines', () => {
			assert.strictEqual(cleanModelText('Safe\u202Etxt.exe\u0007 text\u2028evil();', 'rustdoc'), 'Safetxt.exe text\nevil();');
		});
	});

	describe('formatting', () => {
		it('wraps prose at 80 columns minus the indentation, without starting a line with @', () => {
			const text = 'word '.repeat(30).trim();
			const lines = formatDocComment(text, { style: 'rustdoc', indent: ' '.repeat(16), tabSize: 4, name: 'f' });
			assert.ok(lines.every((l) => l.length <= 80));
			assert.deepStrictEqual(lines, [
				`${' '.repeat(16)}/// ${'word '.repeat(12).trim()}`,
				`${' '.repeat(16)}/// ${'word '.repeat(12).trim()}`,
				`${' '.repeat(16)}/// ${'word '.repeat(6).trim()}`,
			]);
			assert.deepStrictEqual(wrapText('use the @Override annotation', 12, 'javadoc'), ['use the @Override', 'annotation']);
		});

		it('keeps lists, headings and code blocks apart from paragraphs', () => {
			const text = 'Runs the jobs.\n\n# Errors\nFails when:\n- the queue is closed\n- a job panics\n\n```\nrun(&q);\n```';
			assert.deepStrictEqual(formatDocComment(text, { style: 'rustdoc', indent: '', tabSize: 4, name: 'run' }), [
				'/// Runs the jobs.',
				'///',
				'/// # Errors',
				'/// Fails when:',
				'/// - the queue is closed',
				'/// - a job panics',
				'///',
				'/// ```',
				'/// run(&q);',
				'/// ```',
			]);
		});

		it('neutralises comment terminators in every style', () => {
			const text = 'Ends with */ and """ and \\d and <b>&.';
			const fmt = (style: Parameters<typeof formatDocComment>[1]['style']): string[] =>
				formatDocComment(text, { style, indent: '', tabSize: 4, name: 'x' });
			assert.deepStrictEqual(fmt('jsdoc'), ['/** Ends with *\\/ and """ and \\d and <b>&. */']);
			assert.deepStrictEqual(fmt('javadoc'), ['/** Ends with *&#47; and """ and \\d and &lt;b&gt;&amp;. */']);
			assert.deepStrictEqual(fmt('docstring'), ['"""Ends with */ and \\"\\"\\" and \\\\d and <b>&."""']);
			assert.deepStrictEqual(fmt('csharpxml'), ['/// <summary>', '/// Ends with */ and """ and \\d and &lt;b&gt;&amp;.', '/// </summary>']);
		});

		it('escapes a docstring that ends in a quote so it cannot close early', () => {
			assert.deepStrictEqual(formatDocComment('Returns "x"', { style: 'docstring', indent: '    ', tabSize: 4, name: 'f' }), ['    """Returns "x\\""""']);
		});

		it('starts a Go comment with the name it documents', () => {
			assert.strictEqual(goLead('Returns the sum.', 'Add'), 'Add returns the sum.');
			assert.strictEqual(goLead('This function adds numbers.', 'Add'), 'Add adds numbers.');
			assert.strictEqual(goLead('Add sums its arguments.', 'Add'), 'Add sums its arguments.');
			assert.strictEqual(goLead('A Server serves.', 'Server'), 'A Server serves.');
			assert.strictEqual(goLead('HTTP handler for uploads.', 'Upload'), 'Upload HTTP handler for uploads.');
			assert.strictEqual(goLead('A point in the plane.', 'Point'), 'Point is a point in the plane.');
		});

		it('fails clearly when the model wrote no text', () => {
			assert.throws(() => formatDocComment('/** */', { style: 'jsdoc', indent: '', tabSize: 4, name: 'f' }), /The model returned no documentation text\./);
			// A @returns for a function that returns nothing is dropped, which leaves nothing.
			const noReturn = { params: [], returns: 'no' as const };
			assert.throws(() => formatDocComment('@returns nothing', { style: 'jsdoc', indent: '', tabSize: 4, name: 'f', signature: noReturn }), /no documentation text/);
		});

		it('takes the " * " off lines the model wrote from inside a block comment', () => {
			assert.strictEqual(cleanModelText('Returns the distance\n * between two points.\n *\n * @param a first', 'jsdoc'), 'Returns the distance\nbetween two points.\n\n@param a first');
			// Markdown bullets in a docstring are not comment stars.
			assert.strictEqual(cleanModelText('Items:\n* one\n* two', 'docstring'), 'Items:\n* one\n* two');
		});

		it('writes a comment of tags alone when the model wrote no prose', () => {
			const lines = formatDocComment('@param {number} a The first.\n * @see other', {
				style: 'jsdoc',
				indent: '',
				tabSize: 4,
				name: 'f',
				signature: { params: ['a'], returns: 'no' },
			});
			assert.deepStrictEqual(lines, ['/**', ' * @param {number} a The first.', ' * @see other', ' */']);
		});
	});
});
