/**
 * Summarize, Explain Selection and Generate Documentation Comment: what the
 * user sees around the three text tasks. The model's output is data: it is
 * shown, copied, inserted as plain text below the selection, or written into
 * a comment; never run.
 */
import * as vscode from 'vscode';
import type { GenerationBackend, InspectorApi } from '../backend';
import type { CommandHandlers } from '../commandIds';
import { ErrorCodes, type TextTaskResult } from '../../../protocol/lsp';
import { buildDocCommentEdit, cleanSymbolName, type DocTarget } from './docCommentEdit';
import { docCommentStyle, unsupportedDocCommentMessage } from '../../../protocol/languages';
import { findDocTarget } from './symbols';
import { runTextTask } from './taskProgress';
import { preview } from './taskOutcome';

const STATUS_MESSAGE_MS = 4000;

/** The handlers of the three text commands (registered with the others in extension.ts). */
export function textCommandHandlers(
	backend: GenerationBackend,
	inspector: InspectorApi,
	log: vscode.LogOutputChannel,
): Pick<CommandHandlers, 'glassbox.summarize' | 'glassbox.explain' | 'glassbox.generateDocComment'> {
	const commands = new TextCommands(backend, inspector, log);
	return {
		'glassbox.summarize': () => commands.summarize(),
		'glassbox.explain': () => commands.explain(),
		'glassbox.generateDocComment': () => commands.generateDocComment(),
	};
}

/** Short file name for titles and prompts; untitled documents have no path. */
function fileNameOf(document: vscode.TextDocument): string {
	return document.uri.path.split('/').pop() || document.uri.toString(true);
}

function eolOf(document: vscode.TextDocument): string {
	return document.eol === vscode.EndOfLine.CRLF ? '\r\n' : '\n';
}

class TextCommands {
	constructor(
		private readonly backend: GenerationBackend,
		private readonly inspector: InspectorApi,
		private readonly log: vscode.LogOutputChannel,
	) {}

	async summarize(): Promise<void> {
		const editor = vscode.window.activeTextEditor;
		if (!editor) {
			void vscode.window.showInformationMessage('Glassbox: open a file to summarize, or select part of one.');
			return;
		}
		const { document, selection } = editor;
		const whole = selection.isEmpty;
		const text = whole ? document.getText() : document.getText(selection);
		if (text.trim() === '') {
			void vscode.window.showInformationMessage(
				whole
					? 'Glassbox: nothing to summarize, the file is empty.'
					: 'Glassbox: the selection is blank. Select some text, or clear the selection to summarize the whole file.',
			);
			return;
		}
		const fileName = fileNameOf(document);
		const outcome = await runTextTask(this.backend, this.inspector, this.log, {
			input: { task: 'summarize', text, languageId: document.languageId, fileName, symbolName: '' },
			title: whole ? `Summary of ${fileName}` : `Summary of the selection in ${fileName}`,
			progressTitle: whole ? `Glassbox: summarizing ${fileName}` : 'Glassbox: summarizing the selection',
			action: 'summarize',
		});
		if (outcome.kind === 'failed') {
			this.showFailure(outcome.message);
		} else if (outcome.kind === 'done') {
			await this.offerResult('Summary', outcome.result, outcome.note, document, selection);
		}
	}

	async explain(): Promise<void> {
		const editor = vscode.window.activeTextEditor;
		const text = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : '';
		if (!editor || text.trim() === '') {
			void vscode.window.showInformationMessage('Glassbox: select the code or text to explain first.');
			return;
		}
		const { document, selection } = editor;
		const fileName = fileNameOf(document);
		const outcome = await runTextTask(this.backend, this.inspector, this.log, {
			input: { task: 'explain', text, languageId: document.languageId, fileName, symbolName: '' },
			title: `Explanation of the selection in ${fileName}`,
			progressTitle: 'Glassbox: explaining the selection',
			action: 'explain the selection',
		});
		if (outcome.kind === 'failed') {
			this.showFailure(outcome.message);
		} else if (outcome.kind === 'done') {
			await this.offerResult('Explanation', outcome.result, outcome.note, document, selection);
		}
	}

