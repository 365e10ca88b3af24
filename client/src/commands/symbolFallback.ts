/**
 * Finds the function, method or class around a line without a language
 * server: per-language declaration patterns, then the body's end by brace
 * matching (strings and comments blanked out first) or, for Python, by
 * indentation. Used when the editor has no document symbol provider for the
 * language; also parses signatures for the doc comment's parameter tags.
 * Pure (no `vscode` import).
 */
import {
	type CodeScan,
	decoratorStart,
	indentOf,
	indentWidth,
	isCommentOnly,
	lineAt,
	matchBracket,
	scanCode,
	skipDecorators,
	skipSpace,
	startsDecorator,
} from './codeScan';

export type SymbolKind = 'function' | 'class';

export interface SymbolSpan {
	name: string;
	kind: SymbolKind;
	/** First line of the symbol: its decorators, annotations or attributes when it has any. */
	startLine: number;
	/** Line of the declaration itself (`def`, `fn`, `class`, the signature). */
	declarationLine: number;
	/** Last line of the body, or of the declaration when it has no body. */
	endLine: number;
}

type Form = 'function' | 'method' | 'ctor' | 'arrow' | 'class' | 'def';

/** A declaration parsed from its line onwards. Offsets index the scanned text. */
export interface Declaration {
	name: string;
	kind: SymbolKind;
	form: Form;
	line: number;
	/** Modifiers and keywords before the name, e.g. `public static`, `export async function`. */
	head: string;
	/** Return type written before the name (Java, C#). */
	leadingType: string | undefined;
	/** Parameter list contents: [start, end) offsets inside the parentheses (or a bare arrow parameter). */
	params: [number, number] | undefined;
	/** Text between the parameter list (or the name) and the body or the end of the declaration. */
	tail: string;
	/** Offset of the body's opening brace, or of the header's colon in Python. */
	bodyOpen: number | undefined;
	/** Python: code follows the header's colon on the same line (`def f(): return 1`). */
	oneLiner: boolean;
	endLine: number;
}

interface Pattern {
	re: RegExp;
	kind: SymbolKind;
	form: Form;
	/** Capture group of the name; missing names become 'default' (anonymous default exports). */
	name: number;
	/** Capture group of a return type written before the name. */
	type?: number;
	/** Names (or types) that show the match is a statement, not a declaration. */
	reject?: ReadonlySet<string>;
}

const ID = String.raw`[A-Za-z_$][\w$]*`;
const JS_MODS = String.raw`(?:(?:export|default|declare|public|private|protected|static|readonly|abstract|override|async|accessor)\s+)*`;
const JS_NOT_METHODS = new Set(
	'if for while switch catch with return function typeof new await yield super import do else case throw delete void in of instanceof let const var class'.split(' '),
);
const JAVA_MODS = String.raw`(?:(?:public|protected|private|static|final|abstract|sealed|non-sealed|strictfp|synchronized|native|default|transient)\s+)*`;
const JAVA_TYPE = String.raw`[\w$.]+(?:\s*<[^()]*?>)?(?:\s*\[\s*\])*`;
const JAVA_NOT_TYPES = new Set(
	'return new throw else case yield assert package import goto if for while switch catch synchronized try do'.split(' '),
);
const CS_MODS = String.raw`(?:(?:public|private|protected|internal|static|virtual|override|abstract|sealed|async|extern|unsafe|new|partial|readonly|ref|file|required|volatile)\s+)*`;
const CS_TYPE = String.raw`(?:\([^()]*\)|[\w.]+(?:\s*<[^()]*?>)?)\??(?:\s*\[[,\s]*\])*\??`;
const CS_NOT_TYPES = new Set(
	'return new throw else case await yield using lock foreach if while for switch catch fixed nameof typeof sizeof default checked unchecked goto is as out in do try'.split(' '),
);
const RUST_VIS = String.raw`(?:pub(?:\s*\([^)]*\))?\s+)?`;

