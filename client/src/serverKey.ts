/**
 * The inference server's API key: kept in VS Code's SecretStorage (the OS
 * keychain where there is one), never in settings or logs. The language
 * server asks for it when it connects (ServerApiKeyRequest); setting or
 * clearing it makes the server connect again.
 */
import * as vscode from 'vscode';
import type { CommandHandlers } from './commandIds';

/** The SecretStorage key. One key for the configured server (glassbox.serverUrl). */
const SECRET_KEY = 'glassbox.serverApiKey';

export class ServerApiKey {
	constructor(private readonly secrets: vscode.SecretStorage) {}

	/** The key, or null when none is set. */
	async get(): Promise<string | null> {
		return (await this.secrets.get(SECRET_KEY)) ?? null;
	}

	set(key: string): Thenable<void> {
		return this.secrets.store(SECRET_KEY, key);
	}

	clear(): Thenable<void> {
		return this.secrets.delete(SECRET_KEY);
	}

	/** Fires when the key changes, here or in another window. */
	onDidChange(listener: () => void): vscode.Disposable {
		return this.secrets.onDidChange((e) => {
			if (e.key === SECRET_KEY) {
				listener();
			}
		});
	}
}

/** The two key commands; the server reconnects through onDidChange. */
export function serverKeyHandlers(key: ServerApiKey): Pick<CommandHandlers, 'glassbox.setServerApiKey' | 'glassbox.clearServerApiKey'> {
	return {
		'glassbox.setServerApiKey': async () => {
			const value = await vscode.window.showInputBox({
				title: 'Glassbox: Set Server API Key',
				prompt: 'The key of the inference server in glassbox.serverUrl. It is kept in VS Code\'s secret storage and sent only to that server, as "Authorization: Bearer".',
				password: true,
				ignoreFocusOut: true,
				validateInput: (v) => (v.trim() === '' ? 'Enter the key, or use "Glassbox: Clear Server API Key" to remove it.' : /\s/.test(v.trim()) ? 'An API key has no spaces.' : undefined),
			});
			if (value === undefined) {
				return;
			}
			await key.set(value.trim());
			void vscode.window.showInformationMessage('Glassbox: the server API key is stored.');
		},
		'glassbox.clearServerApiKey': async () => {
			await key.clear();
			void vscode.window.showInformationMessage('Glassbox: the server API key is removed.');
		},
	};
}
