/**
 * Generate Documentation Comment: find the symbol at the cursor, have the
 * model write the comment's text, and put it in the file in the language's
 * style as one edit (an existing doc comment is replaced). The model's text
 * is data: it is formatted into a comment, never run.
 */
import * as vscode from 'vscode';
import { docCommentStyle, unsupportedDocCommentMessage } from '../../../protocol/languages';
import { ErrorCodes } from '../../../protocol/lsp';
import type { GenerationBackend, InspectorApi } from '../backend';
import type { CommandHandlers } from '../commandIds';
import { runTextTask } from '../commands/taskProgress';
import { eolOf, fileNameOf, showFailure, STATUS_MESSAGE_MS } from '../commands/textCommands';
import { buildDocCommentEdit, type DocTarget } from './edit';
import { cleanSymbolName } from './symbols';
import type { ParsedSource, Syntax } from './syntax';
import { findDocTarget } from './target';

/** The handler of Generate Documentation Comment (registered with the others in extension.ts). */
export function docCommentHandlers(
	backend: GenerationBackend,
	inspector: InspectorApi,
	syntax: Syntax,
	log: vscode.LogOutputChannel,
): Pick<CommandHandlers, 'glassbox.generateDocComment'> {
	const command = new DocCommentCommand(backend, inspector, syntax, log);
	return { 'glassbox.generateDocComment': () => command.run() };
}

class DocCommentCommand {
	constructor(
		private readonly backend: GenerationBackend,
		private readonly inspector: InspectorApi,
		private readonly syntax: Syntax,
		private readonly log: vscode.LogOutputChannel,
	) {}

	async run(): Promise<void> {
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
		let src: ParsedSource;
		try {
			src = await this.syntax.parse(document.getText(), languageId);
		} catch (e) {
			showFailure(`Glassbox: could not read the structure of this file: ${e instanceof Error ? e.message : String(e)}`, this.log);
			return;
		}
		const target = await findDocTarget(document, src, editor.selection.active.line, this.log);
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
			showFailure(outcome.code === ErrorCodes.UnsupportedLanguage ? unsupportedDocCommentMessage(languageId) : outcome.message, this.log);
			return;
		}
		const { result, note } = outcome;
		if (result.truncated) {
			void vscode.window.showInformationMessage(`Glassbox: ${result.truncated.message}`);
		}
		const current = await this.currentTarget(document, src, target, tracker);
		if (!current) {
			await this.offerCopy(`Glassbox: ${name} changed while its documentation comment was being written, so nothing was inserted.`, result.text);
			return;
		}
		const planned = buildDocCommentEdit({
			src: current.src,
			target: current.target,
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
	private async currentTarget(
		document: vscode.TextDocument,
		src: ParsedSource,
		target: DocTarget,
		tracker: LineTracker,
	): Promise<{ src: ParsedSource; target: DocTarget } | undefined> {
		if (document.isClosed || tracker.lost) {
			return undefined;
		}
		if (!tracker.changed) {
			return { src, target };
		}
		const now = await this.syntax.parse(document.getText(), document.languageId);
		const again = await findDocTarget(document, now, tracker.line, this.log);
		return again && cleanSymbolName(again.name) === cleanSymbolName(target.name) ? { src: now, target: again } : undefined;
	}

	private async offerCopy(message: string, text: string): Promise<void> {
		const copy = 'Copy Comment Text';
		if ((await vscode.window.showWarningMessage(message, copy)) === copy) {
			await vscode.env.clipboard.writeText(text);
		}
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
