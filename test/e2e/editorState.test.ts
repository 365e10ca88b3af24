/**
 * Inline completions that respect the editor's state, in a real VS Code
 * (code-server) on the packaged extension: ghost text that extends the item
 * selected in the suggest widget, a completion in a notebook cell that sees
 * the cells above it, and a suggestion in front of closers already right of
 * the cursor that, accepted, leaves them once.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { waitFor } from './support/processes';
import { useSession } from './support/session';

const noSpace = (s: string) => s.replace(/\s+/g, '');

/** Text of the ghost text's parts: `lead` is the selected suggest item's remaining text, `own` what the inline completion adds. */
interface GhostParts {
	lead: string;
	own: string;
}

describe('e2e: completions and the editor\'s state (packaged extension in code-server)', function () {
	this.timeout(180_000);
	const session = useSession('editor-state');

	async function ghostParts(): Promise<GhostParts> {
		return session.workbench.page.evaluate(() => {
			const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ className: string; textContent: string | null }> } }).document;
			const parts = { lead: '', own: '' };
			for (const el of doc.querySelectorAll('.monaco-editor.focused [class*="ghost-text-decoration"]')) {
				const text = (el.textContent ?? '').replace(/\u00a0/g, ' ');
				if (el.className.includes('ghost-text-decoration-preview')) {
					parts.own += text;
				} else {
					parts.lead += text;
				}
			}
			return parts;
		});
	}

	it('with the suggest widget open, ghost text extends the selected item, and both are accepted', async function () {
		const wb = session.workbench;
		const file = session.file('stats.py');
		const original = fs.readFileSync(file, 'utf8');
		await wb.openFile('stats.py');
		await wb.press('Control+End');
		await wb.press('Enter');
		await wb.press('Enter');
		await wb.type('def spread(values):\n');
		// A first suggestion, so that inline completions run in this session (see waitForGhostText).
		await wb.waitForGhostText();
		await wb.press('Escape');
		await wb.type('m = mea');
		await wb.press('Control+Space');
		const widget = wb.page.locator('.suggest-widget.visible .monaco-list-row.focused');
		await widget.waitFor({ timeout: 15_000 });
		assert.match(await widget.innerText(), /^mean/);
		// The suggest widget's preview of `mean` ("n"), then the inline completion after it.
		const parts = await waitFor('ghost text extending the selected suggest item', 60_000, async () => {
			const p = await ghostParts();
			return p.own.trim() !== '' ? p : false;
		});
		assert.strictEqual(parts.lead, 'n', 'the selected item\'s remaining text leads the ghost text');
		await wb.screenshot('completion-suggest-widget');
		await wb.press('Tab'); // the suggest item
		await waitFor('the suggest widget to close', 15_000, async () => ((await wb.page.locator('.suggest-widget.visible').count()) === 0 ? true : false));
		const rest = await wb.waitForGhostText();
		assert.strictEqual(noSpace(rest), noSpace(parts.own), 'the rest of the suggestion stays as ghost text');
		await wb.press('Tab'); // the inline completion
		const saved = await wb.saveAndRead(file, original);
		assert.ok(saved.includes(`m = mean${parts.own.trimEnd()}`), `expected "m = mean${parts.own}" in:\n${saved}`);
	});

	it('a notebook cell gets ghost text that knows the cells above, and Tab accepts it', async function () {
		const wb = session.workbench;
		const file = session.file('analysis.ipynb');
		const original = fs.readFileSync(file, 'utf8');
		await wb.openNotebook('analysis.ipynb');
		const cells = wb.page.locator('.notebook-editor .code-cell-row .monaco-editor');
		await waitFor('two code cells in the notebook editor', 30_000, async () => ((await cells.count()) === 2 ? true : false));
		await cells.last().click();
		await wb.page.locator('.notebook-editor .code-cell-row .monaco-editor.focused').waitFor({ timeout: 15_000 });
		await wb.type('m = mean(');
		const ghost = await wb.waitForGhostText();
		await wb.screenshot('completion-notebook');
		await wb.press('Tab');
		const saved = await wb.saveAndRead(file, original);
		const notebook = JSON.parse(saved) as { cells: { cell_type: string; source: string[] | string }[] };
		const last = notebook.cells[notebook.cells.length - 1];
		const source = Array.isArray(last.source) ? last.source.join('') : last.source;
		assert.strictEqual(noSpace(source), noSpace(`m = mean(${ghost}`), `the cell holds the typed text and the suggestion:\n${source}`);
		// The suggestion came from a prompt that read the first cell: it names something only defined there.
		assert.match(ghost, /\b(xs|values|statistics|mean)\b/, `the suggestion ${JSON.stringify(ghost)} uses the cells above`);
	});

	it('in front of closers already right of the cursor, accepting leaves them once', async function () {
		const wb = session.workbench;
		const file = session.file('src/shapes.ts');
		const original = fs.readFileSync(file, 'utf8');
		await wb.openFile('src/shapes.ts');
		await wb.press('Control+End');
		await wb.press('Enter');
		await wb.press('Enter');
		await wb.type('export const root = Math.sqrt(');
		await wb.type(');');
		await wb.press('ArrowLeft');
		await wb.press('ArrowLeft');
		await wb.type('a');
		const ghost = await wb.waitForGhostText();
		await wb.screenshot('completion-before-closers');
		await wb.press('Tab');
		const saved = await wb.saveAndRead(file, original);
		const line = saved.split('\n').find((l) => l.startsWith('export const root = Math.sqrt('));
		assert.ok(line, saved);
		assert.strictEqual(noSpace(line), noSpace(`export const root = Math.sqrt(a${ghost});`), `accepted line: ${line}`);
		const depth = [...line].reduce((d, c) => d + (c === '(' ? 1 : c === ')' ? -1 : 0), 0);
		assert.ok(line.endsWith(');') && !line.endsWith(');;') && depth === 0, `closers once: ${line}`);
	});
});
