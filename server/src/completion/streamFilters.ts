/**
 * Stage 3 of an inline completion, inside the decoding loop: stream filters.
 * After every generated token the engine calls checkStop with the text so
 * far; each filter is a named rule that may say "stop here, keep this much".
 * The model stops as soon as one fires, so no time is spent generating text
 * that would be thrown away. Rules that judge lines look only at complete
 * lines (the last one may still change), except the single-line rule.
 */
import { BLOCK_OPENER, type CompletionContext } from './context';
import { bracketDepth, bracketProfile, indentWidth, isBlank, isCloserChar } from './text';

/** What to keep when a filter fires; undefined lets generation go on. */
export type StreamFilter = (generated: string, ctx: CompletionContext) => string | undefined;

export interface StopVerdict {
	/** The completion to keep (may be shorter than the text seen). */
	text: string;
	/** true: generation should end now. */
	stop: boolean;
}

/** The complete lines of `generated`, the first one joined to the text before the cursor. */
function completeLines(generated: string): string[] {
	return generated.split('\n').slice(0, -1);
}

/** The first `n` lines of `generated`, as text. */
function keepLines(generated: string, n: number): string {
	return generated.split('\n').slice(0, n).join('\n');
}

// ---- Loops -----------------------------------------------------------------------------------

/** Longest repeated unit inside a line, in characters, and how often it must repeat. */
const LOOP_MAX_UNIT = 24;
const LOOP_REPEATS = 4;
/** Longest repeated block of lines. */
const BLOCK_MAX_LINES = 8;

/**
 * A small model can get stuck repeating a short piece (`#  #  #  #`,
 * `a, a, a, a`, `/ len(xs) / len(xs)`). When the text ends with one unit
 * repeated LOOP_REPEATS times, keep one copy of it, cut where the copy ends
 * naturally (after a word character, a closer or a quote, never on an
 * operator); otherwise undefined.
 */
export function repeatedTail(text: string): string | undefined {
	for (let unit = 1; unit <= LOOP_MAX_UNIT && unit * LOOP_REPEATS <= text.length; unit++) {
		const piece = text.slice(text.length - unit);
		if (piece.trim() === '') {
			continue; // runs of whitespace are indentation, not a loop
		}
		let start = text.length - unit;
		let count = 1;
		while (start - unit >= 0 && text.slice(start - unit, start) === piece) {
			start -= unit;
			count++;
		}
		if (count >= LOOP_REPEATS && count * unit >= 8) {
			for (let end = start + unit; end > start; end--) {
				const kept = text.slice(0, end).trimEnd();
				if (NATURAL_END.test(kept)) {
					return kept;
				}
			}
			return text.slice(0, start).trimEnd();
		}
	}
	return undefined;
}

/** Where a kept piece of a loop may end: a word character, a closer or a quote. */
const NATURAL_END = /[\p{L}\p{N}_$)\]}'"`]$/u;

/** A line at least this long (trimmed) is code, not a closer: written twice in a row, it is a loop. */
const SUBSTANTIVE_LINE = 8;

/**
 * Whole lines repeating: a block of two to eight lines twice in a row, a line
 * of code twice (short lines such as `}` or `i++;` three times). Keeps the
 * lines up to the end of the first copy.
 */
export function repeatedBlock(generated: string, linePrefix = ''): string | undefined {
	const lines = completeLines(linePrefix + generated).map((l) => l.trimEnd());
	for (let size = 1; size <= BLOCK_MAX_LINES && size * 2 <= lines.length; size++) {
		const block = lines.slice(lines.length - size);
		if (block.every(isBlank)) {
			continue;
		}
		let copies = 1;
		while (lines.length - (copies + 1) * size >= 0 && lines.slice(lines.length - (copies + 1) * size, lines.length - copies * size).every((l, k) => l === block[k])) {
			copies++;
		}
		const needed = size === 1 && block[0].trim().length < SUBSTANTIVE_LINE ? 3 : 2;
		if (copies >= needed) {
			return keepLines(generated, lines.length - (copies - 1) * size);
		}
	}
	return undefined;
}

