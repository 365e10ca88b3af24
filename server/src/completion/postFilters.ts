/**
 * Stage 4 of an inline completion, once generation ended: post-processing
 * filters, each a named function from text to text, applied in order. They
 * make the suggestion fit where it goes: whole lines, the stream filters'
 * verdict on the last line, indentation re-based to the cursor and written
 * the way the document writes it, nothing that duplicates what is already
 * there.
 */
import type { StopReason } from '../../../protocol/generation';
import { BLOCK_OPENER, previousNonBlank, type CompletionContext } from './context';
import { checkStop } from './streamFilters';
import { bracketDepth, bracketProfile, indentWidth, isBlank, leadingWhitespace, makeIndent } from './text';

export interface PostInput {
	ctx: CompletionContext;
	/** Why generation ended. */
	stopReason: StopReason;
}

export type PostFilter = (text: string, input: PostInput) => string;

/** A multi-line suggestion cut by the token budget ends on its last whole line. */
export const keepWholeLines: PostFilter = (text, { ctx, stopReason }) => {
	if (ctx.mode !== 'multi' || stopReason !== 'maxTokens') {
		return text;
	}
	const nl = text.lastIndexOf('\n');
	return nl > 0 ? text.slice(0, nl) : text;
};

/** The stream filters judge the last line too, now that it is complete. */
export const applyStreamFilters: PostFilter = (text, { ctx }) => checkStop(text + (ctx.mode === 'multi' ? '\n' : ''), ctx).text;

/**
 * Brackets stay consistent once the suggestion is accepted: it never closes
 * more brackets than are open at the cursor and not closed after it, and it
 * leaves none of its own open where that breaks the line (a multi-line
 * suggestion; a one-line suggestion with closers right of the cursor). The
 * suggestion is cut back to its last point that satisfies both (a line end
 * for multi-line suggestions), or dropped.
 */
export const balanceBrackets: PostFilter = (text, { ctx }) => {
	if (ctx.language.blocks === 'none' || text === '') {
		return text;
	}
	const comment = ctx.language.lineComment;
	const before = bracketProfile(ctx.prefix, comment).end;
	const closedAfter = -bracketProfile(ctx.suffix, comment).min;
	const closable = Math.max(0, before - closedAfter);
	const fits = (part: string, strict: boolean) => {
		const p = bracketProfile(part, comment);
		return p.min >= -closable && (!strict || p.end <= 0);
	};
	if (ctx.mode === 'single') {
		const strict = !isBlank(ctx.lineSuffix);
		if (fits(text, strict)) {
			return text;
		}
		for (let end = text.length - 1; end > 0; end--) {
			if (fits(text.slice(0, end), strict)) {
				return text.slice(0, end).trimEnd();
			}
		}
		return '';
	}
	const lines = text.split('\n');
	for (let n = lines.length; n > 0; n--) {
		const part = lines.slice(0, n).join('\n');
		if (fits(part, true)) {
			return part;
		}
	}
	return '';
};

/** Block comments and multi-line strings, by how a language writes them (C-like block comments, Python's triple quotes). */
function longDelimiters(ctx: CompletionContext): [string, string][] {
	if (ctx.language.blocks === 'indent' && ctx.language.lineComment === '#') {
		return [['"""', '"""'], ["'''", "'''"]];
	}
	return ctx.language.lineComment === '//' ? [['/*', '*/']] : [];
}

/**
 * A suggestion never opens a block comment or a multi-line string it does
 * not close: accepting it would turn the rest of the file into a comment.
 * It is cut before the opening (at a line start for multi-line suggestions).
 */
export const dropUnclosedComment: PostFilter = (text, { ctx }) => {
	for (const [open, close] of longDelimiters(ctx)) {
		// Inside a comment or string at the cursor, the suggestion's first closer ends it.
		const inside = open === close ? ctx.prefix.split(open).length % 2 === 0 : ctx.prefix.lastIndexOf(open) > ctx.prefix.lastIndexOf(close);
		let at = 0;
		if (inside) {
			const end = text.indexOf(close);
			if (end < 0) {
				continue;
			}
			at = end + close.length;
		}
		for (;;) {
			const start = text.indexOf(open, at);
			if (start < 0) {
				break;
			}
			const end = text.indexOf(close, start + open.length);
			if (end < 0) {
				const cut = ctx.mode === 'multi' ? text.lastIndexOf('\n', start) : start;
				return cut < 0 ? '' : text.slice(0, cut);
			}
			at = end + close.length;
		}
	}
	return text;
};

