/**
 * Where a write goes (the level whose value is in effect) and which workspace
 * values of the restricted settings take no effect, from what
 * `WorkspaceConfiguration.inspect()` and the settings files say.
 */
import * as assert from 'assert';
import {
	allowedValue,
	ignoredMessage,
	ignoredWorkspaceValues,
	valueAt,
	workspaceMayChoose,
	writeLevel,
	type InspectedValue,
} from '../../client/src/settingScopes';

describe('settingScopes', () => {
	describe('writeLevel', () => {
		it('writes to the workspace when it holds the value in effect, to the user settings when it does not', () => {
			assert.strictEqual(writeLevel('glassbox.completion.enabled', { defaultValue: true, globalValue: true, workspaceValue: false }, false), 'workspace');
			assert.strictEqual(writeLevel('glassbox.completion.enabled', { defaultValue: true, globalValue: false }, true), 'global');
			assert.strictEqual(writeLevel('glassbox.completion.enabled', { defaultValue: true }, true), 'global');
			assert.strictEqual(writeLevel('glassbox.completion.enabled', undefined, true), 'global');
		});

		it('never writes a restricted setting to a workspace that may not choose it', () => {
			assert.strictEqual(writeLevel('glassbox.model', { defaultValue: 'embedded', workspaceValue: '/repo/m' }, true), 'workspace');
			assert.strictEqual(writeLevel('glassbox.model', { defaultValue: 'embedded', workspaceValue: '/repo/m' }, false), 'global');
			assert.strictEqual(writeLevel('glassbox.allowDownloads', { defaultValue: false, workspaceValue: true }, true), 'global');
		});

		it('merges a change of one entry into the map stored at that level, not the merged one', () => {
			const inspected: InspectedValue<Record<string, boolean>> = { defaultValue: { '*': true, markdown: false }, globalValue: { go: false }, workspaceValue: { python: true } };
			assert.deepStrictEqual(valueAt(inspected, writeLevel('glassbox.completion.languages', inspected, true)), { python: true });
			assert.deepStrictEqual(valueAt(inspected, 'global'), { go: false });
		});
	});

	describe('restricted values', () => {
		it('lets a trusted workspace choose machine-overridable settings only', () => {
			assert.strictEqual(workspaceMayChoose('glassbox.model', true), true);
			assert.strictEqual(workspaceMayChoose('glassbox.model', false), false);
			assert.strictEqual(workspaceMayChoose('glassbox.allowDownloads', true), false);
			assert.strictEqual(workspaceMayChoose('glassbox.completion.debounceMs', false), true);
		});

		it("takes the user's value, else the default, where the workspace may not choose", () => {
			const inspected = { defaultValue: 'embedded', globalValue: '/home/me/model', workspaceValue: '/repo/model' };
			assert.strictEqual(allowedValue('glassbox.model', '/repo/model', inspected, false), '/home/me/model');
			assert.strictEqual(allowedValue('glassbox.model', '/repo/model', { ...inspected, globalValue: undefined }, false), 'embedded');
			assert.strictEqual(allowedValue('glassbox.model', '/repo/model', inspected, true), '/repo/model');
			assert.strictEqual(allowedValue('glassbox.allowDownloads', true, { defaultValue: false, workspaceValue: true }, true), false);
			assert.strictEqual(allowedValue('glassbox.device', 'cuda', { defaultValue: 'cpu', globalValue: 'cuda' }, false), 'cuda');
		});
	});

	describe('ignoredWorkspaceValues', () => {
		const folder = {
			path: '/repo/.vscode/settings.json',
			kind: 'folder' as const,
			text: '{\n\t// a comment\n\t"glassbox.model": "/repo/m",\n\t"glassbox": { "allowDownloads": true, "device": "cuda" },\n\t"glassbox.completion.enabled": false,\n}\n',
		};

		it('finds restricted keys written flat or nested, in JSON with comments and trailing commas', () => {
			assert.deepStrictEqual(ignoredWorkspaceValues([folder], false), [
				{ key: 'glassbox.model', value: '/repo/m', file: folder.path, reason: 'untrusted' },
				{ key: 'glassbox.allowDownloads', value: true, file: folder.path, reason: 'machine' },
				{ key: 'glassbox.device', value: 'cuda', file: folder.path, reason: 'untrusted' },
			]);
		});

		it('keeps only machine settings once the workspace is trusted', () => {
			assert.deepStrictEqual(ignoredWorkspaceValues([folder], true), [{ key: 'glassbox.allowDownloads', value: true, file: folder.path, reason: 'machine' }]);
		});

		it('reads the settings of a .code-workspace file, and nothing from broken JSON', () => {
			const workspace = { path: '/w.code-workspace', kind: 'workspace' as const, text: '{ "folders": [], "settings": { "glassbox.dtype": "q4" } }' };
			assert.deepStrictEqual(ignoredWorkspaceValues([workspace], false), [{ key: 'glassbox.dtype', value: 'q4', file: workspace.path, reason: 'untrusted' }]);
			assert.deepStrictEqual(ignoredWorkspaceValues([{ ...folder, text: '"glassbox.model"' }], false), []);
		});

		it('says what was ignored, from where, why, and what is used instead', () => {
			const [model, downloads] = ignoredWorkspaceValues([folder], false);
			assert.strictEqual(
				ignoredMessage(model, 'embedded'),
				'Ignored glassbox.model = "/repo/m" from /repo/.vscode/settings.json: this workspace is not trusted (Restricted Mode); trust it to use its value. Using "embedded".',
			);
			assert.strictEqual(ignoredMessage(downloads, false), 'Ignored glassbox.allowDownloads = true from /repo/.vscode/settings.json: only user settings may set it. Using false.');
		});
	});
});