/** The model is looping: within a line, or whole lines and blocks of lines. */
export const stopAtLoop: StreamFilter = (generated, ctx) => repeatedTail(generated) ?? repeatedBlock(generated, ctx.linePrefix);

// ---- The cursor's line -----------------------------------------------------------------------

/** One-line suggestions end at the first newline. */
export const stopAtSingleLineEnd: StreamFilter = (generated, ctx) => {
	if (ctx.mode !== 'single') {
		return undefined;
	}
	const nl = generated.indexOf('\n');
	return nl >= 0 ? generated.slice(0, nl) : undefined;
};

const QUOTES = `'"\``;

/**
 * The closers, quotes and separators right of the cursor (`console.log(resu|);`)
 * are already in the document: when the model starts writing them again (at
 * its own bracket depth 0, outside strings it opened), the suggestion ends
 * there, and the existing text completes the line.
 */
export const stopAtLineSuffix: StreamFilter = (generated, ctx) => {
	const expected = ctx.lineSuffix.trimStart().charAt(0);
	if (ctx.mode !== 'single' || expected === '') {
		return undefined;
	}
	let depth = 0;
	let inString = '';
	for (let i = 0; i < generated.length; i++) {
		const ch = generated[i];
		if (inString === '' && depth === 0 && ch === expected) {
			return generated.slice(0, i);
		}
		if (QUOTES.includes(ch)) {
			inString = inString === '' ? ch : inString === ch ? '' : inString;
		} else if (inString === '') {
			if ('([{'.includes(ch)) {
				depth++;
			} else if (isCloserChar(ch) && depth > 0) {
				depth--;
			}
		}
	}
	return undefined;
};

// ---- What already follows --------------------------------------------------------------------

/**
 * The model writes, as a whole line, the first line that already follows the
 * cursor (the `print(items)` below a blank line, the `}` the editor already
 * closed): the suggestion ends before it.
 */
export const stopAtExistingLine: StreamFilter = (generated, ctx) => {
	if (ctx.mode !== 'multi') {
		return undefined;
	}
	const next = isBlank(ctx.lineSuffix) ? ctx.followingLines.find((l) => !isBlank(l))?.trim() : undefined;
	if (next === undefined) {
		return undefined;
	}
	const lines = completeLines(generated);
	for (let i = 0; i < lines.length; i++) {
		const line = i === 0 ? ctx.linePrefix + lines[0] : lines[i];
		if (line.trim() === next) {
			return keepLines(generated, i);
		}
	}
	return undefined;
};

// ---- Scope -----------------------------------------------------------------------------------

const KEYWORD_CLOSER = /^\s*(?:end|fi|done|esac)\b/;
/** Lines that go on with the statement a block belongs to rather than end it. */
const CONTINUATION = /^\s*(?:[}\])]\s*)?(?:else\b|elif\b|except\b|finally\b|catch\b|elsif\b|rescue\b|ensure\b|when\b|while\s*\(.*\)\s*;\s*$)/;

function isCloserLine(line: string, blocks: CompletionContext['language']['blocks']): boolean {
	if (blocks === 'keywords' && KEYWORD_CLOSER.test(line)) {
		return true;
	}
	return isCloserChar(line.trimStart().charAt(0));
}

/**
 * A suggestion ends where its scope ends, on a whole line:
 * - it never leaves the block the cursor is in (a line less indented than
 *   its first line ends it);
 * - a block the suggestion opens at its first line's level (a function, an
 *   `if`, a bracket) ends it when that block ends: with the block's closer
 *   where the language closes blocks with one (`}`, `end`, `fi`; a closing
 *   bracket in any language), before the next statement otherwise (Python),
 *   so a new sibling `def` or `function` is never started; `else`, `elif`,
 *   `catch` and the like continue the block;
 * - in a language without brace blocks, a line that starts with a closer
 *   the suggestion did not open (`}` as the end of a Python block) ends it
 *   before that line.
 */
