/**
 * Typed access to the `glassbox.*` settings (one parser for client and
 * server: protocol/settings.ts), plus the writes the status menu makes.
 */
import * as vscode from 'vscode';
import {
	isLanguageEnabled,
	parseSettings,
	SETTINGS_SECTION,
	type GlassboxSettings,
} from '../../protocol/settings';

export class Config {
	get settings(): GlassboxSettings {
		const c = vscode.workspace.getConfiguration(SETTINGS_SECTION);
		return parseSettings({
			model: c.get('model'),
			device: c.get('device'),
			dtype: c.get('dtype'),
			allowDownloads: c.get('allowDownloads'),
			completion: c.get('completion'),
			commands: c.get('commands'),
		});
	}

	get completionsEnabled(): boolean {
		return this.settings.completion.enabled;
	}

	get debounceMs(): number {
		return this.settings.completion.debounceMs;
	}

	isLanguageEnabled(languageId: string): boolean {
		return isLanguageEnabled(this.settings.completion.languages, languageId);
	}

	setCompletionsEnabled(enabled: boolean): Thenable<void> {
		return this.update('completion.enabled', enabled);
	}

	setLanguageEnabled(languageId: string, enabled: boolean): Thenable<void> {
		return this.update('completion.languages', { ...this.settings.completion.languages, [languageId]: enabled });
	}

	setModel(model: string): Thenable<void> {
		return this.update('model', model);
	}

	setAllowDownloads(allow: boolean): Thenable<void> {
		return this.update('allowDownloads', allow);
	}

	/** Fires when any glassbox setting changes. */
	onDidChange(listener: () => void): vscode.Disposable {
		return vscode.workspace.onDidChangeConfiguration((e) => {
			if (e.affectsConfiguration(SETTINGS_SECTION)) {
				listener();
			}
		});
	}

	private update(key: string, value: unknown): Thenable<void> {
		return vscode.workspace.getConfiguration(SETTINGS_SECTION).update(key, value, vscode.ConfigurationTarget.Global);
	}
}
