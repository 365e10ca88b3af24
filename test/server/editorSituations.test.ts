/**
 * Editor situations, table-driven, over LSP with the real embedded model.
 * Each case is a document with a cursor marker `|`; the test asks for an
 * inline completion there, applies the returned item (its range and text) to
 * the document the way an editor accepts it, and checks what a user would
 * notice: where a suggestion belongs at all, its first character, no
 * duplicate of the line below or of the closers right of the cursor, brackets
 * still balanced, Python that still parses (consistent indentation), no
 * U+FFFD, and a range of UTF-16 positions inside the cursor's line.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { InlineCompletionTriggerKind, type InlineCompletionList, type Range } from 'vscode-languageserver-protocol/node';
import { ServerHarness } from '../support/serverHarness';

interface Situation {
	name: string;
	language: 'python' | 'typescript' | 'javascript' | 'go';
	/** The document, with `|` at the cursor. */
	text: string;
	/** No suggestion belongs here. */
	none?: boolean;
	/** A suggestion is expected (the model reliably has one here). */
	some?: boolean;
	/** The suggestion's first character must match. */
	first?: RegExp;
	/** Python: the document parses once the suggestion is accepted. */
	parses?: boolean;
	/** An explicit request (Alt+\) instead of an automatic one. */
	invoke?: boolean;
	/** Ask at this character of the cursor's line instead of the marker's (beyond its end). */
	character?: number;
	/** The suggest widget's selected item: the word before the cursor replaced by this text. */
	selected?: string;
}

const SITUATIONS: Situation[] = [
	// ---- Python ----
	{
		name: 'python: blank indented line inside a function body',
		language: 'python',
		text: 'def total(xs):\n    result = 0\n    |\n    return result\n',
		first: /\S/,
		parses: true,
	},
	{
		name: 'python: blank line above `print(items)` gets no second `print(items)`',
		language: 'python',
		text: 'def show(items):\n    items.sort()\n    |\n    print(items)\n',
		parses: true,
	},
	{
		name: 'python: end of a `def` line: a body, not a sibling',
		language: 'python',
		text: 'import os\n\n\ndef read_lines(path):|\n\n\ndef main():\n    pass\n',
		some: true,
		parses: true,
	},
	{
		name: 'python: blank line at column 0 below an `if`',
		language: 'python',
		text: 'def check(value):\n    if value is None:\n|\n',
		parses: false,
	},
	{
		name: 'python: after an emoji',
		language: 'python',
		text: 'label = "I like 🍕|',
		first: /^[^\uFFFD\uDC00-\uDFFF]/,
	},
	{
		name: 'python: after an accented letter',
		language: 'python',
		text: 'name = "café|',
		first: /^[^\uFFFD\uDC00-\uDFFF]/,
	},
	{
		name: 'python: after Chinese characters',
		language: 'python',
		text: 'greeting = "你好|',
		first: /^[^\uFFFD\uDC00-\uDFFF]/,
	},
	{ name: 'python: inside a word', language: 'python', text: 'values = [1, 2]\ntotal = su|m(values)\n', none: true },
	{ name: 'python: code right of the cursor', language: 'python', text: 'import os\npath = |os.getcwd()\n', none: true },
	{ name: 'python: an empty document, automatic trigger', language: 'python', text: '|', none: true },
	{ name: 'python: an empty document, explicit request: one line at most', language: 'python', text: '\n|\n', invoke: true },
	{
		name: 'python: a position beyond the end of the line is clamped',
		language: 'python',
		text: 'import os\n\n\ndef home():\n    return os.path.|\n',
		character: 999,
	},
	{
		name: 'python: tab-indented file',
		language: 'python',
		text: 'def total(xs):\n\tresult = 0\n\tfor x in xs:\n\t\t|\n\treturn result\n',
		first: /\S/,
		parses: true,
	},
	{
		name: 'python: the selected suggest item leads the suggestion',
		language: 'python',
		text: 'import os\n\n\ndef home():\n    return os.pa|\n',
		selected: 'path',
	},
	// ---- TypeScript ----
	{
		name: 'typescript: blank indented line inside a function (no stray `*`)',
		language: 'typescript',
		text: 'function total(xs: number[]): number {\n    let sum = 0;\n    |\n}\n',
		first: /[A-Za-z_$]/,
	},
	{
		name: 'typescript: the closers right of the cursor are not doubled',
		language: 'typescript',
		text: 'const result = compute();\nconsole.log(resu|);\n',
	},
	{
		name: 'typescript: blank line above `return sum;`',
		language: 'typescript',
		text: 'function total(xs: number[]): number {\n    let sum = 0;\n    |\n    return sum;\n}\n',
	},
	{
		name: 'typescript: end of a line that opens a block, with the editor\'s `}` below',
		language: 'typescript',
		text: 'export function isEven(n: number): boolean {|\n}\n',
		some: true,
	},
	{ name: 'typescript: inside a word', language: 'typescript', text: 'const value = resu|lt;\n', none: true },
	{
		name: 'typescript: arrow function',
		language: 'typescript',
		text: 'export const add = (a: number, b: number) =>|\n',
	},
	{
		name: 'typescript: method body in a class',
		language: 'typescript',
		text: 'class Counter {\n    private count = 0;\n\n    increment(): void {\n        |\n    }\n}\n',
		first: /\S/,
	},
	// ---- JavaScript ----
	{
		name: 'javascript: inside call parentheses',
		language: 'javascript',
		text: 'const names = users.map((user) => |);\n',
	},
	{
		name: 'javascript: inside a string with an accented word',
		language: 'javascript',
		text: 'const message = "héllo wörld|";\n',
		first: /^[^\uFFFD]/,
	},
	{
		name: 'javascript: blank top-level line after requires',
		language: 'javascript',
		text: "const fs = require('fs');\nconst path = require('path');\n\n|\n",
	},
	{
		name: 'javascript: after `if (...) {` with the closing brace below',
		language: 'javascript',
		text: 'function check(list) {\n  if (list.length === 0) {|\n  }\n  return list[0];\n}\n',
	},
	// ---- Go ----
	{
		name: 'go: blank tab-indented line in a function',
		language: 'go',
		text: 'package main\n\nfunc sum(xs []int) int {\n\ttotal := 0\n\t|\n\treturn total\n}\n',
		first: /\S/,
	},
	{
		name: 'go: the closer right of the cursor is not doubled',
		language: 'go',
		text: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tname := "gopher"\n\tfmt.Println(|)\n}\n',
	},
	{
		name: 'go: end of a `func` line',
		language: 'go',
		text: 'package main\n\nfunc double(x int) int {|\n}\n',
	},
	{ name: 'go: inside a word', language: 'go', text: 'package main\n\nfunc main() {\n\tx := len|gth(y)\n}\n', none: true },
];

