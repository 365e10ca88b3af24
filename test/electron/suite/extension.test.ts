/**
 * The scenarios of test/e2e/ that the vscode API can observe, run inside
 * desktop VS Code against the installed .vsix: ghost text accepted into the
 * document, a documentation comment written by the command, and recovery
 * after the language server is killed. Notifications, the status bar item and
 * the webview are not visible to the API; the code-server suite checks those.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as vscode from 'vscode';

async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await check();
		if (value !== undefined) {
			return value;
		}
		if (Date.now() > deadline) {
			throw new Error(`Timed out after ${timeoutMs / 1000} s waiting for ${what}.`);
		}
		await new Promise((r) => setTimeout(r, 500));
	}
}

function workspaceFile(relativePath: string): vscode.Uri {
	const folder = vscode.workspace.workspaceFolders?.[0];
	assert.ok(folder, 'VS Code was started without the fixture workspace.');
	return vscode.Uri.joinPath(folder.uri, relativePath);
}

/** The language server: a child process of this extension host running dist/server/server.js. */
function languageServerPids(): number[] {
	const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
		.split('\n')
		.map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
		.filter((m): m is RegExpExecArray => m !== null)
		.map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
	return rows.filter((r) => r.ppid === process.pid && /dist[/\\]server[/\\]server\.js/.test(r.args)).map((r) => r.pid);
}

/**
 * Appends `lines` to the file, puts the cursor at the end, asks for an inline
 * suggestion and accepts it, as Alt+\ then Tab would; returns what was accepted.
 */
async function completeAndAccept(relativePath: string, lines: string[]): Promise<string> {
	const editor = await vscode.window.showTextDocument(workspaceFile(relativePath));
	const document = editor.document;
	const end = document.lineAt(document.lineCount - 1).range.end;
	await editor.edit((e) => e.insert(end, `\n\n${lines.join('\n')}`));
	const typed = document.getText();
	const cursor = document.lineAt(document.lineCount - 1).range.end;
	editor.selection = new vscode.Selection(cursor, cursor);
	return until('an inline suggestion to accept', 90_000, async () => {
		await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
		await new Promise((r) => setTimeout(r, 1500));
		await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
		const now = document.getText();
		if (now === typed) {
			return undefined;
		}
		assert.ok(now.startsWith(typed), `Accepting changed text before the cursor:\n${now}`);
		return now.slice(typed.length);
	});
}

describe('Glassbox in desktop VS Code (installed from the .vsix)', function () {
	this.timeout(180_000);

	before(async function () {
		const extension = vscode.extensions.getExtension('glassbox.glassbox');
		assert.ok(extension, 'glassbox.glassbox is not installed.');
		assert.ok(/glassbox\.glassbox-/.test(extension.extensionPath), `Not the installed package: ${extension.extensionPath}`);
		await extension.activate();
	});

	it('accepts an inline suggestion in TypeScript and in Python', async function () {
		const ts = await completeAndAccept('src/shapes.ts', ['export function scale(p: Point, factor: number): Point {', '\treturn { x: p.x * factor, y: ']);
		assert.match(ts, /\S/);
		const py = await completeAndAccept('stats.py', ['def median(values):', '    ordered = sorted(']);
		assert.match(py, /\S/);
	});

	it('"Generate Documentation Comment" writes a /** */ comment above a TypeScript function', async function () {
		const editor = await vscode.window.showTextDocument(workspaceFile('src/shapes.ts'));
		const line = editor.document.getText().split('\n').findIndex((l) => l.startsWith('export function distance('));
		assert.ok(line >= 0);
		const inside = new vscode.Position(line + 1, 1);
		editor.selection = new vscode.Selection(inside, inside);
		await vscode.commands.executeCommand('glassbox.generateDocComment');
		assert.match(editor.document.getText(), /\n\/\*\*\n(?: \*.*\n)+ \*\/\nexport function distance\(/);
	});

	it('restarts the language server after it is killed, and completions work again', async function () {
		if (process.platform === 'win32') {
			this.skip();
		}
		const before = await until('the language server process', 30_000, () => {
			const pids = languageServerPids();
			return pids.length === 1 ? pids[0] : undefined;
		});
		process.kill(before, 'SIGKILL');
		await until('a new language server process', 60_000, () => {
			const pids = languageServerPids();
			return pids.length === 1 && pids[0] !== before ? pids[0] : undefined;
		});
		const accepted = await completeAndAccept('src/shapes.ts', ['export function translate(p: Point, dx: number): Point {', '\treturn { x: p.x + dx, y: ']);
		assert.match(accepted, /\S/);
	});
});
