/**
 * The text around the cursor that a completion reads: the document before
 * and after the cursor (the position clamped into its line), with the
 * suggest widget's selected item applied when there is one, and for a
 * notebook cell, the code cells before and after it (VS Code asks per cell,
 * but the cells run as one program).
 */
import {
	NotebookCellKind,
	type NotebookDocuments,
	type Position,
	type SelectedCompletionInfo,
	type TextDocuments,
} from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Anchor } from './items';

export interface Source {
	/** Text before the cursor (earlier cells first; the selected item applied). */
	before: string;
	/** Text after the cursor (later cells after). */
	after: string;
	/** Where the answer's item goes. */
	anchor: Anchor;
}

/** How notebook cells are joined into one text. */
const CELL_SEPARATOR = '\n\n';

/** The position inside its line: past the end moves to the end, never between the halves of a surrogate pair. */
export function clampPosition(doc: TextDocument, position: Position): Position {
	const lineText = doc.getText({ start: { line: position.line, character: 0 }, end: { line: position.line + 1, character: 0 } }).replace(/\r?\n$/, '');
	let character = Math.min(position.character, lineText.length);
	const before = lineText.charCodeAt(character - 1);
	if (character > 0 && before >= 0xd800 && before <= 0xdbff) {
		character--;
	}
	return { line: position.line, character };
}

export function readSource(
	doc: TextDocument,
	position: Position,
	selected: SelectedCompletionInfo | undefined,
	notebooks: NotebookDocuments<TextDocument> | undefined,
	documents: TextDocuments<TextDocument>,
): Source {
	const cursor = clampPosition(doc, position);
	const text = doc.getText();
	const offset = doc.offsetAt(cursor);
	let before = text.slice(0, offset);
	let after = text.slice(offset);
	let anchor: Anchor = { start: cursor, end: cursor, lead: '' };
	if (selected && selected.range.start.line === cursor.line && selected.range.end.line === cursor.line) {
		const start = doc.offsetAt(selected.range.start);
		const end = doc.offsetAt(selected.range.end);
		if (start <= offset && offset <= end) {
			before = text.slice(0, start) + selected.text;
			after = text.slice(end);
			anchor = { start: doc.positionAt(start), end: doc.positionAt(end), lead: selected.text };
		}
	}
	const notebook = notebooks?.findNotebookDocumentForCell(doc.uri);
	if (notebook) {
		const at = notebook.cells.findIndex((c) => c.document === doc.uri);
		const codeOf = (cells: typeof notebook.cells) =>
			cells.filter((c) => c.kind === NotebookCellKind.Code).map((c) => documents.get(c.document)?.getText() ?? '');
		const earlier = codeOf(notebook.cells.slice(0, at));
		const later = codeOf(notebook.cells.slice(at + 1));
		before = [...earlier, before].join(CELL_SEPARATOR);
		after = [after, ...later].join(CELL_SEPARATOR);
	}
	return { before, after, anchor };
}
