/**
 * Entry point: wires the pieces together. Everything registered goes into
 * context.subscriptions; the language server's own lifetime is handled by
 * ServerConnection (restarts keep the extension's registrations).
 */
import * as vscode from 'vscode';
import { COMMAND_IDS, type CommandHandlers } from './commandIds';
import { textCommandHandlers } from './commands/textCommands';
import { CompletionGate } from './completionGate';
import { Config } from './config';
import { docCommentHandlers } from './docComment/command';
import { Syntax, wasmFolder } from './docComment/syntax';
import { ServerConnection } from './languageClient';
import { menuCommandHandlers } from './menuCommands';
import { registerInspector } from './panel/inspectorView';
import { ServerApiKey, serverKeyHandlers } from './serverKey';
import { StatusBar } from './statusBar';

let server: ServerConnection | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
	const log = vscode.window.createOutputChannel('Glassbox', { log: true });
	context.subscriptions.push(log);
	const started = Date.now();

	const config = new Config();
	const gate = new CompletionGate(config, context.globalState);
	const apiKey = new ServerApiKey(context.secrets);
	server = new ServerConnection(context, gate, config, log, apiKey);
	const connection = server;
	context.subscriptions.push(apiKey.onDidChange(() => connection.reconnectServer()));
	gate.useStats(() => connection.stats());
	context.subscriptions.push(gate, server, new StatusBar(server, gate, config));

	// Restricted Mode: say which workspace values of the restricted settings are ignored, now and after each change.
	const reported = new Set<string>();
	const reportIgnored = () => void config.reportIgnoredValues(log, reported).catch((e: unknown) => log.warn(`Reading the workspace settings failed: ${String(e)}`));
	context.subscriptions.push(config.onDidChange(reportIgnored));
	reportIgnored();

	const inspector = registerInspector(context, server, log);
	// Grammars load on the first Generate Documentation Comment, from the extension's own files.
	const syntax = new Syntax(wasmFolder(context.extensionPath));
	context.subscriptions.push(syntax);
	registerCommands(context, log, {
		...textCommandHandlers(server, inspector, log),
		...docCommentHandlers(server, inspector, syntax, log),
		...menuCommandHandlers(server, gate, config),
		...serverKeyHandlers(apiKey),
		'glassbox.openInspector': () => inspector.open(),
		'glassbox.inspectLastSuggestion': () => inspector.inspectLastSuggestion(),
	});

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

/** Registers every command in one loop; a failure is logged and shown, never lost. */
function registerCommands(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, handlers: CommandHandlers): void {
	for (const id of COMMAND_IDS) {
		const run = handlers[id];
		context.subscriptions.push(
			vscode.commands.registerCommand(id, async () => {
				try {
					await run();
				} catch (e) {
					log.error(`${id} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
					void vscode.window.showErrorMessage(`Glassbox: ${e instanceof Error ? e.message : String(e)}`);
				}
			}),
		);
	}
}

export async function deactivate(): Promise<void> {
	await server?.dispose();
	server = undefined;
}
