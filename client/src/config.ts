/**
 * Typed access to the `glassbox.*` settings (one parser for client and
 * server: protocol/settings.ts), the writes the status menu makes (at the
 * level whose value is in effect), and what Restricted Mode changes: the
 * settings that choose a model, a device or a download take no value from an
 * untrusted workspace, and each value ignored is said in the log.
 */
import * as vscode from 'vscode';
import {
	isLanguageEnabled,
	parseSettings,
	RESTRICTED_SETTINGS,
	SETTINGS_SECTION,
	type CompletionSettings,
	type GlassboxSettings,
} from '../../protocol/settings';
import { allowedValue, ignoredMessage, ignoredWorkspaceValues, valueAt, writeLevel, type SettingsFile } from './settingScopes';

/** The restricted settings as the server reads them: keys under the `glassbox` section. */
const RESTRICTED_KEYS = Object.keys(RESTRICTED_SETTINGS).map((key) => key.slice(SETTINGS_SECTION.length + 1));

export class Config {
	get settings(): GlassboxSettings {
		const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
		return parseSettings({
			...this.section(),
			completion: c.get('completion'),
			commands: c.get('commands'),
		});
	}

	/**
	 * A workspace/configuration answer as the language server may see it:
	 * `value` (what VS Code answers for `section`) with each restricted setting
	 * in it replaced by the value allowed here.
	 */
	forServer(section: string | undefined, value: unknown): unknown {
		const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
		if (section === undefined || section === '') {
			return isObject(value) && isObject(value[SETTINGS_SECTION]) ? { ...value, [SETTINGS_SECTION]: { ...value[SETTINGS_SECTION], ...this.section() } } : value;
		}
		if (section === SETTINGS_SECTION) {
			return isObject(value) ? { ...value, ...this.section() } : value;
		}
		const key = section.slice(SETTINGS_SECTION.length + 1);
		return section.startsWith(`${SETTINGS_SECTION}.`) && RESTRICTED_KEYS.includes(key) ? this.section()[key] : value;
	}

	/** The restricted settings, each from a level allowed to set it. */
	private section(): Record<string, unknown> {
		const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
		const trusted = vscode.workspace.isTrusted;
		return Object.fromEntries(RESTRICTED_KEYS.map((key) => [key, allowedValue(`${SETTINGS_SECTION}.${key}`, c.get(key), c.inspect(key), trusted)]));
	}

	/** The completion settings alone: read on every keystroke, so without the restricted ones. */
	private get completion(): CompletionSettings {
		return parseSettings({ completion: vscode.workspace.getConfiguration(SETTINGS_SECTION).get('completion') }).completion;
	}

	get completionsEnabled(): boolean {
		return this.completion.enabled;
	}

	get debounceMs(): number {
		return this.completion.debounceMs;
	}

	isLanguageEnabled(languageId: string): boolean {
		return isLanguageEnabled(this.completion.languages, languageId);
	}

	setCompletionsEnabled(enabled: boolean): Thenable<void> {
		return this.update('completion.enabled', () => enabled);
	}

	/** Changes one entry of the map at the level it is written to; VS Code merges the levels' maps. */
	setLanguageEnabled(languageId: string, enabled: boolean): Thenable<void> {
		return this.update<Record<string, boolean>>('completion.languages', (current) => ({ ...current, [languageId]: enabled }));
	}

	setModel(model: string): Thenable<void> {
		return this.update('model', () => model);
	}

	setAllowDownloads(allow: boolean): Thenable<void> {
		return this.update('allowDownloads', () => allow);
	}

	/** Fires when any glassbox setting changes, and when the workspace becomes trusted (restricted values may apply then). */
	onDidChange(listener: () => void): vscode.Disposable {
		return vscode.Disposable.from(
			vscode.workspace.onDidChangeConfiguration((e) => {
				if (e.affectsConfiguration(SETTINGS_SECTION)) {
					listener();
				}
			}),
			vscode.workspace.onDidGrantWorkspaceTrust(listener),
		);
	}

	/**
	 * Logs each restricted setting a workspace settings file sets that does not
	 * take effect (untrusted workspace, or a machine setting), once per value.
	 */
	async reportIgnoredValues(log: vscode.LogOutputChannel, reported: Set<string>): Promise<void> {
		const ignored = ignoredWorkspaceValues(await workspaceSettingsFiles(), vscode.workspace.isTrusted);
		const section = this.section();
		for (const item of ignored) {
			const message = ignoredMessage(item, section[item.key.slice(SETTINGS_SECTION.length + 1)]);
			if (!reported.has(message)) {
				reported.add(message);
				log.warn(message);
			}
		}
	}

	/** Writes at the level whose value is in effect (see settingScopes.ts); `change` gets the value stored there. */
	private update<T>(key: string, change: (current: T | undefined) => T): Thenable<void> {
		const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
		const inspected = c.inspect<T>(key);
		const level = writeLevel(`${SETTINGS_SECTION}.${key}`, inspected, vscode.workspace.isTrusted);
		const target = level === 'workspace' ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
		return c.update(key, change(valueAt(inspected, level)), target);
	}
}

/** The workspace's settings files that exist: each folder's .vscode/settings.json and the .code-workspace file. */
async function workspaceSettingsFiles(): Promise<SettingsFile[]> {
	const candidates: Array<{ uri: vscode.Uri; kind: SettingsFile['kind'] }> = (vscode.workspace.workspaceFolders ?? []).map((folder) => ({
		uri: vscode.Uri.joinPath(folder.uri, '.vscode', 'settings.json'),
		kind: 'folder',
	}));
	const workspaceFile = vscode.workspace.workspaceFile;
	if (workspaceFile && workspaceFile.scheme !== 'untitled') {
		candidates.push({ uri: workspaceFile, kind: 'workspace' });
	}
	const files: SettingsFile[] = [];
	for (const { uri, kind } of candidates) {
		try {
			const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
			files.push({ path: uri.scheme === 'file' ? uri.fsPath : uri.toString(true), text, kind });
		} catch {
			// No settings file there.
		}
	}
	return files;
}