const EXTENSIONS = { python: 'py', typescript: 'ts', javascript: 'js', go: 'go' };

/** The document with the item applied: its range (UTF-16, in lines) replaced by its text. */
function accept(doc: string, range: Range, insert: string): string {
	const lines = doc.split('\n');
	const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((n, l) => n + l.length + 1, 0) + p.character;
	return doc.slice(0, offset(range.start)) + insert + doc.slice(offset(range.end));
}

/** Net `{` of code, skipping string and comment contents (enough for the fixtures). */
function braceBalance(code: string): number {
	let depth = 0;
	const stripped = code.replace(/\/\/.*$/gm, '').replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`[^`]*`/g, '""');
	for (const ch of stripped) {
		depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
	}
	return depth;
}

function pythonParses(code: string): string | undefined {
	const run = spawnSync('python3', ['-c', 'import ast, sys\nast.parse(sys.stdin.read())'], { input: code, encoding: 'utf8' });
	if (run.error) {
		throw new Error(`python3 is needed to check Python syntax: ${run.error.message}`);
	}
	return run.status === 0 ? undefined : run.stderr.trim().split('\n').slice(-1)[0];
}

describe('editor situations: inline completions over LSP (embedded model)', function () {
	this.timeout(20_000);
	let server: ServerHarness;
	before(async function () {
		this.timeout(60_000);
		server = await ServerHarness.start();
		assert.strictEqual((await server.waitForState(['ready', 'error'])).state, 'ready');
	});
	after(() => server?.dispose());

	it(`covers at least 25 situations over Python, TypeScript, JavaScript and Go`, () => {
		assert.ok(SITUATIONS.length >= 25);
		assert.deepStrictEqual([...new Set(SITUATIONS.map((s) => s.language))].sort(), ['go', 'javascript', 'python', 'typescript']);
	});

	SITUATIONS.forEach((situation, n) => {
		it(situation.name, async () => {
			const at = situation.text.indexOf('|');
			const doc = situation.text.slice(0, at) + situation.text.slice(at + 1);
			const before = doc.slice(0, at).split('\n');
			const line = before.length - 1;
			const cursor = before[line].length;
			const lineText = doc.split('\n')[line];
			const uri = `file:///work/situation${n}.${EXTENSIONS[situation.language]}`;
			await server.open(uri, situation.language, doc);

			let selectedCompletionInfo;
			if (situation.selected !== undefined) {
				const wordStart = /[\w$]*$/.exec(before[line])!.index;
				selectedCompletionInfo = { range: { start: { line, character: wordStart }, end: { line, character: cursor } }, text: situation.selected };
			}
			const list: InlineCompletionList | null = await server.complete(uri, { line, character: situation.character ?? cursor }, undefined, {
				triggerKind: situation.invoke ? InlineCompletionTriggerKind.Invoked : InlineCompletionTriggerKind.Automatic,
				...(selectedCompletionInfo ? { selectedCompletionInfo } : {}),
			});
			const items = list?.items ?? [];
			if (situation.none) {
				assert.deepStrictEqual(items, [], 'no suggestion belongs here');
				return;
			}
			// An explicit request may get sampled alternatives after the greedy suggestion: each must fit as well.
			assert.ok(items.length <= (situation.invoke ? 3 : 1), `${items.length} items`);
			if (situation.some) {
				assert.ok(items.length >= 1, 'a suggestion');
			}
			for (const item of items) {
				const insert = typeof item.insertText === 'string' ? item.insertText : item.insertText.value;
				const range = item.range!;

				// A range of UTF-16 positions on the cursor's line, around the cursor.
				assert.strictEqual(range.start.line, line);
				assert.strictEqual(range.end.line, line);
				assert.ok(range.start.character >= 0 && range.start.character <= range.end.character && range.end.character <= lineText.length, JSON.stringify(range));
				assert.ok(range.end.character === cursor || (situation.selected !== undefined && range.end.character >= cursor), JSON.stringify(range));
				if (situation.selected !== undefined) {
					assert.deepStrictEqual(range, selectedCompletionInfo!.range, 'the selected item\'s range');
					assert.ok(insert.startsWith(situation.selected), `${JSON.stringify(insert)} extends the selected item`);
				} else {
					assert.deepStrictEqual(range.start, { line, character: cursor });
				}
				const suggestion = situation.selected !== undefined ? insert.slice(situation.selected.length) : insert;
				assert.notStrictEqual(insert.trim(), '', 'no whitespace-only suggestion');
				assert.ok(!/[\uFFFD]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(insert), `invalid text in ${JSON.stringify(insert)}`);
				if (situation.first && suggestion !== '') {
					assert.match(suggestion.charAt(0), situation.first, `first character of ${JSON.stringify(suggestion)}`);
				}
				if (situation.text.includes('\n|') === false && situation.invoke && doc.trim() === '') {
					assert.ok(!insert.includes('\n'), 'one line in an empty document');
				}

				const accepted = accept(doc, range, insert);
				const acceptedLines = accepted.split('\n');
				const lineSuffix = lineText.slice(cursor);
				// No duplicate of the closers right of the cursor.
				if (lineSuffix.trim() !== '') {
					const resultLine = acceptedLines[line + insert.split('\n').length - 1];
					assert.ok(resultLine.endsWith(lineSuffix), `the rest of the line is kept: ${JSON.stringify(resultLine)}`);
					assert.ok(!resultLine.includes(lineSuffix.trim() + lineSuffix.trim()), `closers doubled: ${JSON.stringify(resultLine)}`);
					if (/^[)\]}]/.test(lineSuffix.trim())) {
						const depth = (s: string) => [...s].reduce((d, c) => d + ('([{'.includes(c) ? 1 : ')]}'.includes(c) ? -1 : 0), 0);
						assert.strictEqual(depth(resultLine), depth(lineText), `brackets of ${JSON.stringify(resultLine)}`);
					}
				}
				// No duplicate of the line that already follows.
				const next = doc.split('\n').slice(line + 1).find((l) => l.trim() !== '');
				if (lineText.trim() === '' && next !== undefined) {
					assert.notStrictEqual((lineText.slice(0, cursor) + insert.split('\n')[0]).trim(), next.trim(), 'the next line again');
				}
				// Brackets of brace languages stay balanced.
				if (situation.language !== 'python' && braceBalance(doc) === 0) {
					assert.strictEqual(braceBalance(accepted), 0, `braces unbalanced after accepting ${JSON.stringify(insert)}`);
				}
				// Python keeps parsing: consistent indentation, no stray closers.
				if (situation.parses) {
					assert.strictEqual(pythonParses(accepted), undefined, `after accepting ${JSON.stringify(insert)}:\n${accepted}`);
				}
			}
		});
	});
});
