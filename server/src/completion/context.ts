/**
 * Stage 1 of an inline completion: what the editor state says. From the text
 * around the cursor (a document, or a notebook cell with its neighbours), the
 * trigger and the suggest widget's selected item, build the CompletionContext
 * every later stage reads: the prompt's prefix and suffix, the cursor's line,
 * the lines around it, the language's facts, and whether the suggestion may
 * span several lines.
 */
import { languageInfo, type LanguageInfo } from '../../../protocol/languages';
import type { MultilineMode } from '../../../protocol/settings';
import { detectIndentUnit, isBlank } from './text';

export type LineMode = 'single' | 'multi';
export type Trigger = 'automatic' | 'invoke';

export interface CompletionContext {
	language: LanguageInfo;
	trigger: Trigger;
	/** Text before the cursor that the prompt reads (the selected suggestion applied). */
	prefix: string;
	/** Text after the cursor that the prompt reads. */
	suffix: string;
	/** The cursor's line before the cursor. */
	linePrefix: string;
	/** The cursor's line after the cursor. */
	lineSuffix: string;
	/** Lines above the cursor's line, nearest last (a few). */
	previousLines: string[];
	/** Lines below the cursor's line, nearest first (a few). */
	followingLines: string[];
	mode: LineMode;
	/** Upper bound on a suggestion's lines, whatever the model does. */
	maxLines: number;
	/** The indentation unit around the cursor: a tab, or 2, 4 or 8 spaces. */
	indentUnit: string;
	/** Nothing but whitespace before and after the cursor. */
	emptyDocument: boolean;
}

/** Lines kept on each side of the cursor's line. */
const NEIGHBOUR_LINES = 8;
/** Longest suggestion, in lines. */
export const MAX_SUGGESTION_LINES = 16;

/** Line endings and brackets that open a block whose body the model may write. */
export const BLOCK_OPENER = /(?:[{([:]|=>|\bthen|\bdo|\bbegin|\belse)\s*$/;

/**
 * auto: several lines when the rest of the line is empty and the cursor is on
 * a blank line or right after something that opens a block; one line when the
 * cursor is in the middle of a line or after an ordinary statement. An empty
 * document gets one line at most: there is nothing to go on.
 */
export function decideLineMode(linePrefix: string, lineSuffix: string, setting: MultilineMode, emptyDocument = false): LineMode {
	if (emptyDocument || setting === 'never') {
		return 'single';
	}
	if (setting === 'always') {
		return 'multi';
	}
	if (!isBlank(lineSuffix)) {
		return 'single';
	}
	return isBlank(linePrefix) || BLOCK_OPENER.test(linePrefix) ? 'multi' : 'single';
}

export interface ContextInput {
	languageId: string;
	trigger: Trigger;
	/** Text before the cursor (window), after the selected suggestion was applied. */
	prefix: string;
	/** Text after the cursor (window), after the selected suggestion's range. */
	suffix: string;
	multiline: MultilineMode;
}

export function readContext(input: ContextInput): CompletionContext {
	const { prefix, suffix } = input;
	const lineStart = prefix.lastIndexOf('\n') + 1;
	const lineEnd = suffix.indexOf('\n');
	const linePrefix = prefix.slice(lineStart);
	const lineSuffix = lineEnd < 0 ? suffix : suffix.slice(0, lineEnd);
	const above = prefix.slice(Math.max(0, lineStart - 4000), Math.max(0, lineStart - 1));
	const previousLines = lineStart === 0 ? [] : above.split('\n').slice(-NEIGHBOUR_LINES);
	const followingLines = lineEnd < 0 ? [] : suffix.slice(lineEnd + 1, lineEnd + 1 + 4000).split('\n').slice(0, NEIGHBOUR_LINES);
	const emptyDocument = isBlank(prefix) && isBlank(suffix);
	return {
		language: languageInfo(input.languageId),
		trigger: input.trigger,
		prefix,
		suffix,
		linePrefix,
		lineSuffix,
		previousLines,
		followingLines,
		mode: decideLineMode(linePrefix, lineSuffix, input.multiline, emptyDocument),
		maxLines: MAX_SUGGESTION_LINES,
		indentUnit: detectIndentUnit([...previousLines, linePrefix, ...followingLines]),
		emptyDocument,
	};
}

/** The nearest non-blank line above the cursor's line, if any. */
export function previousNonBlank(ctx: CompletionContext): string | undefined {
	for (let i = ctx.previousLines.length - 1; i >= 0; i--) {
		if (!isBlank(ctx.previousLines[i])) {
			return ctx.previousLines[i];
		}
	}
	return undefined;
}

/** The first non-blank text after the cursor: the rest of its line, else the next non-blank line. */
export function nextExistingLine(ctx: CompletionContext): string | undefined {
	return [ctx.lineSuffix, ...ctx.followingLines].find((l) => !isBlank(l));
}
