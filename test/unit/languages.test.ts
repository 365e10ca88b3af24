/**
 * The one language table (protocol/languages.ts): what both processes derive
 * from it, and that its doc-comment languages have what the feature needs.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { GRAMMARS } from '../../client/src/docComment/grammars';
import { docCommentStyle, knownLanguages, languageInfo, unsupportedDocCommentMessage } from '../../protocol/languages';

describe('languages', () => {
	it('maps each language id to its documentation comment style', () => {
		const ids = ['typescript', 'typescriptreact', 'javascript', 'javascriptreact', 'java', 'python', 'rust', 'csharp', 'go', 'ruby', 'plaintext'];
		assert.deepStrictEqual(
			ids.map((id) => docCommentStyle(id)),
			['jsdoc', 'jsdoc', 'jsdoc', 'jsdoc', 'javadoc', 'docstring', 'rustdoc', 'csharpxml', 'godoc', undefined, undefined],
		);
	});

	it('says which languages have a doc comment style, by their table names, in one message', () => {
		assert.strictEqual(
			unsupportedDocCommentMessage('ruby'),
			"Glassbox can't write documentation comments for Ruby files: it knows the comment styles of TypeScript, TypeScript React, JavaScript, JavaScript React, Python, Java, Rust, C# and Go.",
		);
		assert.match(unsupportedDocCommentMessage('some-new-lang'), /^Glassbox can't write documentation comments for some-new-lang files: /);
	});

	it('gives unknown ids a neutral record, and never reads inherited properties as languages', () => {
		assert.deepStrictEqual(languageInfo('cobol'), { id: 'cobol', name: 'cobol', templateGroup: 'line', blocks: 'braces' });
		assert.strictEqual(languageInfo('constructor').name, 'constructor');
		assert.strictEqual(languageInfo('toString').docComment, undefined);
	});

	it('has a tree-sitter grammar shipped by @vscode/tree-sitter-wasm for every doc-comment language', () => {
		const wasm = path.join(path.dirname(require.resolve('@vscode/tree-sitter-wasm')));
		for (const language of knownLanguages().filter((l) => l.docComment !== undefined)) {
			assert.ok(language.grammar, `${language.id} has a doc comment style but no grammar`);
			assert.ok(fs.existsSync(path.join(wasm, `tree-sitter-${language.grammar}.wasm`)), `no grammar file for ${language.id} (${language.grammar})`);
		}
	});

	it('ships exactly the grammars the table names, and reads each of them', () => {
		const ignore = fs.readFileSync(path.join(__dirname, '..', '..', '.vscodeignore'), 'utf8');
		const shipped = [...ignore.matchAll(/^!node_modules\/@vscode\/tree-sitter-wasm\/wasm\/tree-sitter-(.+)\.wasm$/gm)].map((m) => m[1]).sort();
		const named = [...new Set(knownLanguages().flatMap((l) => (l.grammar ? [l.grammar] : [])))].sort();
		assert.deepStrictEqual(shipped, named);
		assert.deepStrictEqual(Object.keys(GRAMMARS).sort(), named);
		assert.match(ignore, /^!node_modules\/@vscode\/tree-sitter-wasm\/wasm\/tree-sitter\.wasm$/m);
	});

	it('uses the language names the table gives, the React variants included', () => {
		assert.strictEqual(languageInfo('typescriptreact').name, 'TypeScript React');
		assert.strictEqual(languageInfo('python').templateGroup, 'python');
		assert.strictEqual(languageInfo('csharp').templateGroup, 'triple');
	});
});
