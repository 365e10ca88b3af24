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

/** At most `before` characters before `offset` and `after` characters after it. */
export function cursorWindow(text: string, offset: number, before: number, after: number): CursorWindow {
	const start = Math.max(0, offset - before);
	const end = Math.min(text.length, offset + after);
	return {
		prefix: text.slice(start, offset),
		suffix: text.slice(offset, end),
		prefixClipped: start > 0,
		suffixClipped: end < text.length,
	};
}

/**
 * Characters worth reading for a budget of `tokens`: code averages three to
 * four characters a token; eight leaves room for whitespace runs without
 * reading megabytes.
 */
export function charsForTokens(tokens: number): number {
	return tokens * 8;
}
