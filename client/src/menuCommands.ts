/**
 * The commands behind the status bar menu: turn completions on or off
 * (globally or for the current language), snooze, choose the model, connect
 * to the inference server again, restart the server, show the log.
 */
import * as vscode from 'vscode';
import registryJson from '../../models/registry.json';
import { EMBEDDED_MODEL } from '../../protocol/settings';
import type { CommandHandlers } from './commandIds';
import type { CompletionGate } from './completionGate';
import type { Config } from './config';
import type { ServerConnection } from './languageClient';

interface RegistryModel {
	id: string;
	label: string;
	description: string;
}
const knownModels = (registryJson as unknown as { models: RegistryModel[] }).models;

type MenuItem = vscode.QuickPickItem & { run?: () => unknown };

/** Where downloads come from: the language server inherits this process's HF_ENDPOINT (a hub mirror). */
function hubHost(): string {
	try {
		return process.env.HF_ENDPOINT ? new URL(process.env.HF_ENDPOINT).host : 'huggingface.co';
	} catch {
		return 'huggingface.co';
	}
}

type MenuCommandId =
	| 'glassbox.showMenu'
	| 'glassbox.toggleCompletions'
	| 'glassbox.toggleLanguage'
	| 'glassbox.snooze'
	| 'glassbox.cancelSnooze'
	| 'glassbox.selectModel'
	| 'glassbox.restartServer'
	| 'glassbox.showLog';

/** The handlers of the status menu and its entries (registered with the others in extension.ts). */
export function menuCommandHandlers(server: ServerConnection, gate: CompletionGate, config: Config): Pick<CommandHandlers, MenuCommandId> {
	const currentLanguage = () => vscode.window.activeTextEditor?.document.languageId;

	const toggleCompletions = () => config.setCompletionsEnabled(!config.completionsEnabled);
	const toggleLanguage = async () => {
		const languageId = currentLanguage();
		if (!languageId) {
			void vscode.window.showInformationMessage('Open a file to turn completions on or off for its language.');
			return;
		}
		await config.setLanguageEnabled(languageId, !config.isLanguageEnabled(languageId));
	};

	const selectModel = async () => {
		const current = config.settings.model;
		const items: (vscode.QuickPickItem & { value?: string; folder?: boolean; hub?: boolean })[] = knownModels.map((m) => ({
			label: `${m.id === current ? '$(check) ' : ''}${m.label}`,
			description: m.id === EMBEDDED_MODEL ? 'offline' : m.id,
			detail: m.description,
			value: m.id,
		}));
		items.push(
			{ label: '$(cloud-download) Hugging Face Model…', detail: 'Any hub repository with ONNX weights for transformers.js, by its id (owner/name).', hub: true },
			{ label: '$(folder) Local model folder…', detail: 'A folder in the transformers.js layout (config.json, tokenizer files, onnx/model.onnx).', folder: true },
		);
		const pick = await vscode.window.showQuickPick(items, { title: 'Glassbox: Choose Model', placeHolder: `Current: ${current}` });
		if (!pick) {
			return;
		}
		let value = pick.value;
		if (pick.folder) {
			const folder = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use This Model' });
			value = folder?.[0]?.fsPath;
		} else if (pick.hub) {
			value = (
				await vscode.window.showInputBox({
					title: 'Glassbox: Hugging Face Model',
					prompt: 'The repository id, such as onnx-community/Qwen2.5-Coder-0.5B-Instruct',
					validateInput: (v) => (/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(v.trim()) ? undefined : 'An id looks like owner/name.'),
				})
			)?.trim();
		}
		if (!value) {
			return;
		}
		if (value !== EMBEDDED_MODEL && !pick.folder && !config.settings.allowDownloads) {
			const allow = 'Allow Download';
			const answer = await vscode.window.showWarningMessage(
				`${value} is downloaded from ${hubHost()} the first time it is used (you are asked again before it starts). Nothing else leaves your machine.`,
				{ modal: true },
				allow,
			);
			if (answer !== allow) {
				return;
			}
			await config.setAllowDownloads(true);
		}
		await config.setModel(value);
	};

	const showMenu = async () => {
		const languageId = currentLanguage();
		const snoozed = gate.snoozeRemaining > 0;
		const status = server.status;
		const items: MenuItem[] = [
			{ label: 'Model', kind: vscode.QuickPickItemKind.Separator },
			{
				label: `$(${status?.server ? 'cloud' : 'hubot'}) ${status?.label || config.settings.model}`,
				description: status ? `${status.state} · ${status.device}` : server.state,
				detail: status?.message,
				// On an inference server the model is the server's: its settings are where to change it.
				run: status?.server ? () => vscode.commands.executeCommand('workbench.action.openSettings', '@ext:glassbox.glassbox server') : selectModel,
			},
			{ label: 'Completions', kind: vscode.QuickPickItemKind.Separator },
			{
				label: config.completionsEnabled ? '$(circle-slash) Disable Inline Completions' : '$(check) Enable Inline Completions',
				run: toggleCompletions,
			},
		];
		if (languageId) {
			const on = config.isLanguageEnabled(languageId);
			items.push({ label: `${on ? '$(circle-slash) Disable' : '$(check) Enable'} Completions for ${languageId}`, run: toggleLanguage });
		}
		items.push(
			snoozed
				? { label: '$(bell) Cancel Snooze', description: `${Math.ceil(gate.snoozeRemaining / 60_000)} min left`, run: () => gate.cancelSnooze() }
				: { label: '$(clock) Snooze for 5 Minutes', run: () => gate.snooze() },
			{ label: 'Inspect', kind: vscode.QuickPickItemKind.Separator },
			{ label: '$(eye) Open Inspector', run: () => vscode.commands.executeCommand('glassbox.openInspector') },
			{ label: '$(search) Inspect Last Suggestion', run: () => vscode.commands.executeCommand('glassbox.inspectLastSuggestion') },
			{ label: 'Server', kind: vscode.QuickPickItemKind.Separator },
		);
		if (status?.server) {
			items.push(
				{ label: '$(plug) Connect to the Inference Server Again', description: status.server.origin, run: () => server.reconnectServer() },
				{ label: '$(key) Set Server API Key', run: () => vscode.commands.executeCommand('glassbox.setServerApiKey') },
			);
		}
		items.push(
			{ label: '$(debug-restart) Restart Language Server', run: () => server.restart() },
			{ label: '$(output) Show Log', run: () => server.log.show() },
			{ label: '$(gear) Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', '@ext:glassbox.glassbox') },
		);
		const pick = await vscode.window.showQuickPick(items, { title: 'Glassbox' });
		await pick?.run?.();
	};

	return {
		'glassbox.showMenu': showMenu,
		'glassbox.toggleCompletions': toggleCompletions,
		'glassbox.toggleLanguage': toggleLanguage,
		'glassbox.snooze': () => gate.snooze(),
		'glassbox.cancelSnooze': () => gate.cancelSnooze(),
		'glassbox.selectModel': selectModel,
		'glassbox.restartServer': () => server.restart(),
		'glassbox.showLog': () => server.log.show(),
	};
}
