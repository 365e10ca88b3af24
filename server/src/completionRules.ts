/**
 * Rules that shape an inline completion: whether it may span several lines,
 * where the model's output stops being useful (newline, end of the block,
 * repeating what already follows the cursor, looping), and trimming text that
 * duplicates what follows the cursor on the same line.
 */
import type { MultilineMode } from '../../protocol/settings';

export type LineMode = 'single' | 'multi';

/** Line endings and brackets that open a block whose body the model may write. */
const BLOCK_OPENER = /(?:[{([:]|=>|\bthen|\bdo|\bbegin|\belse)\s*$/;
const CLOSER_LINE = /^\s*(?:[}\])]|end\b|fi\b|done\b|esac\b)/;

export function indentWidth(line: string): number {
	let width = 0;
	for (const ch of line) {
		if (ch === ' ') {
			width += 1;
		} else if (ch === '\t') {
			width += 4;
		} else {
			break;
		}
	}
	return width;
}

/**
 * auto: several lines when the rest of the line is empty and the cursor is on
 * a blank line or right after something that opens a block; one line when the
 * cursor is in the middle of a line or after an ordinary statement.
 */
export function decideLineMode(linePrefix: string, lineSuffix: string, setting: MultilineMode): LineMode {
	if (setting !== 'auto') {
		return setting === 'always' ? 'multi' : 'single';
	}
	if (lineSuffix.trim() !== '') {
		return 'single';
	}
	if (linePrefix.trim() === '' || BLOCK_OPENER.test(linePrefix)) {
		return 'multi';
	}
	return 'single';
}

export interface CompletionContext {
	mode: LineMode;
	/** Text of the cursor's line before the cursor. */
	linePrefix: string;
	/** Text of the cursor's line after the cursor. */
	lineSuffix: string;
	/** The lines after the cursor's line (a few are enough). */
	followingLines: string[];
	/** Upper bound on lines, whatever the model does. */
	maxLines: number;
}

export interface StopVerdict {
	/** The completion to keep (may be shorter than the text seen). */
	text: string;
	/** true: generation should end now. */
	stop: boolean;
}

function firstNonEmpty(lines: string[]): string | undefined {
	return lines.find((l) => l.trim() !== '');
}

/**
 * Check the text generated so far against the stop rules. Only complete
 * lines are judged (the last, unfinished line may still change), except the
 * single-line rule, which ends at the first newline.
 */
export function checkStop(generated: string, ctx: CompletionContext): StopVerdict {
	const loop = repeatedTail(generated);
	if (loop !== undefined) {
		return { text: checkStop(loop, ctx).text, stop: true };
	}
	if (ctx.mode === 'single') {
		const nl = generated.indexOf('\n');
		// A completion that starts with a newline at the end of a statement has nothing for this line.
		return nl >= 0 ? { text: generated.slice(0, nl), stop: true } : { text: generated, stop: false };
	}

	const lines = generated.split('\n');
	const complete = lines.length - 1; // the last element is unfinished
	const baseIndent = indentWidth(ctx.linePrefix);
	const opensBlock = ctx.linePrefix.trim() !== '' && BLOCK_OPENER.test(ctx.linePrefix);
	const nextExisting = firstNonEmpty([ctx.lineSuffix, ...ctx.followingLines])?.trim();

	let blankRun = 0;
	for (let i = 0; i < complete; i++) {
		const line = i === 0 ? ctx.linePrefix + lines[0] : lines[i];
		const keep = (n: number): StopVerdict => ({ text: lines.slice(0, n).join('\n'), stop: true });
		if (i > 0) {
			if (line.trim() === '') {
				blankRun++;
				if (blankRun >= 2) {
					return keep(i - 1);
				}
				continue;
			}
			blankRun = 0;
			// The model is rewriting what already follows the cursor.
			if (nextExisting !== undefined && line.trim() === nextExisting) {
				return keep(i);
			}
			const indent = indentWidth(line);
			if (opensBlock) {
				// Body lines are deeper than the opener; a closer at the opener's level ends the block.
				if (indent <= baseIndent) {
					return CLOSER_LINE.test(line) && indent === baseIndent ? keep(i + 1) : keep(i);
				}
			} else if (indent < baseIndent) {
				// Left the block the cursor was in.
				return keep(i);
			}
			// Looping: the same non-empty line three times in a row.
			if (i >= 2 && line.trim() === lines[i - 1].trim() && line.trim() === lines[i - 2].trim()) {
				return keep(i - 1);
			}
		}
		if (i + 1 >= ctx.maxLines) {
			return keep(i + 1);
		}
	}
	return { text: generated, stop: false };
}

/** Shortest unit checked for a loop, and how often it must repeat. */
const LOOP_MAX_UNIT = 24;
const LOOP_REPEATS = 4;

/**
 * A small model can get stuck repeating a short piece (`#  #  #  #`,
 * `a, a, a, a`). When the text ends with one unit repeated LOOP_REPEATS times,
 * return the text before the loop; otherwise undefined.
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
			return text.slice(0, start);
		}
	}
	return undefined;
}

/**
 * Final clean-up once generation ended: apply the stop rules to the whole
 * text, drop trailing whitespace and the part that repeats what follows the
 * cursor on the same line (closing brackets the editor already inserted).
 */
export function finalizeCompletion(generated: string, ctx: CompletionContext): string {
	let text = checkStop(generated + (ctx.mode === 'multi' ? '\n' : ''), ctx).text;
	text = text.replace(/\s+$/, '');
	if (ctx.linePrefix !== '' && ctx.linePrefix.trim() === '') {
		// The user already indented; more leading whitespace from the model is noise, and
		// VS Code's Tab would indent instead of accepting a suggestion that starts with it.
		text = text.replace(/^[ \t]+/, '');
	}
	text = trimSuffixOverlap(text, ctx.lineSuffix);
	return text.trim() === '' ? '' : text;
}

/**
 * Remove the longest tail of `completion` that equals the start of the rest
 * of the line, so accepting it does not double a `)` or `;` already there.
 */
export function trimSuffixOverlap(completion: string, lineSuffix: string): string {
	const suffix = lineSuffix.trimEnd();
	if (suffix === '' || completion === '') {
		return completion;
	}
	if (suffix.startsWith(completion)) {
		return '';
	}
	for (let k = Math.min(suffix.length, completion.length); k > 0; k--) {
		if (completion.endsWith(suffix.slice(0, k))) {
			return completion.slice(0, completion.length - k);
		}
	}
	return completion;
}