const JS_PATTERNS: Pattern[] = [
	{ re: new RegExp(String.raw`^(${JS_MODS}function\b\s*\*?\s*)(${ID})?`), kind: 'function', form: 'function', name: 2 },
	{ re: new RegExp(String.raw`^(${JS_MODS}(?:class|interface|(?:const\s+)?enum)\b\s*)(${ID})?`), kind: 'class', form: 'class', name: 2 },
	{
		re: new RegExp(String.raw`^(${JS_MODS}(?:const|let|var)\s+)(${ID})\s*(?::.*?)?=\s*(?:async\b\s*)?(?=function\b|\(|<|${ID}\s*=>)`),
		kind: 'function',
		form: 'arrow',
		name: 2,
	},
	{
		// Class fields and plain assignments holding a function: `handle = (e) => {`.
		re: new RegExp(String.raw`^(${JS_MODS})(#?${ID})\s*[?!]?\s*(?::.*?)?=\s*(?:async\b\s*)?(?=function\b|\(|<|${ID}\s*=>)`),
		kind: 'function',
		form: 'arrow',
		name: 2,
		reject: JS_NOT_METHODS,
	},
	{
		// Object literal members holding a function: `onClick: (e) => {`.
		re: new RegExp(String.raw`^()(${ID})\s*:\s*(?:async\b\s*)?(?=function\b|\(|${ID}\s*=>)`),
		kind: 'function',
		form: 'arrow',
		name: 2,
		reject: JS_NOT_METHODS,
	},
	{
		re: new RegExp(String.raw`^(${JS_MODS}(?:(?:get|set)\s+)?\*?\s*)(#?${ID})\s*[?!]?\s*(?=[<(])`),
		kind: 'function',
		form: 'method',
		name: 2,
		reject: JS_NOT_METHODS,
	},
];

const JS_LANGUAGES: ReadonlySet<string> = new Set(['typescript', 'typescriptreact', 'javascript', 'javascriptreact']);

