/**
 * Where no suggestion belongs. Each rule is a named check on the context
 * that returns why the request gets no suggestion, or undefined. They run
 * before any prompt is built, so a request they stop costs nothing.
 */
import type { CompletionContext } from './context';
import { WORD_CHAR } from './text';

export type SkipRule = (ctx: CompletionContext) => string | undefined;

/**
 * The cursor is inside a word (`resu|lt`): a suggestion would be inserted
 * between its halves, and accepting it would leave the rest of the word
 * behind the inserted text. VS Code shows no ghost text there either.
 */
export const midWord: SkipRule = (ctx) =>
	WORD_CHAR.test(ctx.lineSuffix.charAt(0)) && WORD_CHAR.test(ctx.linePrefix.charAt(ctx.linePrefix.length - 1)) ? 'the cursor is inside a word' : undefined;

/** What may follow the cursor on its line for a suggestion to fit before it: closers, quotes and separators. */
const CLOSERS_ONLY = /^[\s)\]}'"`;,:]*$/;

/**
 * The rest of the line holds code (`x = |foo(bar)`): a suggestion would push
 * it along and is rarely wanted; only closing brackets, quotes and
 * separators (which the stream filters keep the model from writing twice)
 * may follow the cursor.
 */
export const textAfterCursor: SkipRule = (ctx) => (CLOSERS_ONLY.test(ctx.lineSuffix) ? undefined : 'code follows the cursor on its line');

/** An empty document gives the model nothing to go on: only an explicit request gets a (one-line) guess. */
export const emptyDocument: SkipRule = (ctx) => (ctx.emptyDocument && ctx.trigger === 'automatic' ? 'the document is empty' : undefined);

export const SKIP_RULES: readonly SkipRule[] = [midWord, textAfterCursor, emptyDocument];

/** The first reason to give no suggestion, or undefined. */
export function skipReason(ctx: CompletionContext): string | undefined {
	for (const rule of SKIP_RULES) {
		const reason = rule(ctx);
		if (reason !== undefined) {
			return reason;
		}
	}
	return undefined;
}
