/**
 * The text commands from the command palette, by the titles package.json
 * gives them: Summarize on a selection (the result as a notification and
 * streamed into the inspector) and Generate Documentation Comment (a comment
 * written into the file above, or for Python below, the function's header).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { useSession } from './support/session';

describe('e2e: Summarize and Generate Documentation Comment (packaged extension in code-server)', function () {
	this.timeout(180_000);
	const session = useSession('commands');

	it('"Glassbox: Summarize" on a selection shows the summary and streams it into the inspector', async function () {
		const wb = session.workbench;
		await wb.openFile('stats.py');
		// The first function: lines 1 to 5.
		await wb.press('Control+Home');
		for (let i = 0; i < 5; i++) {
			await wb.press('Shift+ArrowDown');
		}
		await wb.runCommand('Glassbox: Summarize');

		const message = await wb.waitForNotification(/^Summary: /, 120_000, /empty summary|could not|failed/i);
		assert.match(message, /^Summary: \S/);

		const panel = await wb.webviewFrame('#token-strip');
		await panel.locator('#gen-title', { hasText: /Summary.*stats\.py/ }).waitFor({ timeout: 30_000 });
		const tokens = await panel.locator('#token-strip .tok:not(.prompt)').count();
		assert.ok(tokens > 0, 'The inspector shows no generated tokens for the summary.');
		await wb.screenshot('summarize');
		await wb.runCommand('Notifications: Clear All Notifications');
	});

	it('"Glassbox: Generate Documentation Comment" writes a /** */ comment above a TypeScript function', async function () {
		const wb = session.workbench;
		const file = session.file('src/shapes.ts');
		const original = fs.readFileSync(file, 'utf8');
		await wb.openFile('src/shapes.ts');
		await wb.goToLine(8); // inside distance()
		await wb.runCommand('Glassbox: Generate Documentation Comment');
		await wb.waitForDirty();
		// Done means done: the progress notification closes too.
		await wb.page.locator('.notification-toast', { hasText: 'writing the documentation comment' }).waitFor({ state: 'hidden', timeout: 15_000 });
		await wb.screenshot('doc-comment');
		const saved = await wb.saveAndRead(file, original);

		const comment = /\n(\/\*\*\n(?: \*.*\n)+ \*\/)\nexport function distance\(/.exec(saved);
		assert.ok(comment, `No /** … */ comment directly above distance():\n${saved}`);
		assert.match(comment[1], /\w/, 'The comment has no words in it.');
		assert.strictEqual(saved.replace(`${comment[1]}\n`, ''), original, 'Something besides the comment changed.');
		assert.deepStrictEqual(await wb.errorNotifications(), []);
	});

	it('"Glassbox: Generate Documentation Comment" writes a docstring into a Python function', async function () {
		const wb = session.workbench;
		const file = session.file('stats.py');
		const original = fs.readFileSync(file, 'utf8');
		await wb.openFile('stats.py');
		await wb.goToLine(9); // inside variance()
		await wb.runCommand('Glassbox: Generate Documentation Comment');
		await wb.waitForDirty();
		const saved = await wb.saveAndRead(file, original);

		const docstring = /\ndef variance\(values\):\n( {4}"""[\s\S]*?"""\n)/.exec(saved);
		assert.ok(docstring, `No docstring right under def variance():\n${saved}`);
		assert.match(docstring[1], /\w/, 'The docstring has no words in it.');
		assert.strictEqual(saved.replace(docstring[1], ''), original, 'Something besides the docstring changed.');
	});
});
