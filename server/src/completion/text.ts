/**
 * Small text facts the completion stages share: indentation widths, the
 * document's indentation unit, and bracket depth. Pure functions on strings.
 */

/** Tab stops for indentation widths (VS Code's default tab size). */
export const TAB_WIDTH = 4;

/** Width of a line's leading whitespace, tabs counted to the next tab stop. */
export function indentWidth(line: string): number {
	let width = 0;
	for (const ch of line) {
		if (ch === ' ') {
			width += 1;
		} else if (ch === '\t') {
			width += TAB_WIDTH - (width % TAB_WIDTH);
		} else {
			break;
		}
	}
	return width;
}

/** The leading whitespace of a line. */
export function leadingWhitespace(line: string): string {
	return /^[ \t]*/.exec(line)?.[0] ?? '';
}

export function isBlank(line: string): boolean {
	return line.trim() === '';
}

/**
 * The indentation unit the text uses: a tab when most indented lines start
 * with one, otherwise the most common step between the widths of
 * neighbouring lines (2, 4 or 8 spaces), four spaces when nothing tells.
 */
export function detectIndentUnit(lines: readonly string[]): string {
	let tabs = 0;
	let spaces = 0;
	const steps = new Map<number, number>();
	let previous = 0;
	for (const line of lines) {
		if (isBlank(line)) {
			continue;
		}
		if (line.startsWith('\t')) {
			tabs++;
		} else if (line.startsWith(' ')) {
			spaces++;
		}
		const width = indentWidth(line);
		const step = Math.abs(width - previous);
		if (step === 2 || step === 4 || step === 8) {
			steps.set(step, (steps.get(step) ?? 0) + 1);
		}
		previous = width;
	}
	if (tabs > spaces) {
		return '\t';
	}
	let best = 4;
	let bestCount = 0;
	for (const [step, count] of steps) {
		if (count > bestCount || (count === bestCount && step < best)) {
			best = step;
			bestCount = count;
		}
	}
	return ' '.repeat(best);
}

/** Whitespace of the given width in the document's style. */
export function makeIndent(width: number, unit: string): string {
	if (unit === '\t') {
		return '\t'.repeat(Math.floor(width / TAB_WIDTH)) + ' '.repeat(width % TAB_WIDTH);
	}
	return ' '.repeat(width);
}

const OPENERS = '([{';
const CLOSERS = ')]}';
const QUOTES = `'"\``;

/** How brackets run through a piece of code: the net depth at its end and the lowest depth on the way. */
export interface BracketProfile {
	end: number;
	min: number;
}

/**
 * Brackets of `code`, skipping string literals (quotes of one line) and
 * line comments when the language's marker is given. Good enough for the
 * short spans the completion rules judge; a full parse is not needed there.
 */
export function bracketProfile(code: string, lineComment?: string): BracketProfile {
	let depth = 0;
	let min = 0;
	let quote = '';
	for (let i = 0; i < code.length; i++) {
		const ch = code[i];
		if (quote !== '') {
			if (ch === '\\') {
				i++;
			} else if (ch === quote || ch === '\n') {
				quote = '';
			}
			continue;
		}
		if (QUOTES.includes(ch)) {
			quote = ch;
		} else if (lineComment !== undefined && code.startsWith(lineComment, i)) {
			const nl = code.indexOf('\n', i);
			i = nl < 0 ? code.length : nl - 1;
		} else if (OPENERS.includes(ch)) {
			depth++;
		} else if (CLOSERS.includes(ch)) {
			depth--;
			min = Math.min(min, depth);
		}
	}
	return { end: depth, min };
}

/** Net open brackets in `text`. */
export function bracketDepth(text: string, lineComment?: string): number {
	return bracketProfile(text, lineComment).end;
}

export function isCloserChar(ch: string | undefined): boolean {
	return ch !== undefined && CLOSERS.includes(ch);
}

/** Identifier characters (letters, digits, `_`, `$`) in any script. */
export const WORD_CHAR = /[\p{L}\p{N}_$]/u;
