/**
 * Golden cases written as text with a cursor marker `|` (the way Tabby
 * writes its post-processing cases): the text before and after the marker
 * become a completion context.
 */
import type { MultilineMode } from '../../../protocol/settings';
import { readContext, type CompletionContext, type Trigger } from '../../../server/src/completion/context';

export function at(textWithCursor: string, languageId = 'python', options: { multiline?: MultilineMode; trigger?: Trigger } = {}): CompletionContext {
	const cursor = textWithCursor.indexOf('|');
	if (cursor < 0) {
		throw new Error(`No cursor marker in ${JSON.stringify(textWithCursor)}`);
	}
	return readContext({
		languageId,
		trigger: options.trigger ?? 'automatic',
		prefix: textWithCursor.slice(0, cursor),
		suffix: textWithCursor.slice(cursor + 1),
		multiline: options.multiline ?? 'auto',
	});
}