const PATTERNS: Record<string, Pattern[]> = {
	typescript: JS_PATTERNS,
	typescriptreact: JS_PATTERNS,
	javascript: JS_PATTERNS,
	javascriptreact: JS_PATTERNS,
	java: [
		{ re: new RegExp(String.raw`^(${JAVA_MODS}(?:class|interface|enum|record|@interface)\s+)([\w$]+)`), kind: 'class', form: 'class', name: 2 },
		{
			re: new RegExp(String.raw`^(${JAVA_MODS}(?:<[^()]*?>\s*)?)(${JAVA_TYPE})\s+([\w$]+)\s*(?=\()`),
			kind: 'function',
			form: 'method',
			name: 3,
			type: 2,
			reject: JAVA_NOT_TYPES,
		},
		{ re: new RegExp(String.raw`^(${JAVA_MODS}(?:<[^()]*?>\s*)?)([A-Z][\w$]*)\s*(?=\()`), kind: 'function', form: 'ctor', name: 2 },
	],
	csharp: [
		{
			re: new RegExp(String.raw`^(${CS_MODS}(?:class|struct|interface|enum|record(?:\s+(?:class|struct))?)\s+)(@?\w+)`),
			kind: 'class',
			form: 'class',
			name: 2,
		},
		{
			re: new RegExp(String.raw`^(${CS_MODS})(${CS_TYPE})\s+(@?\w+)\s*(?:<[^()]*?>\s*)?(?=\()`),
			kind: 'function',
			form: 'method',
			name: 3,
			type: 2,
			reject: CS_NOT_TYPES,
		},
		{ re: new RegExp(String.raw`^(${CS_MODS})([A-Z_]\w*)\s*(?=\()`), kind: 'function', form: 'ctor', name: 2, reject: CS_NOT_TYPES },
	],
	go: [
		{ re: /^(func\s*(?:\([^)]*\)\s*)?)(\w+)\s*(?=[[(])/, kind: 'function', form: 'function', name: 2 },
		{ re: /^(type\s+)(\w+)/, kind: 'class', form: 'class', name: 2 },
	],
	rust: [
		{
			re: new RegExp(String.raw`^(${RUST_VIS}(?:default\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?(?:extern\s+)?fn\s+)(\w+)`),
			kind: 'function',
			form: 'function',
			name: 2,
		},
		{ re: new RegExp(String.raw`^(${RUST_VIS}(?:unsafe\s+)?(?:struct|enum|trait|union)\s+)(\w+)`), kind: 'class', form: 'class', name: 2 },
	],
	python: [
		{ re: /^((?:async\s+)?def\s+)([A-Za-z_]\w*)/, kind: 'function', form: 'def', name: 2 },
		{ re: /^(class\s+)([A-Za-z_]\w*)/, kind: 'class', form: 'def', name: 2 },
	],
};

/** Languages the fallback understands. */
export function hasFallback(languageId: string): boolean {
	return languageId in PATTERNS;
}

/** How far the search for a body's opening brace may run (characters). */
const HEADER_LIMIT = 4000;

/**
 * The declaration that starts on `line` (after any decorators on the same
 * line), with its extent; undefined when the line declares nothing.
 */
export function parseDeclarationAt(scan: CodeScan, line: number, languageId: string): Declaration | undefined {
	const patterns = PATTERNS[languageId];
	if (!patterns || line < 0 || line >= scan.lines.length) {
		return undefined;
	}
	const lineStart = scan.lineStarts[line];
	const pos = skipDecorators(scan.masked, lineStart, languageId);
	if (lineAt(scan, pos) !== line) {
		return undefined; // the line holds only decorators
	}
	const rest = scan.maskedLines[line].slice(pos - lineStart);
	for (const p of patterns) {
		const m = p.re.exec(rest);
		if (!m) {
			continue;
		}
		const name = m[p.name] ?? 'default';
		const type = p.type !== undefined ? m[p.type] : undefined;
		if (p.reject && (p.reject.has(name) || (type !== undefined && p.reject.has(type)))) {
			continue;
		}
		const decl: Declaration = {
			name,
			kind: p.kind,
			form: p.form,
			line,
			head: m[1].trim(),
			leadingType: type?.trim(),
			params: undefined,
			tail: '',
			bodyOpen: undefined,
			oneLiner: false,
			endLine: line,
		};
		const after = pos + m[0].length;
		const done = p.form === 'def' ? pythonExtent(scan, decl, after) : braceExtent(scan, decl, after, languageId);
		if (done) {
			return done;
		}
	}
	return undefined;
}

function skipAngles(masked: string, i: number): number {
	let depth = 0;
	for (let k = i; k < masked.length && k < i + HEADER_LIMIT; k++) {
		const ch = masked[k];
		if (ch === '<') {
			depth++;
		} else if (ch === '>' && masked[k - 1] !== '=') {
			depth--;
			if (depth === 0) {
				return k + 1;
			}
		} else if (ch === ';' || ch === '{') {
			return -1;
		}
	}
	return -1;
}

function skipIdent(masked: string, i: number): number {
	while (i < masked.length && /[\w$]/.test(masked[i])) {
		i++;
	}
	return i;
}

type Stop = { at: number; ch: '{' | ';' | '\n' | 'expr' };

/**
 * From the end of a signature, finds where the body opens (`{`) or the
 * declaration ends (`;`, Go's line end, the end of an arrow's expression).
 * Brackets nest; an unmatched closing bracket means we left the enclosing
 * scope and there is no body.
 */
function findBody(masked: string, from: number, languageId: string, arrow: boolean): Stop | undefined {
	let depth = 0;
	const limit = Math.min(masked.length, from + HEADER_LIMIT);
	for (let k = from; k < limit; k++) {
		const ch = masked[k];
		if (depth === 0 && ch === '=' && masked[k + 1] === '>') {
			k++;
			if (arrow || languageId === 'csharp') {
				const body = skipSpace(masked, k + 1);
				if (masked[body] === '{') {
					return { at: body, ch: '{' };
				}
				return expressionEnd(masked, body);
			}
			continue;
		}
		if (ch === '(' || ch === '[') {
			depth++;
		} else if (ch === ')' || ch === ']' || ch === '}') {
			if (depth === 0) {
				return undefined;
			}
			depth--;
		} else if (depth === 0 && (ch === '{' || ch === ';')) {
			// An arrow form without its `=>` was a parenthesised value, not a function.
			return arrow ? undefined : { at: k, ch };
		} else if (depth === 0 && ch === '\n' && languageId === 'go') {
			return { at: k, ch: '\n' };
		}
	}
	return undefined;
}

/** End of an expression body: the first `;`, or line end, outside brackets. */
function expressionEnd(masked: string, from: number): Stop {
	let depth = 0;
	let k = from;
	for (; k < masked.length; k++) {
		const ch = masked[k];
		if ('([{'.includes(ch)) {
			depth++;
		} else if (')]}'.includes(ch)) {
			if (depth === 0) {
				break;
			}
			depth--;
		} else if (depth === 0 && (ch === ';' || (ch === '\n' && masked.slice(from, k).trim() !== ''))) {
			break;
		}
	}
	return { at: k, ch: 'expr' };
}

/** What may stand between a signature and its body, per language. */
function tailAllowed(decl: Declaration, tail: string, stop: Stop['ch'], languageId: string): boolean {
	if (decl.form === 'class' || decl.form === 'arrow' || stop === 'expr') {
		return true;
	}
	const semi = stop === ';' || stop === '\n';
	switch (languageId) {
		case 'java':
			if (!/^\s*(?:throws\s[\s\S]*)?$/.test(tail) && !(semi && /^\s*default\b/.test(tail))) {
				return false;
			}
			return !semi || decl.form === 'method';
		case 'csharp':
			if (semi) {
				return decl.form === 'method' && /^\s*(?:where\s[\s\S]*)?$/.test(tail);
			}
			return /^\s*(?::\s*(?:base|this)\s*\([\s\S]*\))?\s*(?:where\s[\s\S]*)?$/.test(tail);
		case 'rust':
			return /^\s*(?:(?:->|where\b)[\s\S]*)?$/.test(tail);
		case 'go':
			return true;
		default: {
			// TypeScript / JavaScript: a return type annotation at most.
			if (!/^\s*(?::[\s\S]*)?$/.test(tail)) {
				return false;
			}
			return !semi || /^\s*:/.test(tail) || decl.form === 'function' || /\b(?:abstract|declare)\b/.test(decl.head);
		}
	}
}

function braceExtent(scan: CodeScan, decl: Declaration, after: number, languageId: string): Declaration | undefined {
	const m = scan.masked;
	let k = skipSpace(m, after);
	let arrow = decl.form === 'arrow';
	if (decl.form !== 'class') {
		if (arrow && m.startsWith('function', k)) {
			// `const f = function name(...) {...}` reads like a function declaration.
			arrow = false;
			k = skipSpace(m, k + 'function'.length);
			if (m[k] === '*') {
				k = skipSpace(m, k + 1);
			}
			k = skipSpace(m, skipIdent(m, k));
		}
		if (m[k] === '<') {
			k = skipAngles(m, k);
		}
		if (k >= 0 && m[k] === '[' && languageId === 'go') {
			k = matchBracket(m, k); // type parameters
		}
		if (k < 0) {
			return undefined;
		}
		k = skipSpace(m, k);
		if (m[k] === '(') {
			const close = matchBracket(m, k);
			if (close < 0) {
				return undefined;
			}
			decl.params = [k + 1, close - 1];
			k = close;
		} else if (arrow && /[A-Za-z_$]/.test(m[k] ?? '')) {
			const end = skipIdent(m, k);
			decl.params = [k, end];
			k = end;
		} else {
			return undefined;
		}
	}
	const stop = findBody(m, k, languageId, arrow);
	if (!stop) {
		return undefined;
	}
	const tail = scan.text.slice(k, stop.at);
	// An arrow's tail keeps its return type only, not the `=>` and what follows.
	decl.tail = arrow ? tail.replace(/\s*=>[\s\S]*$/, '') : tail;
	if (!tailAllowed(decl, m.slice(k, stop.at), stop.ch, languageId)) {
		return undefined;
	}
	if (stop.ch !== '{') {
		decl.endLine = lineAt(scan, Math.max(k, stop.at));
		return decl;
	}
	let open = stop.at;
	let close = matchBracket(m, open);
	// TypeScript: `function f(): { a: number } {`: the first braces were the return type.
	while (close > 0 && decl.kind === 'function' && JS_LANGUAGES.has(languageId) && /^\s*:/.test(m.slice(k, open))) {
		const next = skipSpace(m, close);
		if (m[next] !== '{') {
			break;
		}
		open = next;
		close = matchBracket(m, open);
	}
	decl.bodyOpen = open;
	// An unclosed body (code being typed) runs to the end of the file.
	decl.endLine = close < 0 ? scan.lines.length - 1 : lineAt(scan, close - 1);
	return decl;
}

function pythonExtent(scan: CodeScan, decl: Declaration, after: number): Declaration | undefined {
	const m = scan.masked;
	let k = after;
	let depth = 0;
	for (; k < m.length && k < after + HEADER_LIMIT; k++) {
		const ch = m[k];
		if (ch === '(' && depth === 0 && decl.params === undefined && decl.kind === 'function') {
			const close = matchBracket(m, k);
			if (close < 0) {
				return undefined;
			}
			decl.params = [k + 1, close - 1];
			decl.tail = '';
			k = close - 1;
			continue;
		}
		if ('([{'.includes(ch)) {
			depth++;
		} else if (')]}'.includes(ch)) {
			depth--;
			if (depth < 0) {
				return undefined;
			}
		} else if (ch === ':' && depth === 0) {
			break;
		}
	}
	if (m[k] !== ':') {
		return undefined;
	}
	if (decl.params) {
		decl.tail = scan.text.slice(decl.params[1] + 1, k);
	}
	decl.bodyOpen = k;
	const colonLine = lineAt(scan, k);
	// Code after the colon (a string counts, a comment does not): the body is on this line.
	const afterColon = scan.lines[colonLine].slice(k + 1 - scan.lineStarts[colonLine]).trim();
	if (afterColon !== '' && !afterColon.startsWith('#')) {
		decl.oneLiner = true;
		decl.endLine = colonLine;
		while (decl.endLine + 1 < scan.lines.length && scan.continued[decl.endLine + 1]) {
			decl.endLine++;
		}
		return decl;
	}
	decl.endLine = pythonBodyEnd(scan, colonLine, indentWidth(indentOf(scan.lines[decl.line]), 8));
	return decl;
}

/** Last line of an indented block: deeper lines, blank lines and comments inside, continuations of brackets or strings. */
function pythonBodyEnd(scan: CodeScan, headerLine: number, headerIndent: number): number {
	let last = headerLine;
	let depth = 0;
	for (let l = headerLine + 1; l < scan.lines.length; l++) {
		const masked = scan.maskedLines[l];
		const continuation = scan.continued[l] || depth > 0;
		if (continuation) {
			if (scan.lines[l].trim() !== '') {
				last = l;
			}
		} else if (scan.lines[l].trim() !== '') {
			// Comments neither end a block nor extend it (their indentation means nothing);
			// any other line, a lone string too, is a statement.
			if (scan.lines[l].trimStart().startsWith('#')) {
				continue;
			}
			if (indentWidth(indentOf(scan.lines[l]), 8) <= headerIndent) {
				break;
			}
			last = l;
		}
		for (const ch of masked) {
			if ('([{'.includes(ch)) {
				depth++;
			} else if (')]}'.includes(ch)) {
				depth = Math.max(0, depth - 1);
			}
		}
	}
	return last;
}

function isCommentLine(scan: CodeScan, line: number, languageId: string): boolean {
	if (!isCommentOnly(scan, line)) {
		return false;
	}
	const t = scan.lines[line].trimStart();
	return languageId === 'python' ? t.startsWith('#') : t.startsWith('//') || t.startsWith('/*') || t.startsWith('*');
}

/**
 * The line to look for a symbol at. A cursor on a comment directly above
 * code (an existing doc comment, typically) or on a decorator means the
 * declaration below it.
 */
export function adjustCursorLine(scan: CodeScan, line: number, languageId: string): number {
	let l = Math.max(0, Math.min(line, scan.lines.length - 1));
	if (isCommentLine(scan, l, languageId)) {
		let k = l;
		while (k < scan.lines.length && isCommentLine(scan, k, languageId)) {
			k++;
		}
		if (k >= scan.lines.length || scan.lines[k].trim() === '') {
			return l;
		}
		l = k;
	}
	// On a decorator, or inside the arguments of one that spans lines.
	for (let k = l; k >= 0 && k >= l - DECORATOR_REACH; k--) {
		if (k < l && scan.lines[k].trim() === '') {
			break;
		}
		if (startsDecorator(scan.maskedLines[k], languageId)) {
			const pos = skipDecorators(scan.masked, scan.lineStarts[k], languageId);
			const declaration = lineAt(scan, pos);
			if (pos < scan.masked.length && declaration > l) {
				return declaration;
			}
		}
	}
	return l;
}

/** How many lines above the cursor a decorator spanning it may start. */
const DECORATOR_REACH = 20;

/** The innermost function, method or class whose lines contain `line`. */
export function findSymbolAt(text: string, line: number, languageId: string): SymbolSpan | undefined {
	if (!hasFallback(languageId)) {
		return undefined;
	}
	const scan = scanCode(text, languageId);
	const target = adjustCursorLine(scan, line, languageId);
	// Walking up, the first declaration that reaches the cursor is the innermost one.
	for (let l = target; l >= 0; l--) {
		const decl = parseDeclarationAt(scan, l, languageId);
		if (decl && decl.endLine >= target) {
			return {
				name: decl.name,
				kind: decl.kind,
				startLine: decoratorStart(scan, l, languageId),
				declarationLine: l,
				endLine: decl.endLine,
			};
		}
	}
	return undefined;
}

/**
 * Normalises a symbol range from a language server: providers differ on
 * whether it includes the leading comment (skipped) and the decorators
 * (added). `nameLine` is the line of the symbol's name when known.
 */
export function normaliseSymbolSpan(
	text: string,
	languageId: string,
	span: { startLine: number; endLine: number; nameLine?: number },
): { startLine: number; declarationLine: number; endLine: number } {
	const scan = scanCode(text, languageId);
	const endLine = Math.min(span.endLine, scan.lines.length - 1);
	let s = Math.min(span.startLine, endLine);
	const limit = Math.min(endLine, span.nameLine ?? endLine);
	while (s < limit && (scan.lines[s].trim() === '' || isCommentOnly(scan, s))) {
		s++;
	}
	let declarationLine = lineAt(scan, skipDecorators(scan.masked, scan.lineStarts[s], languageId));
	if (declarationLine > endLine) {
		declarationLine = s;
	}
	if (span.nameLine !== undefined && span.nameLine > declarationLine && span.nameLine <= endLine) {
		declarationLine = span.nameLine;
	}
	return { startLine: decoratorStart(scan, s, languageId), declarationLine, endLine };
}