export const stopAtScopeEnd: StreamFilter = (generated, ctx) => {
	if (ctx.mode !== 'multi' || ctx.language.blocks === 'none') {
		return undefined;
	}
	const lines = completeLines(generated);
	if (lines.length === 0) {
		return undefined;
	}
	const first = ctx.linePrefix + lines[0];
	const firstIndent = indentWidth(first);
	/** Indentation of the open block that began at the suggestion's level, and how it was opened. */
	let open: { indent: number; bracket: boolean } | undefined = BLOCK_OPENER.test(first) ? { indent: firstIndent, bracket: /[{([]\s*$/.test(first) } : undefined;
	let depth = bracketDepth(first, ctx.language.lineComment);
	for (let i = 1; i < lines.length; i++) {
		const line = lines[i];
		if (isBlank(line)) {
			continue;
		}
		const indent = indentWidth(line);
		if (indent < firstIndent) {
			return keepLines(generated, i);
		}
		if (ctx.language.blocks === 'indent' && isCloserChar(line.trimStart().charAt(0)) && depth <= 0) {
			return keepLines(generated, i);
		}
		if (open && indent <= open.indent) {
			if (indent === open.indent && CONTINUATION.test(line)) {
				// `} else {`, `else:`, `except E:`: the same statement goes on.
			} else if (indent === open.indent && isCloserLine(line, ctx.language.blocks) && (open.bracket || ctx.language.blocks !== 'indent')) {
				return keepLines(generated, i + 1);
			} else {
				return keepLines(generated, i);
			}
		}
		depth += bracketDepth(line, ctx.language.lineComment);
		if (!open && indent === firstIndent && BLOCK_OPENER.test(line)) {
			open = { indent, bracket: /[{([]\s*$/.test(line) };
		}
	}
	return undefined;
};

/**
 * A line that closes the bracket the cursor is in (`0}` right after a
 * `func f() {`) ends the block, and the suggestion with it, after that line.
 */
export const stopAtEnclosingClose: StreamFilter = (generated, ctx) => {
	if (ctx.mode !== 'multi' || ctx.language.blocks === 'none') {
		return undefined;
	}
	const lines = completeLines(generated);
	let depth = 0;
	for (let i = 0; i < lines.length; i++) {
		depth += bracketProfile(lines[i], ctx.language.lineComment).end;
		if (depth < 0) {
			return keepLines(generated, i + 1);
		}
	}
	return undefined;
};

// ---- Size ------------------------------------------------------------------------------------

/** Two blank lines in a row end a suggestion (before them). */
export const stopAtBlankRun: StreamFilter = (generated, ctx) => {
	if (ctx.mode !== 'multi') {
		return undefined;
	}
	const lines = completeLines(generated);
	for (let i = 2; i < lines.length; i++) {
		if (isBlank(lines[i]) && isBlank(lines[i - 1])) {
			return keepLines(generated, i - 1);
		}
	}
	return undefined;
};

/** No suggestion is longer than ctx.maxLines lines. */
export const stopAtMaxLines: StreamFilter = (generated, ctx) =>
	completeLines(generated).length >= ctx.maxLines ? keepLines(generated, ctx.maxLines) : undefined;

export const STREAM_FILTERS: readonly StreamFilter[] = [
	stopAtLoop,
	stopAtSingleLineEnd,
	stopAtLineSuffix,
	stopAtExistingLine,
	stopAtScopeEnd,
	stopAtEnclosingClose,
	stopAtBlankRun,
	stopAtMaxLines,
];

/**
 * Run every stream filter on the text generated so far; when any fires,
 * generation stops with the shortest text the firing filters keep.
 */
export function checkStop(generated: string, ctx: CompletionContext): StopVerdict {
	let kept: string | undefined;
	for (const filter of STREAM_FILTERS) {
		const text = filter(generated, ctx);
		if (text !== undefined && (kept === undefined || text.length < kept.length)) {
			kept = text;
		}
	}
	return kept === undefined ? { text: generated, stop: false } : { text: kept, stop: true };
}
