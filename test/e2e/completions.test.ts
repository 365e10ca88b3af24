/**
 * The model's state in the status bar, inline completions (ghost text) in
 * TypeScript and Python accepted with Tab, and recovery when the language
 * server process dies. One code-server instance for the file: the restart
 * scenario runs last.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { waitFor } from './support/processes';
import { useSession } from './support/session';

const noSpace = (s: string) => s.replace(/\s+/g, '');

describe('e2e: completions and the language server (packaged extension in code-server)', function () {
	this.timeout(180_000);
	const session = useSession('completions');

	/**
	 * Types `lines` on new lines at the end of `relativePath` (the last one
	 * without Enter, so the cursor ends after code rather than in indentation),
	 * waits for ghost text, accepts it with Tab and checks, in the saved file,
	 * that exactly the suggested text follows what was typed.
	 */
	async function completeAndAccept(relativePath: string, lines: string[], screenshot: string): Promise<void> {
		const wb = session.workbench;
		const file = session.file(relativePath);
		const original = fs.readFileSync(file, 'utf8');
		await wb.openFile(relativePath);
		await wb.press('Control+End');
		await wb.press('Enter');
		await wb.press('Enter');
		await wb.type(lines.join('\n'));
		const ghost = await wb.waitForGhostText();
		await wb.screenshot(screenshot);
		await wb.press('Tab');
		const saved = await wb.saveAndRead(file, original);

		const last = lines[lines.length - 1];
		const typedAt = saved.lastIndexOf(last);
		assert.ok(typedAt > 0, `The typed line is not in the saved file:\n${saved}`);
		assert.ok(saved.startsWith(original.trimEnd()), `The file's original text changed:\n${saved}`);
		// Whitespace aside (auto-indent, and how ghost text renders it), the
		// accepted suggestion is what follows the typed text.
		const rest = saved.slice(typedAt + last.length);
		assert.ok(
			noSpace(rest).startsWith(noSpace(ghost)),
			`Tab did not insert the ghost text.\nghost text: ${JSON.stringify(ghost)}\nfile after the typed text: ${JSON.stringify(rest)}`,
		);
	}

	it('shows the model ready in the status bar (sparkle icon, "ready" in its label and tooltip)', async function () {
		const wb = session.workbench;
		const label = await wb.waitForModelReady();
		assert.match(label, /^Glassbox: .+ is ready$/);
		assert.strictEqual((await wb.statusItem().innerText()).trim(), 'Glassbox');
		await wb.statusItem().hover();
		const hover = wb.page.locator('.monaco-hover', { hasText: 'is ready' });
		await hover.waitFor({ timeout: 15_000 });
		assert.match(await hover.innerText(), /context\s\d+\stokens/);
		await wb.screenshot('status-bar');
		await wb.page.mouse.move(700, 400);
		assert.deepStrictEqual(await wb.errorNotifications(), []);
	});

	it('shows ghost text in a TypeScript file and Tab accepts it into the document', async function () {
		await completeAndAccept(
			'src/shapes.ts',
			['export function scale(p: Point, factor: number): Point {', 'return { x: p.x * factor, y: '],
			'completion-typescript',
		);
	});

	it('shows ghost text in a Python file and Tab accepts it into the document', async function () {
		await completeAndAccept('stats.py', ['def median(values):', 'ordered = sorted('], 'completion-python');
	});

	it("the status bar's tooltip gives the last completion's tokens and times", async function () {
		const wb = session.workbench;
		// The client reads the server's counters shortly after each answer; hover until they are in.
		const text = await waitFor('the tooltip to describe the last completion', 30_000, async () => {
			await wb.statusItem().hover();
			const hover = wb.page.locator('.monaco-hover', { hasText: 'is ready' });
			await hover.waitFor({ timeout: 15_000 });
			const shown = await hover.innerText();
			await wb.page.mouse.move(700, 400);
			return /Last\scompletion/.test(shown) ? shown.replace(/\s/g, ' ') : undefined;
		});
		// (The tooltip's text comes with non-breaking spaces: VS Code's appendText keeps spacing that way.)
		assert.match(text, /Last completion: [\d,]+ prompt tokens, .*cache.*; first token in [\d,]+ ms, [\d,]+ tokens? in [\d,]+ ms/);
	});

	it('restarts the language server after it is killed, and completions work again', async function () {
		const { server, workbench: wb } = session;
		const before = server.languageServerPids();
		assert.strictEqual(before.length, 1, `Expected one language server process under code-server, found ${JSON.stringify(before)}.`);
		process.kill(before[0], 'SIGKILL');

		const after = await waitFor('a new language server process', 60_000, () => {
			const pids = server.languageServerPids();
			return pids.length === 1 && pids[0] !== before[0] ? pids[0] : false;
		});
		assert.notStrictEqual(after, before[0]);
		await wb.waitForModelReady(90_000);
		await completeAndAccept(
			'src/shapes.ts',
			['export function translate(p: Point, dx: number, dy: number): Point {', 'return { x: p.x + dx, y: '],
			'server-restart',
		);
		assert.deepStrictEqual(await wb.errorNotifications(), []);
	});
});
