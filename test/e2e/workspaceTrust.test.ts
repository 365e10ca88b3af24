/**
 * Restricted Mode with workspace trust on, as in a default VS Code: a cloned
 * repository whose .vscode/settings.json points glassbox.model at a folder
 * inside it and turns glassbox.allowDownloads on. Untrusted, the embedded
 * model still gives ghost text and the log names each ignored value; trusted,
 * the workspace's model loads, and the status menu's writes land in the
 * settings file whose value is in effect. A second folder writes the same
 * values as a nested "glassbox" object, a form VS Code's own filter misses.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { parse } from 'jsonc-parser';
import * as path from 'path';
import { REPO_ROOT } from './support/codeServer';
import { glassboxLog, waitForLog } from './support/glassboxLog';
import { waitFor } from './support/processes';
import { useSession } from './support/session';

const EMBEDDED_LABEL = 'Glassbox Mini (embedded)';
/** A folder model gets its folder's name as its label. */
const REPO_MODEL = 'repo-model';
/** No trust dialog: the folder opens in Restricted Mode, as it does once a user has answered "No". */
const NO_PROMPT = { 'security.workspace.trust.startupPrompt': 'never' };

/** A copy of the embedded model inside the workspace, and workspace settings that choose it. */
function repositoryWithModel(settings: (modelFolder: string) => Record<string, unknown>): (workspace: string) => void {
	return (workspace) => {
		const modelFolder = path.join(workspace, REPO_MODEL);
		fs.cpSync(path.join(REPO_ROOT, 'models', 'glassbox-mini'), modelFolder, { recursive: true });
		fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
		fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify(settings(modelFolder), null, '\t'));
	};
}

function readSettings(file: string): Record<string, unknown> {
	return fs.existsSync(file) ? ((parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown> | undefined) ?? {}) : {};
}

function waitForSetting(file: string, key: string, expected: unknown): Promise<unknown> {
	return waitFor(`${key} = ${JSON.stringify(expected)} in ${file}`, 15_000, () => {
		const value = readSettings(file)[key];
		return JSON.stringify(value) === JSON.stringify(expected) ? true : false;
	});
}

describe('e2e: Restricted Mode and where settings come from (workspace trust on)', function () {
	this.timeout(180_000);
	const session = useSession('trust', NO_PROMPT, {
		workspaceTrust: true,
		prepareWorkspace: repositoryWithModel((modelFolder) => ({
			'glassbox.model': modelFolder,
			'glassbox.allowDownloads': true,
			'glassbox.completion.enabled': true,
		})),
	});

	it('untrusted: the embedded model gives ghost text, and the log says which workspace values were ignored', async function () {
		const wb = session.workbench;
		await wb.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: 15_000 });
		assert.strictEqual(await wb.waitForModelReady(), `Glassbox: ${EMBEDDED_LABEL} is ready`);

		await wb.openFile('stats.py');
		await wb.press('Control+End');
		await wb.press('Enter');
		await wb.press('Enter');
		await wb.type('def median(values):\nordered = sorted(');
		assert.notStrictEqual((await wb.waitForGhostText()).trim(), '');
		await wb.screenshot('restricted-mode-completion');
		await wb.press('Escape');

		const workspaceSettings = path.join(session.server.workspace, '.vscode', 'settings.json');
		const modelLine = await waitForLog(session.server, /Ignored glassbox\.model = .*/);
		assert.ok(modelLine.includes(path.join(session.server.workspace, REPO_MODEL)), modelLine);
		assert.ok(modelLine.includes(workspaceSettings) && modelLine.includes('not trusted'), modelLine);
		assert.match(modelLine, /Using "embedded"\.$/);
		assert.match(await waitForLog(session.server, /Ignored glassbox\.allowDownloads = .*/), /= true from .*only user settings may set it\. Using false\.$/);
		assert.doesNotMatch(glassboxLog(session.server), new RegExp(`Loaded ${REPO_MODEL}`));
		assert.deepStrictEqual(await wb.errorNotifications(), []);
	});

	it('trusted: the workspace model setting applies', async function () {
		const wb = session.workbench;
		await wb.runCommand('Workspaces: Manage Workspace Trust');
		await wb.page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).click({ timeout: 15_000 });
		await wb.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ state: 'detached', timeout: 15_000 });
		await waitFor(`the status bar to say ${REPO_MODEL} is ready`, 120_000, async () => (await wb.statusLabel()) === `Glassbox: ${REPO_MODEL} is ready`, 500);
		await waitForLog(session.server, new RegExp(`Loaded ${REPO_MODEL} `));
		await wb.screenshot('trusted-workspace-model');
	});

	it('writes land where the value lives: the workspace when it sets the key, the user settings when it does not', async function () {
		const wb = session.workbench;
		const workspaceSettings = path.join(session.server.workspace, '.vscode', 'settings.json');
		const userSettings = path.join(session.server.userDataDir, 'User', 'settings.json');

		// The workspace sets completion.enabled: the toggle changes it there.
		await wb.runCommand('Glassbox: Enable or Disable Inline Completions');
		await waitForSetting(workspaceSettings, 'glassbox.completion.enabled', false);
		assert.strictEqual(readSettings(userSettings)['glassbox.completion.enabled'], undefined);

		// The workspace chooses the model: Choose Model changes the workspace's choice, visibly.
		await wb.runCommand('Glassbox: Choose Model…', { opensQuickPick: true });
		await wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: EMBEDDED_LABEL }).first().click({ timeout: 15_000 });
		await waitForSetting(workspaceSettings, 'glassbox.model', 'embedded');
		assert.strictEqual(readSettings(userSettings)['glassbox.model'], undefined);
		// Loaded once at the start (untrusted), and again now (the status bar says completions are off).
		await waitFor(`${EMBEDDED_LABEL} loaded again`, 120_000, () => glassboxLog(session.server).split(`Loaded ${EMBEDDED_LABEL} `).length - 1 === 2);

		// Nothing in the workspace sets the per-language map: the user's settings get it.
		await wb.openFile('stats.py');
		await wb.runCommand('Glassbox: Enable or Disable Inline Completions for This Language');
		await waitForSetting(userSettings, 'glassbox.completion.languages', { python: false });
		assert.strictEqual(readSettings(workspaceSettings)['glassbox.completion.languages'], undefined);
		assert.deepStrictEqual(await wb.errorNotifications(), []);
	});
});

describe('e2e: Restricted Mode with the settings written as a nested "glassbox" object', function () {
	this.timeout(180_000);
	const session = useSession('trust-nested', NO_PROMPT, {
		workspaceTrust: true,
		prepareWorkspace: repositoryWithModel((modelFolder) => ({ glassbox: { model: modelFolder, allowDownloads: true } })),
	});

	it('untrusted: the embedded model loads all the same, and the log says why', async function () {
		const wb = session.workbench;
		await wb.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: 15_000 });
		assert.strictEqual(await wb.waitForModelReady(), `Glassbox: ${EMBEDDED_LABEL} is ready`);
		assert.match(await waitForLog(session.server, /Ignored glassbox\.model = .*/), /not trusted.*Using "embedded"\.$/);
		await waitForLog(session.server, /Ignored glassbox\.allowDownloads = true .*/);
		assert.doesNotMatch(glassboxLog(session.server), new RegExp(`Loaded ${REPO_MODEL}`));
	});
});
