/**
 * Where a documentation comment goes and what it replaces: above the symbol
 * (and above its decorators) for comment styles, or as the first statement
 * of the body for Python docstrings. An existing doc comment is replaced,
 * never duplicated, and the whole change is one text edit. Pure (no
 * `vscode` import).
 */
import { type CodeScan, indentOf, indentWidth, isCommentOnly, lineAt, scanCode, skipSpace } from './codeScan';
import { docCommentStyle, unsupportedDocCommentMessage } from '../../../protocol/languages';
import { type CommentStyle, DocFormatError, formatDocComment, type SignatureInfo } from './docCommentFormat';
import { type Declaration, parseDeclarationAt } from './symbolFallback';

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
	/** The whole document. */
	text: string;
	languageId: string;
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
	const style = docCommentStyle(input.languageId);
	if (!style) {
		return { ok: false, message: unsupportedDocCommentMessage(input.languageId) };
	}
	const scan = scanCode(input.text, input.languageId);
	const decl = findDeclaration(scan, input.target, input.languageId);
	const name = decl && decl.name !== 'default' ? decl.name : cleanSymbolName(input.target.name);
	const signature = decl && decl.kind === 'function' && input.tags !== false ? parseSignature(scan, decl, input.languageId) : undefined;
	try {
		if (style === 'docstring') {
			return docstringEdit(scan, decl, input, name);
		}
		return commentAboveEdit(scan, style, input, name, signature);
	} catch (e) {
		if (e instanceof DocFormatError) {
			return { ok: false, message: e.message };
		}
		throw e;
	}
}

/** Providers name symbols differently: `(*Server).Start`, `add(int, int) : int`, `Outer.inner`. */
export function cleanSymbolName(name: string): string {
	const bare = name.replace(/^\([^)]*\)\./, '').split(/[\s(<:]/)[0];
	const last = bare.split('.').pop() ?? bare;
	return last === '' ? name.trim() : last;
}

function findDeclaration(scan: CodeScan, target: DocTarget, languageId: string): Declaration | undefined {
	const last = Math.min(target.endLine, target.declarationLine + 5, scan.lines.length - 1);
	for (let l = target.declarationLine; l <= last; l++) {
		const decl = parseDeclarationAt(scan, l, languageId);
		if (decl) {
			return decl;
		}
	}
	return undefined;
}

// ---------------------------------------------------------------------------
// Signatures

/** Parameter names and whether a value is returned, read from the declaration (never guessed). */
export function parseSignature(scan: CodeScan, decl: Declaration, languageId: string): SignatureInfo {
	const params = decl.params ? splitParams(scan, decl.params, languageId).map((p, i) => paramName(p, i, languageId)) : [];
	return {
		params: params.filter((p): p is string => p !== undefined),
		returns: returnsValue(decl, languageId),
	};
}

function splitParams(scan: CodeScan, [start, end]: [number, number], languageId: string): string[] {
	const angles = languageId !== 'python' && languageId !== 'go';
	const pieces: string[] = [];
	let depth = 0;
	let from = start;
	for (let k = start; k < end; k++) {
		const ch = scan.masked[k];
		if ('([{'.includes(ch) || (angles && ch === '<')) {
			depth++;
		} else if (')]}'.includes(ch) || (angles && ch === '>' && !'=-'.includes(scan.masked[k - 1]))) {
			depth--;
		} else if (ch === ',' && depth === 0) {
			pieces.push(scan.text.slice(from, k));
			from = k + 1;
		}
	}
	pieces.push(scan.text.slice(from, end));
	return pieces.map((p) => p.trim()).filter((p) => p !== '');
}

function paramName(piece: string, index: number, languageId: string): string | undefined {
	let p = piece.replace(/\s+/g, ' ');
	switch (languageId) {
		case 'java': {
			p = p.replace(/@[\w$.]+(?:\([^)]*\))?\s*/g, '').replace(/\bfinal\s+/g, '');
			return /([\w$]+)\s*(?:\[\s*\]\s*)*$/.exec(p)?.[1];
		}
		case 'csharp': {
			p = p.replace(/\[[^\]]*\]\s*/g, '').split('=')[0].trim();
			return /@?(\w+)$/.exec(p)?.[1];
		}
		case 'python': {
			const name = p.split(/[:=]/)[0].replace(/^\*{1,2}/, '').trim();
			return name === '' || name === '/' || ((name === 'self' || name === 'cls') && index === 0) ? undefined : name;
		}
		case 'rust': {
			const name = p.split(':')[0].replace(/^mut\s+/, '').trim();
			return /self$/.test(name) || !/^\w+$/.test(name) ? undefined : name;
		}
		case 'go':
			return undefined;
		default: {
			// TypeScript / JavaScript: decorators, parameter properties, rest; destructured ones have no name.
			p = p.replace(/^(?:@[\w$.]+(?:\([^)]*\))?\s*)+/, '').replace(/^(?:(?:public|private|protected|readonly|override)\s+)+/, '').replace(/^\.\.\./, '');
			const name = /^([A-Za-z_$][\w$]*)/.exec(p)?.[1];
			return name === 'this' ? undefined : name;
		}
	}
}

