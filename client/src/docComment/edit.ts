/**
 * Where a documentation comment goes and what it replaces: above the symbol
 * (and above its decorators) for comment styles, or as the first statement
 * of the body for Python docstrings. An existing doc comment is replaced,
 * never duplicated, and the whole change is one text edit. Pure (no
 * `vscode` import).
 */
import type { Node } from '@vscode/tree-sitter-wasm';
import { docCommentStyle, unsupportedDocCommentMessage } from '../../../protocol/languages';
import { type CommentStyle, DocFormatError, formatDocComment, indentWidth, type SignatureInfo } from './format';
import { cleanSymbolName, type DocSymbol, signatureOf, symbolForTarget } from './symbols';
import type { ParsedSource } from './syntax';

/** A text edit in line/character positions (end exclusive), ready for a vscode.Range. */
export interface LineEdit {
	startLine: number;
	startCharacter: number;
	endLine: number;
	endCharacter: number;
	newText: string;
}

export interface DocTarget {
	/** Name as the symbol provider reported it (cleaned up here). */
	name: string;
	/** First line of the symbol, decorators included. */
	startLine: number;
	/** Line of the declaration itself. */
	declarationLine: number;
	endLine: number;
}

export interface DocCommentInput {
	/** The whole document, parsed. */
	src: ParsedSource;
	target: DocTarget;
	/** The model's documentation text. */
	content: string;
	/** The document's line break. */
	eol: string;
	/** One level of indentation from the editor's options ('\t' or spaces): used when the code gives no hint. */
	indentUnit: string;
	tabSize: number;
	/** Write parameter and return tags where the style has them (default true). */
	tags?: boolean;
	width?: number;
}

export type DocCommentEdit =
	| { ok: true; edit: LineEdit; replaced: boolean; name: string }
	| { ok: false; message: string };

/** Computes the one edit that inserts the formatted comment, or replaces the existing one. */
export function buildDocCommentEdit(input: DocCommentInput): DocCommentEdit {
	const { src } = input;
	const style = docCommentStyle(src.languageId);
	if (!style) {
		return { ok: false, message: unsupportedDocCommentMessage(src.languageId) };
	}
	const symbol = symbolForTarget(src, input.target);
	const name = symbol && symbol.name !== 'default' ? symbol.name : cleanSymbolName(input.target.name);
	const signature = symbol?.kind === 'function' && input.tags !== false ? signatureOf(src, symbol) : undefined;
	try {
		if (style === 'docstring') {
			return docstringEdit(src, symbol, input, name);
		}
		if (symbol && src.lines[symbol.startLine].slice(0, symbol.startColumn).trim() !== '') {
			// A comment above that line would document the code before it.
			return { ok: false, message: `${name} starts after other code on line ${symbol.startLine + 1}: move it to a line of its own to document it.` };
		}
		return commentAboveEdit(src, style, input, name, signature);
	} catch (e) {
		if (e instanceof DocFormatError) {
			return { ok: false, message: e.message };
		}
		throw e;
	}
}

// ---------------------------------------------------------------------------
// Comments above the symbol

type Placement = { kind: 'replace'; start: number; end: number } | { kind: 'insert'; line: number; separator: boolean };
type Replace = Extract<Placement, { kind: 'replace' }>;

function commentAboveEdit(
	src: ParsedSource,
	style: CommentStyle,
	input: DocCommentInput,
	name: string,
	signature: SignatureInfo | undefined,
): DocCommentEdit {
	const { target, eol } = input;
	const indent = indentOf(src.lines[target.startLine]);
	const lines = formatDocComment(input.content, { style, indent, tabSize: input.tabSize, width: input.width, name, signature });
	const existing = existingAbove(src, style, target);
	const replace = existing.filter((p): p is Replace => p.kind === 'replace');
	if (replace.length > 0) {
		// The new comment takes the first old one's place; any other (between decorators)
		// goes, and the lines between them stay as they were.
		const start = replace[0].start;
		const end = replace[replace.length - 1].end;
		const kept = src.lines.slice(start, end + 1).filter((_, i) => !replace.some((r) => start + i >= r.start && start + i <= r.end));
		const edit = { startLine: start, startCharacter: 0, endLine: end + 1, endCharacter: 0, newText: [...lines, ...kept].join(eol) + eol };
		return { ok: true, edit, replaced: true, name };
	}
	const insert = existing.find((p) => p.kind === 'insert');
	// Go keeps directives (//go:noinline) after the doc text, separated by an empty comment line.
	const separator = insert?.kind === 'insert' && insert.separator;
	const line = insert?.kind === 'insert' ? insert.line : target.startLine;
	const text = separator ? [...lines, `${indent}//`] : lines;
	const edit = { startLine: line, startCharacter: 0, endLine: line, endCharacter: 0, newText: text.join(eol) + eol };
	return { ok: true, edit, replaced: false, name };
}

/**
 * Existing doc comments directly above the symbol, and directly above the
 * declaration between its decorators (TypeScript and Rust allow both), top
 * first.
 */
