/**
 * Stage 5 of an inline completion: the answer. Items (none, one, or an
 * explicit request's alternatives) whose range is UTF-16 positions inside
 * the cursor's line: the cursor itself,
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

/** One item per suggestion, in order (VS Code shows the first and cycles through the rest with Alt+] and Alt+[); empty ones are left out. */
export function toItems(texts: readonly string[], anchor: Anchor): InlineCompletionList {
	return {
		items: texts.filter((t) => t !== '').map((text) => ({ insertText: anchor.lead + text, range: { start: anchor.start, end: anchor.end } })),
	};
}