	async generateDocComment(): Promise<void> {
		const editor = vscode.window.activeTextEditor;
		if (!editor) {
			void vscode.window.showInformationMessage('Glassbox: open a file and put the cursor in a function, method or class to document it.');
			return;
		}
		const { document } = editor;
		const { languageId } = document;
		if (!docCommentStyle(languageId)) {
			void vscode.window.showInformationMessage(unsupportedDocCommentMessage(languageId));
			return;
		}
		const target = await findDocTarget(document, editor.selection.active.line, this.log);
		if (!target) {
			void vscode.window.showInformationMessage('Glassbox: put the cursor inside a function, method or class to document it.');
			return;
		}
		const name = cleanSymbolName(target.name);
		const code = document.getText(new vscode.Range(target.startLine, 0, target.endLine, document.lineAt(target.endLine).text.length));
		// Captured now: the editor may lose focus while the model writes.
		const indent = indentationOptions(editor);
		const tracker = new LineTracker(document, target.declarationLine);
		let outcome;
		try {
			outcome = await runTextTask(this.backend, this.inspector, this.log, {
				input: { task: 'docComment', text: code, languageId, fileName: fileNameOf(document), symbolName: name },
				title: `Documentation comment for ${name}`,
				progressTitle: `Glassbox: writing the documentation comment for ${name}`,
				action: `write the documentation comment for ${name}`,
			});
		} finally {
			tracker.dispose();
		}
		if (outcome.kind === 'cancelled') {
			return;
		}
		if (outcome.kind === 'failed') {
			this.showFailure(outcome.code === ErrorCodes.UnsupportedLanguage ? unsupportedDocCommentMessage(languageId) : outcome.message);
			return;
		}
		const { result, note } = outcome;
		if (result.truncated) {
			void vscode.window.showInformationMessage(`Glassbox: ${result.truncated.message}`);
		}
		const current = await this.currentTarget(document, target, tracker);
		if (!current) {
			await this.offerCopy(`Glassbox: ${name} changed while its documentation comment was being written, so nothing was inserted.`, result.text);
			return;
		}
		const planned = buildDocCommentEdit({
			text: document.getText(),
			languageId,
			target: current,
			content: result.text,
			eol: eolOf(document),
			indentUnit: indent.unit,
			tabSize: indent.tabSize,
		});
		if (!planned.ok) {
			void vscode.window.showWarningMessage(`Glassbox: ${planned.message}`);
			return;
		}
		const { edit: e } = planned;
		const edit = new vscode.WorkspaceEdit();
		// One edit: inserting (or replacing) the comment is a single undo step.
		edit.replace(document.uri, new vscode.Range(e.startLine, e.startCharacter, e.endLine, e.endCharacter), e.newText);
		if (!(await vscode.workspace.applyEdit(edit))) {
			await this.offerCopy(`Glassbox: the documentation comment for ${name} could not be inserted.`, result.text);
			return;
		}
		const replaced = planned.replaced ? ' (replacing the old one)' : '';
		vscode.window.setStatusBarMessage(`$(check) Inserted documentation comment for ${name}${replaced}${note ? ` · ${note}` : ''}`, STATUS_MESSAGE_MS);
	}

	/** The target again if the document changed during generation: same symbol (by name) at its moved line, or undefined. */
	private async currentTarget(document: vscode.TextDocument, target: DocTarget, tracker: LineTracker): Promise<DocTarget | undefined> {
		if (document.isClosed || tracker.lost) {
			return undefined;
		}
		if (!tracker.changed) {
			return target;
		}
		const again = await findDocTarget(document, tracker.line, this.log);
		return again && cleanSymbolName(again.name) === cleanSymbolName(target.name) ? again : undefined;
	}

