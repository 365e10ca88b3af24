/**
 * Stage 5 of an inline completion: the answer. One item (or none) whose
 * range is UTF-16 positions inside the cursor's line: the cursor itself,
 * or, when the suggest widget has an item selected, that item's range, with
 * the item's text leading the suggestion (VS Code shows ghost text only for
 * an inline completion that extends the selected item over its range).
 */
import type { InlineCompletionList, Position } from 'vscode-languageserver';

export interface Anchor {
	start: Position;
	end: Position;
	/** Text the suggestion starts with: the selected suggest item's, '' when none is selected. */
	lead: string;
}

export const NO_ITEMS: InlineCompletionList = { items: [] };

export function toItems(text: string, anchor: Anchor): InlineCompletionList {
	if (text === '') {
		return NO_ITEMS;
	}
	return { items: [{ insertText: anchor.lead + text, range: { start: anchor.start, end: anchor.end } }] };
}
