/**
 * Lexical helpers for the symbol fallback and the doc comment editor: a copy
 * of the source with strings and comments blanked out, so braces, brackets,
 * keywords and decorators can be found with plain scans. Pure (no `vscode`
 * import) so the unit tests run it directly. It is a tokenizer good enough
 * for finding structure, not a parser: odd corners (nested quotes inside
 * f-string holes, C# interpolation holes) may confuse it.
 */

interface LexRules {
	/** `#` line comments and Python's string forms instead of the C family's. */
	python: boolean;
	/** What a single quote opens. */
	singleQuote: 'string' | 'char' | 'rustChar';
	/** What a backtick opens. */
	backtick: 'template' | 'raw' | 'none';
	/** `"""` opens a multi-line string (Java text blocks, C# raw strings). */
	tripleQuote: boolean;
	/** C# `@"..."` verbatim strings (quotes doubled, no backslash escapes). */
	verbatim: boolean;
	/** Rust `r"..."` / `r#"..."#` raw strings. */
	rustRaw: boolean;
	/** Plain `"..."` strings may span lines (Rust). */
	multilineStrings: boolean;
	/** JavaScript regular expression literals. */
	regex: boolean;
	/** Block comments nest (Rust). */
	nestedComments: boolean;
}

const C_LIKE: LexRules = {
	python: false,
	singleQuote: 'string',
	backtick: 'none',
	tripleQuote: false,
	verbatim: false,
	rustRaw: false,
	multilineStrings: false,
	regex: false,
	nestedComments: false,
};

const JS: LexRules = { ...C_LIKE, backtick: 'template', regex: true };

const RULES: Record<string, LexRules> = {
	typescript: JS,
	typescriptreact: JS,
	javascript: JS,
	javascriptreact: JS,
	java: { ...C_LIKE, singleQuote: 'char', tripleQuote: true },
	csharp: { ...C_LIKE, singleQuote: 'char', tripleQuote: true, verbatim: true },
	go: { ...C_LIKE, singleQuote: 'char', backtick: 'raw' },
	rust: { ...C_LIKE, singleQuote: 'rustChar', rustRaw: true, multilineStrings: true, nestedComments: true },
	python: { ...C_LIKE, python: true },
};

function rulesFor(languageId: string): LexRules {
	return RULES[languageId] ?? C_LIKE;
}

export interface CodeScan {
	readonly text: string;
	/** Same length as `text`; characters of strings and comments replaced by spaces, line breaks kept. */
	readonly masked: string;
	/** Lines of the original text, without line breaks. */
	readonly lines: string[];
	/** Lines of `masked`. */
	readonly maskedLines: string[];
	/** Offset of each line's first character. */
	readonly lineStarts: number[];
	/** Whether a line begins inside a string or comment that opened on an earlier line. */
	readonly continued: boolean[];
}

