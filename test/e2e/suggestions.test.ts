/**
 * What VS Code does with the items the server returns, in code-server on the
 * packaged extension: an explicit request (Alt+\) gets alternatives that
 * Alt+] cycles through, and VS Code's own partial accepts take a word
 * (Ctrl+Right) or a line of a suggestion, multi-line ones too, into the
 * document.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { waitFor } from './support/processes';
import { useSession } from './support/session';

const noSpace = (s: string) => s.replace(/\s+/g, '');
/** VS Code binds no key to accepting a line of ghost text; the session binds this one. */
const ACCEPT_LINE_KEY = 'Control+Alt+L';
const COPIES = ['cycle.py', 'word.py', 'lines.py'];

describe('e2e: alternatives and partial accepts (packaged extension in code-server)', function () {
	this.timeout(180_000);
	const session = useSession(
		'suggestions',
		{},
		{
			keybindings: [{ key: 'ctrl+alt+l', command: 'editor.action.inlineSuggest.acceptNextLine', when: 'inlineSuggestionVisible' }],
			// One copy of stats.py per test, so no test types below another's code.
			prepareWorkspace: (workspace) => {
				for (const name of COPIES) {
					fs.copyFileSync(path.join(workspace, 'stats.py'), path.join(workspace, name));
				}
			},
		},
	);

	/** Opens `name` (a copy of stats.py), types `text` on new lines at its end, and returns the file's path and text before. */
	async function typeAtEnd(name: string, text: string): Promise<{ file: string; original: string }> {
		const wb = session.workbench;
		const file = session.file(name);
		const original = fs.readFileSync(file, 'utf8');
		await wb.openFile(name);
		await wb.press('Control+End');
		await wb.press('Enter');
		await wb.press('Enter');
		await wb.type(text);
		return { file, original };
	}

	/** Waits until the ghost text is no longer `before` (and not empty). */
	function nextGhost(before: string, what: string): Promise<string> {
		return waitFor(what, 30_000, async () => {
			const ghost = await session.workbench.ghostText();
			return ghost.trim() !== '' && ghost !== before ? ghost : false;
		});
	}

	/** What follows `typed`'s last occurrence in the saved file. */
	function after(saved: string, typed: string): string {
		const at = saved.lastIndexOf(typed);
		assert.ok(at >= 0, `${JSON.stringify(typed)} is not in the saved file:\n${saved}`);
		return saved.slice(at + typed.length);
	}

	it('Alt+\\ then Alt+] shows a different suggestion, and Tab accepts the one shown', async function () {
		const wb = session.workbench;
		const { file, original } = await typeAtEnd('cycle.py', 'def spread(values):\nreturn ');
		await wb.press('Alt+Backslash');
		const first = await wb.waitForGhostText();
		await wb.press('Alt+BracketRight');
		const second = await nextGhost(first, 'another suggestion after Alt+]');
		await wb.screenshot('completion-alternatives');
		assert.notStrictEqual(noSpace(second), noSpace(first));
		await wb.press('Alt+BracketLeft');
		assert.strictEqual(await nextGhost(second, 'the first suggestion again after Alt+['), first);
		await wb.press('Alt+BracketRight');
		assert.strictEqual(await nextGhost(first, 'the second suggestion again'), second);
		await wb.press('Tab');
		const saved = await wb.saveAndRead(file, original);
		assert.ok(noSpace(after(saved, 'return ')).startsWith(noSpace(second)), `Tab inserted the suggestion shown:\n${saved}`);
	});

	it('Ctrl+Right accepts one word of a suggestion into the document', async function () {
		const wb = session.workbench;
		const { file, original } = await typeAtEnd('word.py', 'def spread(values):\nreturn ');
		const ghost = await wb.waitForGhostText();
		await wb.press('Control+ArrowRight');
		const rest = await nextGhost(ghost, 'the rest of the suggestion after Ctrl+Right');
		const saved = await wb.saveAndRead(file, original);
		const inserted = after(saved, 'return ').replace(/\n$/, '');
		assert.ok(inserted !== '' && inserted.length < ghost.length, `one word, not all of ${JSON.stringify(ghost)}: ${JSON.stringify(inserted)}`);
		assert.ok(ghost.startsWith(inserted), `${JSON.stringify(inserted)} starts ${JSON.stringify(ghost)}`);
		assert.ok(!/\w\W+\w/.test(inserted.trim()), `a single word: ${JSON.stringify(inserted)}`);
		assert.strictEqual(noSpace(inserted + rest), noSpace(ghost), 'the rest is still shown');
	});

	it('a multi-line suggestion is accepted a word, then a line, then the rest', async function () {
		const wb = session.workbench;
		const { file, original } = await typeAtEnd('lines.py', 'def total(values):\nresult = 0\nfor value in values:\n');
		const ghost = await wb.waitForGhostText();
		assert.ok(ghost.includes('\n'), `a suggestion of several lines: ${JSON.stringify(ghost)}`);
		const firstLine = ghost.slice(0, ghost.indexOf('\n'));

		await wb.press('Control+ArrowRight');
		const afterWord = await nextGhost(ghost, 'the rest after accepting a word');
		await wb.press(ACCEPT_LINE_KEY);
		const afterLine = await nextGhost(afterWord, 'the rest after accepting a line');
		assert.strictEqual(noSpace(afterLine), noSpace(ghost.slice(firstLine.length)), 'the first line was taken, the others are still shown');
		// The rest starts with the next line's indentation: there VS Code's first Tab indents, the next accepts.
		await wb.press('Tab');
		if (/^\s/.test(afterLine.replace(/^\n/, '')) && (await wb.ghostText()).trim() !== '') {
			await wb.press('Tab');
		}
		const saved = await wb.saveAndRead(file, original);
		assert.ok(
			noSpace(after(saved, 'for value in values:')).startsWith(noSpace(ghost)),
			`the whole suggestion, in three accepts:\n${saved}`,
		);
		const lines = after(saved, 'for value in values:').split('\n');
		assert.strictEqual(lines[1].trim(), firstLine.trim(), 'its first line as one line');
	});
});