function returnsValue(decl: Declaration, languageId: string): SignatureInfo['returns'] {
	switch (languageId) {
		case 'java':
			return decl.form === 'ctor' || decl.leadingType === 'void' ? 'no' : 'yes';
		case 'csharp':
			return decl.form === 'ctor' || /^(?:void|Task|ValueTask)$/.test(decl.leadingType ?? '') ? 'no' : 'yes';
		case 'typescript':
		case 'typescriptreact':
		case 'javascript':
		case 'javascriptreact': {
			if (decl.name === 'constructor' || /\bset\s*$/.test(decl.head)) {
				return 'no';
			}
			const type = /^\s*:\s*([\s\S]+?)\s*$/.exec(decl.tail)?.[1];
			if (type === undefined) {
				return 'unknown';
			}
			return /^(?:void|never|undefined|Promise\s*<\s*(?:void|undefined)\s*>|asserts\b[\s\S]*)$/.test(type) ? 'no' : 'yes';
		}
		default:
			return 'unknown';
	}
}

// ---------------------------------------------------------------------------
// Comments above the symbol

type Placement = { kind: 'replace'; start: number; end: number } | { kind: 'insert'; line: number; separator: boolean };
type Replace = Extract<Placement, { kind: 'replace' }>;

function commentAboveEdit(
	scan: CodeScan,
	style: CommentStyle,
	input: DocCommentInput,
	name: string,
	signature: SignatureInfo | undefined,
): DocCommentEdit {
	const { target, eol } = input;
	const indent = indentOf(scan.lines[target.startLine]);
	const lines = formatDocComment(input.content, { style, indent, tabSize: input.tabSize, width: input.width, name, signature });
	const existing = existingAbove(scan, style, target);
	const replace = existing.filter((p): p is Replace => p.kind === 'replace');
	if (replace.length > 0) {
		// The new comment takes the first old one's place; any other (between decorators)
		// goes, and the lines between them stay as they were.
		const start = replace[0].start;
		const end = replace[replace.length - 1].end;
		const kept = scan.lines.slice(start, end + 1).filter((_, i) => !replace.some((r) => start + i >= r.start && start + i <= r.end));
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
function existingAbove(scan: CodeScan, style: CommentStyle, target: DocTarget): Placement[] {
	const found: Placement[] = [];
	for (let anchor = target.startLine; anchor <= target.declarationLine; anchor++) {
		const place = docCommentAbove(scan, style, anchor);
		if (place && !(place.kind === 'replace' && found.some((f) => f.kind === 'replace' && f.end >= place.start))) {
			found.push(place);
		}
	}
	return found;
}

function docCommentAbove(scan: CodeScan, style: CommentStyle, line: number): Placement | undefined {
	const found = docBlockEndingAt(scan, style, line);
	if (found || style === 'godoc') {
		return found;
	}
	// JSDoc, Javadoc, Rust and C# attach a doc comment across blank lines too; a file's
	// header block comment (at the top, or a licence) is not the symbol's.
	let e = line - 1;
	while (e >= 0 && scan.lines[e].trim() === '') {
		e--;
	}
	if (e === line - 1 || e < 0) {
		return undefined;
	}
	const separated = docBlockEndingAt(scan, style, e + 1);
	if (separated?.kind !== 'replace' || (scan.lines[separated.start].trim().startsWith('/*') && isFileHeader(scan, separated.start, separated.end))) {
		return undefined;
	}
	return { kind: 'replace', start: separated.start, end: line - 1 };
}

const FILE_HEADER_WORDS = /@(?:file|fileoverview|license|module|packageDocumentation|preserve)\b|copyright|SPDX-License-Identifier/i;

function isFileHeader(scan: CodeScan, start: number, end: number): boolean {
	const atTop = scan.lines.slice(0, start).every((l, i) => l.trim() === '' || (i === 0 && l.startsWith('#!')));
	return atTop || FILE_HEADER_WORDS.test(scan.lines.slice(start, end + 1).join('\n'));
}

/** A doc comment whose last line is the one just above `line`. */
function docBlockEndingAt(scan: CodeScan, style: CommentStyle, line: number): Placement | undefined {
	const e = line - 1;
	if (e < 0 || !isCommentOnly(scan, e)) {
		return undefined;
	}
	const trimmed = (l: number): string => scan.lines[l].trim();
	if (style === 'godoc') {
		let g = e;
		while (g > 0 && isCommentOnly(scan, g - 1) && trimmed(g - 1).startsWith('//')) {
			g--;
		}
		if (!trimmed(g).startsWith('//')) {
			return undefined;
		}
		let d = e;
		while (d >= g && GO_DIRECTIVE.test(scan.lines[d])) {
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
		while (s > 0 && isCommentOnly(scan, s - 1) && isTripleSlash(trimmed(s - 1))) {
			s--;
		}
		return { kind: 'replace', start: s, end: e };
	}
	if (style === 'csharpxml' || !trimmed(e).endsWith('*/')) {
		return undefined;
	}
	// A `/** ... */` block (JSDoc, Javadoc, Rust's block form); plain `/* */` comments are not docs.
	for (let s = e; s >= 0 && isCommentOnly(scan, s); s--) {
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

function docstringEdit(scan: CodeScan, decl: Declaration | undefined, input: DocCommentInput, name: string): DocCommentEdit {
	if (!decl || decl.bodyOpen === undefined) {
		return { ok: false, message: `Could not find the def or class line of ${name}.` };
	}
	const { eol } = input;
	const headerIndent = indentOf(scan.lines[decl.line]);
	const colonLine = lineAt(scan, decl.bodyOpen);
	const format = (indent: string): string[] =>
		formatDocComment(input.content, { style: 'docstring', indent, tabSize: input.tabSize, width: input.width, name });

	if (decl.oneLiner) {
		// `def f(): return 1` becomes a block: the docstring, then the statement on its own line.
		// `def f(): "old"` has only a docstring, which is replaced.
		const bodyIndent = headerIndent + fileIndentUnit(scan, input.indentUnit);
		const lineStart = scan.lineStarts[colonLine];
		// The original text: in the masked one a string statement is blank.
		const stmtStart = skipSpace(scan.text, decl.bodyOpen + 1);
		const statement = scan.lines[colonLine].slice(stmtStart - lineStart).trimEnd();
		const old = stringStatement(scan, stmtStart);
		const replaced = old?.wholeLines === true;
		const endLine = replaced ? old.endLine : colonLine;
		const edit = {
			startLine: colonLine,
			startCharacter: decl.bodyOpen + 1 - lineStart,
			endLine,
			endCharacter: scan.lines[endLine].length,
			newText: eol + format(bodyIndent).join(eol) + (replaced ? '' : eol + bodyIndent + statement),
		};
		return { ok: true, edit, replaced, name };
	}

	const bodyIndent = pythonBodyIndent(scan, colonLine, decl.endLine, headerIndent, input);
	const lines = format(bodyIndent);
	const existing = existingDocstring(scan, colonLine, decl.endLine);
	if (existing && existing.wholeLines) {
		return { ok: true, edit: replaceLines(scan, existing.startLine, existing.endLine, lines, eol), replaced: true, name };
	}
	if (existing) {
		// `"""old"""; x = 1`: replace the string only, the statement after it stays.
		const edit = {
			startLine: existing.startLine,
			startCharacter: existing.startCharacter,
			endLine: existing.endLine,
			endCharacter: existing.endCharacter,
			newText: [lines[0].trimStart(), ...lines.slice(1)].join(eol),
		};
		return { ok: true, edit, replaced: true, name };
	}
	if (colonLine + 1 >= scan.lines.length) {
		const end = scan.lines[colonLine].length;
		const edit = { startLine: colonLine, startCharacter: end, endLine: colonLine, endCharacter: end, newText: eol + lines.join(eol) };
		return { ok: true, edit, replaced: false, name };
	}
	const edit = { startLine: colonLine + 1, startCharacter: 0, endLine: colonLine + 1, endCharacter: 0, newText: lines.join(eol) + eol };
	return { ok: true, edit, replaced: false, name };
}

function replaceLines(scan: CodeScan, start: number, end: number, lines: string[], eol: string): LineEdit {
	if (end + 1 < scan.lines.length) {
		return { startLine: start, startCharacter: 0, endLine: end + 1, endCharacter: 0, newText: lines.join(eol) + eol };
	}
	return { startLine: start, startCharacter: 0, endLine: end, endCharacter: scan.lines[end].length, newText: lines.join(eol) };
}

/**
 * The body's indentation, from its first statement (comments as a second
 * choice); one editor indentation unit deeper than the header when the body
 * gives nothing usable.
 */
function pythonBodyIndent(scan: CodeScan, colonLine: number, endLine: number, headerIndent: string, input: DocCommentInput): string {
	const headerWidth = indentWidth(headerIndent, 8);
	let commentIndent: string | undefined;
	for (let l = colonLine + 1; l <= endLine && l < scan.lines.length; l++) {
		if (scan.lines[l].trim() === '' || scan.continued[l]) {
			continue;
		}
		const indent = indentOf(scan.lines[l]);
		if (indentWidth(indent, 8) <= headerWidth) {
			continue;
		}
		if (!scan.lines[l].trim().startsWith('#')) {
			return indent;
		}
		commentIndent ??= indent;
	}
	return commentIndent ?? headerIndent + fileIndentUnit(scan, input.indentUnit);
}

/**
 * The file's own indentation step: how much the first indented block is
 * deeper than the line that opened it. The editor's unit when the file has
 * no block yet.
 */
function fileIndentUnit(scan: CodeScan, editorUnit: string): string {
	for (let l = 0; l + 1 < scan.lines.length; l++) {
		if (scan.continued[l] || !scan.maskedLines[l].trimEnd().endsWith(':')) {
			continue;
		}
		const outer = indentOf(scan.lines[l]);
		for (let m = l + 1; m < scan.lines.length; m++) {
			if (scan.maskedLines[m].trim() === '' || scan.continued[m]) {
				continue;
			}
			const inner = indentOf(scan.lines[m]);
			if (inner.length > outer.length && inner.startsWith(outer)) {
				return inner.slice(outer.length);
			}
			break;
		}
	}
	return editorUnit;
}

interface StringSpan {
	startLine: number;
	startCharacter: number;
	endLine: number;
	endCharacter: number;
	/** Nothing but a comment shares its first and last lines. */
	wholeLines: boolean;
}

const STRING_START = /^([rRuU]?)("""|'''|"|')/;

/** The body's first statement when it is a lone string literal: the docstring. */
function existingDocstring(scan: CodeScan, colonLine: number, endLine: number): StringSpan | undefined {
	let s = colonLine + 1;
	while (s <= endLine && s < scan.lines.length && (scan.lines[s].trim() === '' || scan.lines[s].trim().startsWith('#'))) {
		s++;
	}
	if (s > endLine || s >= scan.lines.length) {
		return undefined;
	}
	return stringStatement(scan, scan.lineStarts[s] + indentOf(scan.lines[s]).length);
}

/** The string literal statement starting at `offset`, if one does. */
function stringStatement(scan: CodeScan, offset: number): StringSpan | undefined {
	const startLine = lineAt(scan, offset);
	const startCharacter = offset - scan.lineStarts[startLine];
	const m = STRING_START.exec(scan.lines[startLine].slice(startCharacter));
	if (!m) {
		return undefined;
	}
	const close = closingQuote(scan.text, offset + m[0].length, m[2]);
	if (close < 0) {
		return undefined;
	}
	const endLine = lineAt(scan, close - 1);
	const endCharacter = close - scan.lineStarts[endLine];
	const after = scan.lines[endLine].slice(endCharacter).trim();
	if (after !== '' && !after.startsWith('#') && !after.startsWith(';')) {
		return undefined; // `"a".join(x)`: an expression, not a docstring
	}
	return { startLine, startCharacter, endLine, endCharacter, wholeLines: !after.startsWith(';') };
}

/** Offset just after the closing quote of a string whose text starts at `from`, or -1. */
function closingQuote(text: string, from: number, quote: string): number {
	for (let k = from; k < text.length; k++) {
		if (text[k] === '\\') {
			k++;
		} else if (text.startsWith(quote, k)) {
			return k + quote.length;
		} else if (text[k] === '\n' && quote.length === 1) {
			return -1;
		}
	}
	return -1;
}
