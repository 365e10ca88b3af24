/**
 * Summarize and Explain Selection: what the user sees around these two text
 * tasks (Generate Documentation Comment is docComment/command.ts). The
 * model's output is data: it is shown, copied or inserted as plain text below
 * the selection; never run.
 */
import * as vscode from 'vscode';
import type { GenerationBackend, InspectorApi } from '../backend';
import type { CommandHandlers } from '../commandIds';
import type { TextTaskResult } from '../../../protocol/lsp';
import { runTextTask } from './taskProgress';
import { preview } from './taskOutcome';

/** How long a status bar confirmation (copied, inserted) stays. */
export const STATUS_MESSAGE_MS = 4000;

/** The handlers of Summarize and Explain (registered with the others in extension.ts). */
export function textCommandHandlers(
	backend: GenerationBackend,
	inspector: InspectorApi,
	log: vscode.LogOutputChannel,
): Pick<CommandHandlers, 'glassbox.summarize' | 'glassbox.explain'> {
	const commands = new TextCommands(backend, inspector, log);
	return {
		'glassbox.summarize': () => commands.summarize(),
		'glassbox.explain': () => commands.explain(),
	};
}

/** Short file name for titles and prompts; untitled documents have no path. */
export function fileNameOf(document: vscode.TextDocument): string {
	return document.uri.path.split('/').pop() || document.uri.toString(true);
}

export function eolOf(document: vscode.TextDocument): string {
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

	private showFailure(message: string): void {
		showFailure(message, this.log);
	}
}

/** An error message with a way to the log. */
export function showFailure(message: string, log: vscode.LogOutputChannel): void {
	const showLog = 'Show Log';
	void vscode.window.showErrorMessage(message, showLog).then((choice) => {
		if (choice === showLog) {
			log.show();
		}
	});
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
