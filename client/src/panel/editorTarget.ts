/**
 * Where "Insert" goes: the text editor the user last worked in. Focus moves to
 * the webview when its button is clicked, so activeTextEditor is undefined by
 * then; this remembers the last one instead.
 */
import * as vscode from 'vscode';

export class EditorTarget implements vscode.Disposable {
	private last: vscode.TextEditor | undefined;
	private readonly subscription: vscode.Disposable;

	constructor() {
		this.remember(vscode.window.activeTextEditor);
		this.subscription = vscode.window.onDidChangeActiveTextEditor((editor) => this.remember(editor));
	}

	/**
	 * Inserts at the last editor's cursor, replacing its selection the way paste
	 * does, and focuses that editor. Returns why it could not, or undefined.
	 */
	async insert(text: string): Promise<string | undefined> {
		const target = this.editor();
		if (!target) {
			return 'Open a text editor to insert into, put the cursor where the text should go, then press Insert again.';
		}
		const editor = await vscode.window.showTextDocument(target.document, {
			viewColumn: target.viewColumn,
			preserveFocus: false,
		});
		const selection = editor.selection;
		const ok = await editor.edit((edit) => edit.replace(selection, text));
		if (!ok) {
			return `Could not insert into ${vscode.workspace.asRelativePath(editor.document.uri)} (is it read-only?).`;
		}
		editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
		return undefined;
	}

	dispose(): void {
		this.subscription.dispose();
	}

	private editor(): vscode.TextEditor | undefined {
		if (this.last && !this.last.document.isClosed) {
			return this.last;
		}
		return vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find(isUserEditor);
	}

	private remember(editor: vscode.TextEditor | undefined): void {
		if (editor && isUserEditor(editor)) {
			this.last = editor;
		}
	}
}

/** Output channels are text editors too; nobody wants model output inserted into a log. */
function isUserEditor(editor: vscode.TextEditor): boolean {
	return editor.document.uri.scheme !== 'output';
}
