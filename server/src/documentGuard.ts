/**
 * Cheap checks on document text before any of it reaches the tokenizer: is it
 * text at all, and which window around the cursor is worth reading. A 5 MB
 * file or a 200,000-character line must cost no more than a small one.
 */

/**
 * Binary content (images, archives opened as text) shows up as NUL characters
 * or many control characters; tab, newlines, form feed and escape are fine.
 */
export function looksBinary(text: string): boolean {
	if (text.length === 0) {
		return false;
	}
	let control = 0;
	for (let i = 0; i < text.length; i++) {
		const c = text.charCodeAt(i);
		if (c === 0) {
			return true;
		}
		if ((c < 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12 && c !== 27) || c === 0xfffd) {
			control++;
		}
	}
	return control / text.length > 0.1;
}

export interface CursorWindow {
	prefix: string;
	suffix: string;
	/** true when text before the window start was left out. */
	prefixClipped: boolean;
	suffixClipped: boolean;
}

/**
 * The window's start moves in steps of a quarter of its size (and its end is
 * kept at a line end): see cursorWindow.
 */
const WINDOW_STEPS = 4;

/**
 * At most `before` characters before `offset` and `after` characters after it.
 *
 * Both edges are anchored so that typing at the cursor only appends to the
 * prefix and leaves the suffix alone, which is what lets the model reuse the
 * KV cache of the last prompt (prompt.ts, prefixCache.ts). The start sits on
 * a grid of before/4 characters counted from the document's start, moved to
 * the next line start within the step: it stays put while the user types,
 * until the window has grown by a quarter, then jumps a quarter. The end is
 * counted from the cursor, so inserting text before the cursor does not move
 * it in the text after the cursor, and is pulled back to a line end (by less
 * than after/4), so the suffix ends with whole lines.
 */
export function cursorWindow(text: string, offset: number, before: number, after: number): CursorWindow {
	const start = windowStart(text, offset, before);
	const end = windowEnd(text, offset, after);
	return {
		prefix: text.slice(start, offset),
		suffix: text.slice(offset, end),
		prefixClipped: start > 0,
		suffixClipped: end < text.length,
	};
}

function windowStart(text: string, offset: number, before: number): number {
	if (offset <= before) {
		return 0;
	}
	const step = Math.max(1, Math.floor(before / WINDOW_STEPS));
	const grid = Math.ceil((offset - before) / step) * step;
	return lineStartAfter(text, grid, Math.min(offset + 1, grid + step));
}

function windowEnd(text: string, offset: number, after: number): number {
	const end = offset + after;
	if (end >= text.length) {
		return text.length;
	}
	const reach = Math.max(1, Math.floor(after / WINDOW_STEPS));
	const from = Math.max(offset, end - reach);
	const nl = text.slice(from, end).lastIndexOf('\n');
	return nl >= 0 ? from + nl + 1 : end;
}

/**
 * `at` when a line starts there, else the next line start before `limit`
 * (exclusive), else `at`. Reads at most limit - at characters.
 */
export function lineStartAfter(text: string, at: number, limit: number): number {
	if (at <= 0 || text.charCodeAt(at - 1) === 10) {
		return Math.max(0, at);
	}
	const nl = text.slice(at, limit - 1).indexOf('\n');
	return nl >= 0 ? at + nl + 1 : at;
}

/**
 * Characters worth reading for a budget of `tokens`: code averages three to
 * four characters a token; eight leaves room for whitespace runs without
 * reading megabytes.
 */
export function charsForTokens(tokens: number): number {
	return tokens * 8;
}
