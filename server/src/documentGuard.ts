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
	/** Offset of the prefix's first character in the text. */
	start: number;
	/**
	 * The text between the first character the start's rule read and the start
	 * (at most a step's worth, usually a few characters): with the prefix, all
	 * that typedWindow needs to move the window along typed text.
	 */
	head: string;
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
	const start = windowStart(text, 0, offset, before);
	const end = windowEnd(text, offset, after);
	const read = startGrid(offset, before);
	return {
		prefix: text.slice(start, offset),
		suffix: text.slice(offset, end),
		prefixClipped: start > 0,
		suffixClipped: end < text.length,
		start,
		head: read === undefined ? '' : text.slice(read - 1, start),
	};
}

/**
 * The window cursorWindow(text', offset + typed.length, before, after) would
 * give for text' = `typed` inserted at the cursor of the text `w` came from,
 * computed from `w` alone (`before` and `after` as given for `w`): no copy of
 * the document per typed prefix (the answer cache's forwarding entries).
 * Exact because the start only moves forward as the cursor does, and reads
 * no further back than `w.head`; the suffix depends on the text after the
 * cursor only, which typing leaves alone.
 */
export function typedWindow(w: CursorWindow, typed: string, before: number): CursorWindow {
	const base = w.start - w.head.length;
	const region = w.head + w.prefix + typed;
	const offset = base + region.length;
	const start = windowStart(region, base, offset, before);
	const read = startGrid(offset, before);
	return {
		prefix: region.slice(start - base),
		suffix: w.suffix,
		prefixClipped: start > 0,
		suffixClipped: w.suffixClipped,
		start,
		head: read === undefined ? '' : region.slice(read - 1 - base, start - base),
	};
}

/** The grid point the window's start is taken from (a multiple of a quarter of `before`), undefined when the window starts at 0. */
function startGrid(offset: number, before: number): number | undefined {
	if (offset <= before) {
		return undefined;
	}
	const step = Math.max(1, Math.floor(before / WINDOW_STEPS));
	return Math.ceil((offset - before) / step) * step;
}

/** The window's start for a cursor at `offset`; `text` holds the document from offset `base` on (at least from the grid point's previous character). */
function windowStart(text: string, base: number, offset: number, before: number): number {
	const grid = startGrid(offset, before);
	if (grid === undefined) {
		return 0;
	}
	const step = Math.max(1, Math.floor(before / WINDOW_STEPS));
	return base + lineStartAfter(text, grid - base, Math.min(offset + 1, grid + step) - base);
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