function existingAbove(src: ParsedSource, style: CommentStyle, target: DocTarget): Placement[] {
	const found: Placement[] = [];
	for (let anchor = target.startLine; anchor <= target.declarationLine; anchor++) {
		const place = docCommentAbove(src, style, anchor);
		if (place && !(place.kind === 'replace' && found.some((f) => f.kind === 'replace' && f.end >= place.start))) {
			found.push(place);
		}
	}
	return found;
}

function docCommentAbove(src: ParsedSource, style: CommentStyle, line: number): Placement | undefined {
	const found = docBlockEndingAt(src, style, line);
	if (found || style === 'godoc') {
		return found;
	}
	// JSDoc, Javadoc, Rust and C# attach a doc comment across blank lines too; a file's
	// header block comment (at the top, or a licence) is not the symbol's.
	let e = line - 1;
	while (e >= 0 && src.lines[e].trim() === '') {
		e--;
	}
	if (e === line - 1 || e < 0) {
		return undefined;
	}
	const separated = docBlockEndingAt(src, style, e + 1);
	if (separated?.kind !== 'replace' || (src.lines[separated.start].trim().startsWith('/*') && isFileHeader(src, separated.start, separated.end))) {
		return undefined;
	}
	return { kind: 'replace', start: separated.start, end: line - 1 };
}

const FILE_HEADER_WORDS = /@(?:file|fileoverview|license|module|packageDocumentation|preserve)\b|copyright|SPDX-License-Identifier/i;

function isFileHeader(src: ParsedSource, start: number, end: number): boolean {
	const atTop = src.lines.slice(0, start).every((l, i) => l.trim() === '' || (i === 0 && l.startsWith('#!')));
	return atTop || FILE_HEADER_WORDS.test(src.lines.slice(start, end + 1).join('\n'));
}

/** A doc comment whose last line is the one just above `line`. */
function docBlockEndingAt(src: ParsedSource, style: CommentStyle, line: number): Placement | undefined {
	const e = line - 1;
	if (e < 0 || !src.commentOnly[e]) {
		return undefined;
	}
	const trimmed = (l: number): string => src.lines[l].trim();
	if (style === 'godoc') {
		let g = e;
		while (g > 0 && src.commentOnly[g - 1] && trimmed(g - 1).startsWith('//')) {
			g--;
		}
		if (!trimmed(g).startsWith('//')) {
			return undefined;
		}
		let d = e;
		while (d >= g && GO_DIRECTIVE.test(src.lines[d])) {
			d--;
		}
		const hasDirectives = d < e;
		while (hasDirectives && d >= g && trimmed(d) === '//') {
			d--;
		}
		if (d < g) {
			return { kind: 'insert', line: g, separator: true };
		}
		return { kind: 'replace', start: g, end: d };
	}
	if ((style === 'rustdoc' || style === 'csharpxml') && isTripleSlash(trimmed(e))) {
		let s = e;
		while (s > 0 && src.commentOnly[s - 1] && isTripleSlash(trimmed(s - 1))) {
			s--;
		}
		return { kind: 'replace', start: s, end: e };
	}
	if (style === 'csharpxml' || !trimmed(e).endsWith('*/')) {
		return undefined;
	}
	// A `/** ... */` block (JSDoc, Javadoc, Rust's block form); plain `/* */` comments are not docs.
	for (let s = e; s >= 0 && src.commentOnly[s]; s--) {
		const t = trimmed(s);
		if (s < e && t.includes('*/')) {
			return undefined;
		}
		if (t.startsWith('/*')) {
			return t.startsWith('/**') && !t.startsWith('/**/') ? { kind: 'replace', start: s, end: e } : undefined;
		}
	}
	return undefined;
}

/** Go directives are comments too, but belong to the tools, not the documentation. */
const GO_DIRECTIVE = /^\s*\/\/(?:[a-z0-9]+:\S|line |export |extern |nolint\b)/;

function isTripleSlash(t: string): boolean {
	return t.startsWith('///') && !t.startsWith('////');
}

// ---------------------------------------------------------------------------
// Python docstrings

type DocstringRules = NonNullable<ParsedSource['rules']['docstrings']>;

/** A string literal that is a statement of its own: a docstring when it comes first in a body. */
function docstringOf(rules: DocstringRules, statement: Node | undefined): Node | undefined {
	const value = statement?.type === rules.statement && statement.namedChildCount === 1 ? statement.namedChild(0) : null;
	return value && rules.strings.includes(value.type) ? value : undefined;
}

