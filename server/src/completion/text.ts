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

/**
 * Net open brackets in `text` (strings and comments are not told apart: the
 * rules that use this look at short spans of code).
 */
export function bracketDepth(text: string): number {
	let depth = 0;
	for (const ch of text) {
		if (OPENERS.includes(ch)) {
			depth++;
		} else if (CLOSERS.includes(ch)) {
			depth--;
		}
	}
	return depth;
}

export function isCloserChar(ch: string | undefined): boolean {
	return ch !== undefined && CLOSERS.includes(ch);
}

/** Identifier characters (letters, digits, `_`, `$`) in any script. */
export const WORD_CHAR = /[\p{L}\p{N}_$]/u;