/** A multi-line suggestion does not end on a line that opens a block it never writes (`if x:`, `else {`). */
export const dropDanglingOpener: PostFilter = (text, { ctx }) => {
	if (ctx.mode !== 'multi') {
		return text;
	}
	const lines = text.split('\n');
	while (lines.length > 0 && BLOCK_OPENER.test(lines[lines.length - 1]) && !(lines.length === 1 && isBlank(lines[0]))) {
		lines.pop();
	}
	return lines.join('\n');
};

function indentUnitWidth(unit: string): number {
	return unit === '\t' ? 4 : unit.length;
}

/**
 * With the cursor in a line's indentation, the suggestion's first line
 * starts at the cursor, and every other line moves by the same amount, so
 * the block keeps its shape (a Python body stays valid). At column 0 the
 * model's own indentation stays, but never deeper than the line above
 * allows (its indentation, one level more after a block opener).
 */
export const rebaseIndentation: PostFilter = (text, { ctx }) => {
	if (!isBlank(ctx.linePrefix) || text === '') {
		return text;
	}
	const lines = text.split('\n');
	const cursor = indentWidth(ctx.linePrefix);
	const extra = indentWidth(lines[0]);
	let target = cursor;
	if (ctx.linePrefix === '') {
		const above = previousNonBlank(ctx);
		const allowed = above === undefined ? 0 : indentWidth(above) + (BLOCK_OPENER.test(above) ? indentUnitWidth(ctx.indentUnit) : 0);
		target = Math.min(extra, allowed);
	}
	const shift = cursor + extra - target;
	if (shift <= 0) {
		return text;
	}
	return lines
		.map((line, i) => {
			if (i === 0) {
				return makeIndent(target - cursor, ctx.indentUnit) + line.trimStart();
			}
			if (isBlank(line)) {
				return '';
			}
			return makeIndent(Math.max(0, indentWidth(line) - shift), ctx.indentUnit) + line.trimStart();
		})
		.join('\n');
};

/** Lines after the first are indented with the document's unit (tabs or spaces), at the same width. */
export const matchIndentStyle: PostFilter = (text, { ctx }) => {
	const tabs = ctx.indentUnit === '\t';
	return text
		.split('\n')
		.map((line, i) => {
			const lead = leadingWhitespace(line);
			if (i === 0 || lead === '' || (tabs ? !lead.includes(' ') : !lead.includes('\t'))) {
				return line;
			}
			return makeIndent(indentWidth(line), ctx.indentUnit) + line.slice(lead.length);
		})
		.join('\n');
};

export const trimTrailingWhitespace: PostFilter = (text) => text.replace(/[ \t]+$/gm, '').replace(/\s+$/, '');

/** A suggestion whose first line is the line that already follows (on a blank line) is no suggestion. */
export const dropDuplicateOfNextLine: PostFilter = (text, { ctx }) => {
	if (!isBlank(ctx.lineSuffix)) {
		return text;
	}
	const next = ctx.followingLines.find((l) => !isBlank(l));
	const firstLine = ctx.linePrefix + text.split('\n')[0];
	return next !== undefined && !isBlank(firstLine) && firstLine.trim() === next.trim() ? '' : text;
};

/**
 * Remove the longest tail of a one-line suggestion that equals the start of
 * the rest of the line, so accepting it does not double a `)` or `;` already
 * there; but never a closer of a bracket the suggestion itself opened.
 */
export const trimLineSuffixOverlap: PostFilter = (text, { ctx }) => {
	const suffix = ctx.lineSuffix.trimEnd();
	if (suffix === '' || text === '' || text.includes('\n')) {
		return text;
	}
	if (suffix.startsWith(text) && bracketDepth(text) <= 0) {
		return '';
	}
	for (let k = Math.min(suffix.length, text.length); k > 0; k--) {
		const kept = text.slice(0, text.length - k);
		if (text.endsWith(suffix.slice(0, k)) && bracketDepth(kept) <= 0) {
			return kept;
		}
	}
	return text;
};

/** Whitespace alone is no suggestion. */
export const dropBlank: PostFilter = (text) => (isBlank(text) ? '' : text);

export const POST_FILTERS: readonly PostFilter[] = [
	keepWholeLines,
	applyStreamFilters,
	dropUnclosedComment,
	balanceBrackets,
	dropDanglingOpener,
	rebaseIndentation,
	matchIndentStyle,
	trimTrailingWhitespace,
	dropDuplicateOfNextLine,
	trimLineSuffixOverlap,
	dropBlank,
];

/** The suggestion the user sees, from what the model generated. */
export function postProcess(generated: string, input: PostInput): string {
	return POST_FILTERS.reduce((text, filter) => filter(text, input), generated);
}
