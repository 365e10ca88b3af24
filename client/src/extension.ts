/**
 * Entry point: wires the pieces together. Everything registered goes into
 * context.subscriptions; the language server's own lifetime is handled by
 * ServerConnection (restarts keep the extension's registrations).
 */
import * as vscode from 'vscode';
import { registerTextCommands } from './commands/textCommands';
import { CompletionGate } from './completionGate';
import { Config } from './config';
import { ServerConnection } from './languageClient';
import { registerMenuCommands } from './menuCommands';
import { registerInspector } from './panel/inspectorView';
import { StatusBar } from './statusBar';

let server: ServerConnection | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
	const log = vscode.window.createOutputChannel('Glassbox', { log: true });
	context.subscriptions.push(log);
	const started = Date.now();

	const config = new Config();
	const gate = new CompletionGate(config, context.globalState);
	server = new ServerConnection(context, gate, log);
	const connection = server;
	gate.useStats(() => connection.stats());
	context.subscriptions.push(gate, server, new StatusBar(server, gate, config));

	const inspector = registerInspector(context, server, log);
	registerTextCommands(context, server, inspector, log);
	registerMenuCommands(context, server, gate, config);

	// The model loads in the server process; activation only starts it.
	void server.start().then(
		() => log.info(`Language server started ${Date.now() - started} ms after activation began.`),
		(e: unknown) => {
			log.error(`The language server did not start: ${String(e)}`);
			void vscode.window.showErrorMessage(`Glassbox: the language server did not start (${String(e)}).`, 'Show Log').then((a) => {
				if (a) {
					log.show();
				}
			});
		},
	);
	log.info(`Activated in ${Date.now() - started} ms.`);
}

export async function deactivate(): Promise<void> {
	await server?.dispose();
	server = undefined;
}