const CHAR_LITERAL = /'(?:\\[^'\n]{1,10}|[^\\'\n])'/y;
const RUST_CHAR = /'(?:\\(?:[nrt0\\'"]|x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]{1,6}\})|[^\\'\n])'/y;
const RUST_RAW = /b?r(#*)"/y;
const REGEX_KEYWORDS = new Set([
	'return', 'typeof', 'case', 'do', 'else', 'in', 'of', 'void', 'yield', 'await', 'delete', 'throw', 'new', 'instanceof',
]);
const IDENT_CHAR = /[\w$]/;

/** Blanks out strings and comments, keeping every offset and line break where it was. */
export function scanCode(text: string, languageId: string): CodeScan {
	const rules = rulesFor(languageId);
	const spans: Array<[number, number]> = [];
	let lastSig = -1;
	let i = 0;
	while (i < text.length) {
		const end = tokenEnd(text, i, rules, lastSig);
		if (end > i) {
			spans.push([i, end]);
			if (!isComment(text, i, rules)) {
				lastSig = end - 1; // a string or regex is an operand: a slash after it divides
			}
			i = end;
			continue;
		}
		if (!/\s/.test(text[i])) {
			lastSig = i;
		}
		i++;
	}

	const parts: string[] = [];
	let from = 0;
	for (const [start, end] of spans) {
		parts.push(text.slice(from, start), text.slice(start, end).replace(/[^\r\n]/g, ' '));
		from = end;
	}
	parts.push(text.slice(from));
	const masked = parts.join('');

	const lineStarts = [0];
	for (let k = 0; k < text.length; k++) {
		if (text[k] === '\n') {
			lineStarts.push(k + 1);
		}
	}
	const continued = lineStarts.map(() => false);
	let line = 0;
	for (const [start, end] of spans) {
		while (line + 1 < lineStarts.length && lineStarts[line + 1] <= start) {
			line++;
		}
		// Every line that starts strictly inside the span begins inside a string or comment.
		let l = line + 1;
		while (l < lineStarts.length && lineStarts[l] < end) {
			continued[l] = true;
			l++;
		}
	}
	return {
		text,
		masked,
		lines: splitLines(text),
		maskedLines: splitLines(masked),
		lineStarts,
		continued,
	};
}

export function splitLines(text: string): string[] {
	return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** End (exclusive) of the string or comment that starts at `i`, or -1 when none starts there. */
function tokenEnd(text: string, i: number, rules: LexRules, lastSig: number): number {
	const c = text[i];
	const next = text[i + 1];
	if (rules.python) {
		if (c === '#') {
			return lineEnd(text, i);
		}
		if (c === '"' || c === "'") {
			return pythonString(text, i);
		}
		return -1;
	}
	if (c === '/' && next === '/') {
		return lineEnd(text, i);
	}
	if (c === '/' && next === '*') {
		return blockCommentEnd(text, i, rules.nestedComments);
	}
	if (c === '/' && rules.regex && regexAllowed(text, lastSig)) {
		return regexEnd(text, i);
	}
	if (c === '"') {
		if (rules.tripleQuote && text.startsWith('"""', i)) {
			return rawQuoteRun(text, i);
		}
		if (rules.verbatim && (text[i - 1] === '@' || (text[i - 1] === '$' && text[i - 2] === '@'))) {
			return verbatimEnd(text, i);
		}
		return quotedEnd(text, i, '"', rules.multilineStrings);
	}
	if (c === "'") {
		if (rules.singleQuote === 'string') {
			return quotedEnd(text, i, "'", false);
		}
		const re = rules.singleQuote === 'rustChar' ? RUST_CHAR : CHAR_LITERAL;
		re.lastIndex = i;
		const m = re.exec(text);
		// A quote that opens no char literal is a Rust lifetime (or a typo): plain code.
		return m ? i + m[0].length : -1;
	}
	if (c === '`') {
		if (rules.backtick === 'template') {
			return templateEnd(text, i, rules);
		}
		if (rules.backtick === 'raw') {
			const close = text.indexOf('`', i + 1);
			return close < 0 ? text.length : close + 1;
		}
		return -1;
	}
	if (rules.rustRaw && (c === 'r' || c === 'b') && (i === 0 || !IDENT_CHAR.test(text[i - 1]))) {
		RUST_RAW.lastIndex = i;
		const m = RUST_RAW.exec(text);
		if (m) {
			const close = text.indexOf('"' + m[1], i + m[0].length);
			return close < 0 ? text.length : close + 1 + m[1].length;
		}
	}
	return -1;
}

function isComment(text: string, i: number, rules: LexRules): boolean {
	return rules.python ? text[i] === '#' : text.startsWith('//', i) || text.startsWith('/*', i);
}

function lineEnd(text: string, i: number): number {
	const nl = text.indexOf('\n', i);
	const end = nl < 0 ? text.length : nl;
	return text[end - 1] === '\r' ? end - 1 : end;
}

function blockCommentEnd(text: string, i: number, nested: boolean): number {
	let depth = 0;
	let k = i;
	while (k < text.length) {
		if (text.startsWith('/*', k)) {
			depth = nested || depth === 0 ? depth + 1 : depth;
			k += 2;
		} else if (text.startsWith('*/', k)) {
			depth--;
			k += 2;
			if (depth === 0) {
				return k;
			}
		} else {
			k++;
		}
	}
	return text.length;
}

/** A quoted string with backslash escapes; unterminated ones stop at the line's end. */
function quotedEnd(text: string, i: number, quote: string, multiline: boolean): number {
	let k = i + 1;
	while (k < text.length) {
		const ch = text[k];
		if (ch === '\\') {
			k += 2;
		} else if (ch === quote) {
			return k + 1;
		} else if (ch === '\n' && !multiline) {
			return text[k - 1] === '\r' ? k - 1 : k;
		} else {
			k++;
		}
	}
	return text.length;
}

/** Java text blocks and C# raw strings: a run of three or more quotes closed by the same run. */
function rawQuoteRun(text: string, i: number): number {
	let n = 0;
	while (text[i + n] === '"') {
		n++;
	}
	const close = text.indexOf('"'.repeat(n), i + n);
	return close < 0 ? text.length : close + n;
}

function verbatimEnd(text: string, i: number): number {
	let k = i + 1;
	while (k < text.length) {
		if (text[k] === '"') {
			if (text[k + 1] === '"') {
				k += 2;
				continue;
			}
			return k + 1;
		}
		k++;
	}
	return text.length;
}

function pythonString(text: string, i: number): number {
	const quote = text[i];
	const triple = quote.repeat(3);
	if (text.startsWith(triple, i)) {
		let k = i + 3;
		while (k < text.length) {
			if (text[k] === '\\') {
				k += 2;
			} else if (text.startsWith(triple, k)) {
				return k + 3;
			} else {
				k++;
			}
		}
		return text.length;
	}
	return quotedEnd(text, i, quote, false);
}

/** Template literal: `${...}` holes hold code that may contain further strings, templates and braces. */
function templateEnd(text: string, i: number, rules: LexRules): number {
	let k = i + 1;
	while (k < text.length) {
		const ch = text[k];
		if (ch === '\\') {
			k += 2;
		} else if (ch === '`') {
			return k + 1;
		} else if (ch === '$' && text[k + 1] === '{') {
			k = holeEnd(text, k + 2, rules);
		} else {
			k++;
		}
	}
	return text.length;
}

function holeEnd(text: string, i: number, rules: LexRules): number {
	let depth = 0;
	let k = i;
	let lastSig = i - 1;
	while (k < text.length) {
		const end = tokenEnd(text, k, rules, lastSig);
		if (end > k) {
			if (!isComment(text, k, rules)) {
				lastSig = end - 1;
			}
			k = end;
			continue;
		}
		const ch = text[k];
		if (ch === '{') {
			depth++;
		} else if (ch === '}') {
			if (depth === 0) {
				return k + 1;
			}
			depth--;
		}
		if (!/\s/.test(ch)) {
			lastSig = k;
		}
		k++;
	}
	return text.length;
}

/** Whether a `/` after the code char at `lastSig` starts a regular expression rather than a division. */
function regexAllowed(text: string, lastSig: number): boolean {
	if (lastSig < 0) {
		return true;
	}
	const prev = text[lastSig];
	if (IDENT_CHAR.test(prev)) {
		let s = lastSig;
		while (s > 0 && IDENT_CHAR.test(text[s - 1])) {
			s--;
		}
		return REGEX_KEYWORDS.has(text.slice(s, lastSig + 1));
	}
	return '(,=:[!&|?{};~+-*%<>^'.includes(prev);
}

function regexEnd(text: string, i: number): number {
	let k = i + 1;
	let inClass = false;
	while (k < text.length) {
		const ch = text[k];
		if (ch === '\n') {
			return -1; // not a regex after all: leave the slash as an operator
		}
		if (ch === '\\') {
			k += 2;
			continue;
		}
		if (ch === '[') {
			inClass = true;
		} else if (ch === ']') {
			inClass = false;
		} else if (ch === '/' && !inClass) {
			k++;
			while (k < text.length && /[a-z]/i.test(text[k])) {
				k++;
			}
			return k;
		}
		k++;
	}
	return -1;
}

const OPENERS = '([{';
const CLOSERS = ')]}';

/**
 * Index just after the bracket that closes the one at `open` (any of `([{`,
 * nesting counted across all three kinds), or -1 when it never closes.
 */
export function matchBracket(masked: string, open: number): number {
	let depth = 0;
	for (let k = open; k < masked.length; k++) {
		const ch = masked[k];
		if (OPENERS.includes(ch)) {
			depth++;
		} else if (CLOSERS.includes(ch)) {
			depth--;
			if (depth === 0) {
				return k + 1;
			}
		}
	}
	return -1;
}

/** The line that holds offset `offset`. */
export function lineAt(scan: CodeScan, offset: number): number {
	let lo = 0;
	let hi = scan.lineStarts.length - 1;
	while (lo < hi) {
		const mid = (lo + hi + 1) >> 1;
		if (scan.lineStarts[mid] <= offset) {
			lo = mid;
		} else {
			hi = mid - 1;
		}
	}
	return lo;
}

export function skipSpace(masked: string, i: number): number {
	while (i < masked.length && /\s/.test(masked[i])) {
		i++;
	}
	return i;
}

type DecoratorSyntax = 'at' | 'rust' | 'csharp' | 'none';

function decoratorSyntax(languageId: string): DecoratorSyntax {
	switch (languageId) {
		case 'rust':
			return 'rust';
		case 'csharp':
			return 'csharp';
		case 'go':
			return 'none';
		default:
			return 'at';
	}
}

/**
 * Skips decorators, annotations or attributes (`@x.y(...)`, `#[...]`,
 * `[...]`) and the whitespace around them, starting at `i`; returns where the
 * declaration itself begins. Comments are already blank in `masked`.
 */
export function skipDecorators(masked: string, i: number, languageId: string): number {
	const syntax = decoratorSyntax(languageId);
	let k = skipSpace(masked, i);
	for (;;) {
		let after = -1;
		if (syntax === 'at' && masked[k] === '@' && !masked.startsWith('@interface', k)) {
			after = k + 1;
			while (after < masked.length) {
				const ch = masked[after];
				if (/[\w$.]/.test(ch)) {
					after++;
				} else if (ch === '(' || ch === '[') {
					const close = matchBracket(masked, after);
					if (close < 0) {
						return k;
					}
					after = close;
				} else {
					break;
				}
			}
			if (after === k + 1) {
				return k;
			}
		} else if (syntax === 'rust' && masked[k] === '#' && (masked[k + 1] === '[' || masked.startsWith('![', k + 1))) {
			after = matchBracket(masked, masked.indexOf('[', k));
		} else if (syntax === 'csharp' && masked[k] === '[') {
			after = matchBracket(masked, k);
		}
		if (after < 0) {
			return k;
		}
		k = skipSpace(masked, after);
	}
}

/** Whether a masked line begins with a decorator, annotation or attribute opener. */
export function startsDecorator(maskedLine: string, languageId: string): boolean {
	const t = maskedLine.trimStart();
	switch (decoratorSyntax(languageId)) {
		case 'at':
			return /^@[\w$]/.test(t) && !t.startsWith('@interface');
		case 'rust':
			return t.startsWith('#[');
		case 'csharp':
			return t.startsWith('[');
		default:
			return false;
	}
}

/** How far up the decorator search looks; multi-line decorators rarely run longer. */
const DECORATOR_LOOKBACK = 40;

/**
 * First line of the decorators directly above `line` (no blank line between),
 * or `line` itself when there are none. Multi-line decorators count: a line is
 * accepted when everything from it down to `line` is decorators.
 */
export function decoratorStart(scan: CodeScan, line: number, languageId: string): number {
	let best = line;
	for (let k = line - 1; k >= 0 && k >= line - DECORATOR_LOOKBACK; k--) {
		if (scan.lines[k].trim() === '') {
			break;
		}
		if (!startsDecorator(scan.maskedLines[k], languageId)) {
			continue;
		}
		const end = skipDecorators(scan.masked, scan.lineStarts[k], languageId);
		if (end >= scan.lineStarts[line] && lineAt(scan, end) === line) {
			best = k;
		}
	}
	return best;
}

/** Leading whitespace of a line. */
export function indentOf(line: string): string {
	return /^[ \t]*/.exec(line)?.[0] ?? '';
}

/** Visual width of an indentation, tabs counted as `tabSize` columns. */
export function indentWidth(indent: string, tabSize: number): number {
	let w = 0;
	for (const ch of indent) {
		w = ch === '\t' ? w + tabSize - (w % tabSize) : w + 1;
	}
	return w;
}

/** A line that holds only a comment (or the inside of a multi-line string). */
export function isCommentOnly(scan: CodeScan, line: number): boolean {
	return scan.lines[line].trim() !== '' && scan.maskedLines[line].trim() === '';
}