	/** The result, with Copy and Insert Below Selection; the panel shows it in full. */
	private async offerResult(
		label: string,
		result: TextTaskResult,
		note: string | undefined,
		document: vscode.TextDocument,
		selection: vscode.Selection,
	): Promise<void> {
		const text = result.text.trim();
		if (text === '') {
			void vscode.window.showInformationMessage(`Glassbox: the model returned an empty ${label.toLowerCase()}${note ? ` (${note})` : ''}.`);
			return;
		}
		const copy = 'Copy';
		const insert = 'Insert Below Selection';
		const message = `${label}: ${preview(text)}${note ? ` (${note})` : ''}`;
		const choice = await vscode.window.showInformationMessage(message, copy, insert);
		if (choice === copy) {
			await vscode.env.clipboard.writeText(text);
			vscode.window.setStatusBarMessage(`$(check) ${label} copied`, STATUS_MESSAGE_MS);
		} else if (choice === insert) {
			await insertBelow(document, selection, text);
		}
	}

	private async offerCopy(message: string, text: string): Promise<void> {
		const copy = 'Copy Comment Text';
		if ((await vscode.window.showWarningMessage(message, copy)) === copy) {
			await vscode.env.clipboard.writeText(text);
		}
	}

	private showFailure(message: string): void {
		const showLog = 'Show Log';
		void vscode.window.showErrorMessage(message, showLog).then((choice) => {
			if (choice === showLog) {
				this.log.show();
			}
		});
	}
}

/** Inserts plain text on new lines after the selection's last line (the cursor's line when nothing is selected). */
async function insertBelow(document: vscode.TextDocument, selection: vscode.Selection, text: string): Promise<void> {
	if (document.isClosed) {
		void vscode.window.showWarningMessage('Glassbox: the file was closed; use Copy instead.');
		return;
	}
	const { end, start } = selection;
	// A selection of whole lines ends at column 0 of the line after them.
	const last = Math.min(end.character === 0 && end.line > start.line ? end.line - 1 : end.line, document.lineCount - 1);
	const eol = eolOf(document);
	const at = document.lineAt(last).range.end;
	const edit = new vscode.WorkspaceEdit();
	edit.insert(document.uri, at, eol + text.replace(/\r\n?|\n/g, eol));
	if (!(await vscode.workspace.applyEdit(edit))) {
		void vscode.window.showErrorMessage('Glassbox: the text could not be inserted.');
	}
}

function indentationOptions(editor: vscode.TextEditor): { unit: string; tabSize: number } {
	const { insertSpaces, tabSize, indentSize } = editor.options;
	const tabs = typeof tabSize === 'number' ? tabSize : 4;
	const size = typeof indentSize === 'number' ? indentSize : tabs;
	return { unit: insertSpaces === false ? '\t' : ' '.repeat(size), tabSize: tabs };
}

/**
 * Follows one line through edits made while the model runs, so the comment
 * still lands on its symbol; `lost` when an edit touched the line itself.
 */
class LineTracker implements vscode.Disposable {
	line: number;
	changed = false;
	lost = false;
	private readonly subscription: vscode.Disposable;

	constructor(document: vscode.TextDocument, line: number) {
		this.line = line;
		const uri = document.uri.toString();
		this.subscription = vscode.workspace.onDidChangeTextDocument((event) => {
			if (event.document.uri.toString() !== uri || event.contentChanges.length === 0) {
				return;
			}
			this.changed = true;
			for (const change of event.contentChanges) {
				const { start, end } = change.range;
				if (end.line < this.line) {
					const added = change.text.split('\n').length - 1;
					this.line += added - (end.line - start.line);
				} else if (start.line <= this.line) {
					this.lost = true;
				}
			}
		});
	}

	dispose(): void {
		this.subscription.dispose();
	}
}