function docstringEdit(src: ParsedSource, symbol: DocSymbol | undefined, input: DocCommentInput, name: string): DocCommentEdit {
	const rules = src.rules.docstrings;
	const body = symbol?.node.childForFieldName('body');
	let colon = body?.previousSibling;
	while (colon && /comment$/.test(colon.type)) {
		colon = colon.previousSibling; // `def f():  # note`
	}
	if (!rules || !symbol || body?.type !== rules.body || colon?.type !== ':') {
		return { ok: false, message: `Could not find the def or class line of ${name}.` };
	}
	const { eol } = input;
	const headerIndent = indentOf(src.lines[symbol.declarationLine]);
	const colonLine = colon.endPosition.row;
	const statements = body.namedChildren.filter((c): c is Node => c !== null && !/comment$/.test(c.type));
	const old = docstringOf(rules, statements[0]);
	const format = (indent: string): string[] =>
		formatDocComment(input.content, { style: 'docstring', indent, tabSize: input.tabSize, width: input.width, name });

	if (body.startPosition.row === colonLine) {
		// `def f(): return 1` becomes a block: the docstring, then the statement on its own line.
		// `def f(): "old"` has only a docstring, which is replaced.
		const bodyIndent = headerIndent + fileIndentUnit(src, input.indentUnit);
		const statement = src.lines[colonLine].slice(body.startPosition.column).trimEnd();
		const replaced = old !== undefined && restOfLine(src, old) === '';
		const endLine = replaced ? old.endPosition.row : colonLine;
		const edit = {
			startLine: colonLine,
			startCharacter: colon.endPosition.column,
			endLine,
			endCharacter: src.lines[endLine].length,
			newText: eol + format(bodyIndent).join(eol) + (replaced ? '' : eol + bodyIndent + statement),
		};
		return { ok: true, edit, replaced, name };
	}

	const bodyIndent = pythonBodyIndent(src, statements[0] ?? body.namedChild(0), headerIndent, input);
	const lines = format(bodyIndent);
	if (old && restOfLine(src, old) === '') {
		return { ok: true, edit: replaceLines(src, old.startPosition.row, old.endPosition.row, lines, eol), replaced: true, name };
	}
	if (old) {
		// `"""old"""; x = 1`: replace the string only, the statement after it stays.
		const edit = {
			startLine: old.startPosition.row,
			startCharacter: old.startPosition.column,
			endLine: old.endPosition.row,
			endCharacter: old.endPosition.column,
			newText: [lines[0].trimStart(), ...lines.slice(1)].join(eol),
		};
		return { ok: true, edit, replaced: true, name };
	}
	if (colonLine + 1 >= src.lines.length) {
		const end = src.lines[colonLine].length;
		const edit = { startLine: colonLine, startCharacter: end, endLine: colonLine, endCharacter: end, newText: eol + lines.join(eol) };
		return { ok: true, edit, replaced: false, name };
	}
	const edit = { startLine: colonLine + 1, startCharacter: 0, endLine: colonLine + 1, endCharacter: 0, newText: lines.join(eol) + eol };
	return { ok: true, edit, replaced: false, name };
}

/** What follows a node on its last line, a comment aside: '' when nothing does. */
function restOfLine(src: ParsedSource, node: Node): string {
	const after = src.lines[node.endPosition.row].slice(node.endPosition.column).trim();
	return after.startsWith('#') ? '' : after;
}

function replaceLines(src: ParsedSource, start: number, end: number, lines: string[], eol: string): LineEdit {
	if (end + 1 < src.lines.length) {
		return { startLine: start, startCharacter: 0, endLine: end + 1, endCharacter: 0, newText: lines.join(eol) + eol };
	}
	return { startLine: start, startCharacter: 0, endLine: end, endCharacter: src.lines[end].length, newText: lines.join(eol) };
}

/**
 * The body's indentation, from its first statement (a comment as a second
 * choice); one indentation unit deeper than the header when the body gives
 * nothing usable.
 */
function pythonBodyIndent(src: ParsedSource, first: Node | null | undefined, headerIndent: string, input: DocCommentInput): string {
	if (first) {
		const indent = indentOf(src.lines[first.startPosition.row]);
		if (indentWidth(indent, 8) > indentWidth(headerIndent, 8)) {
			return indent;
		}
	}
	return headerIndent + fileIndentUnit(src, input.indentUnit);
}

/**
 * The file's own indentation step: how much deeper the first indented block
 * is than the line that opens it. The editor's unit when the file has none.
 */
function fileIndentUnit(src: ParsedSource, editorUnit: string): string {
	const visit = (node: Node): string | undefined => {
		const header = node.parent;
		if (node.type === src.rules.docstrings?.body && header && node.startPosition.row > header.startPosition.row) {
			const outer = indentOf(src.lines[header.startPosition.row]);
			const inner = indentOf(src.lines[node.startPosition.row]);
			if (inner.length > outer.length && inner.startsWith(outer)) {
				return inner.slice(outer.length);
			}
		}
		for (const child of node.namedChildren) {
			const unit = child && visit(child);
			if (unit) {
				return unit;
			}
		}
		return undefined;
	};
	return visit(src.tree.rootNode) ?? editorUnit;
}

/** Leading whitespace of a line. */
function indentOf(line: string): string {
	return /^[ \t]*/.exec(line)?.[0] ?? '';
}
