/**
 * The status bar item: the model's state at a glance (loading, ready,
 * generating, error; an inference server that does not answer), which
 * inference server and model answer and how fast, whether completions are off
 * or snoozed, the last completion's timing in the tooltip, and a click that
 * opens the Glassbox menu.
 */
import * as vscode from 'vscode';
import type { ModelStatus } from '../../protocol/lsp';
import type { CompletionGate } from './completionGate';
import { describeCompletion } from './completionTiming';
import type { Config } from './config';
import type { ServerConnection } from './languageClient';

const TOKENIZED_BY: Record<NonNullable<ModelStatus['server']>['tokenizer'], string> = {
	server: 'by the server',
	local: 'by the local tokenizer of the same model',
	estimate: 'by an estimate (no local tokenizer for this model)',
	'': '',
};

export class StatusBar implements vscode.Disposable {
	private readonly item: vscode.StatusBarItem;
	private readonly disposables: vscode.Disposable[] = [];
	private lastErrorShown: string | undefined;

	constructor(
		private readonly server: ServerConnection,
		private readonly gate: CompletionGate,
		private readonly config: Config,
	) {
		this.item = vscode.window.createStatusBarItem('glassbox.status', vscode.StatusBarAlignment.Right, 100);
		this.item.name = 'Glassbox';
		this.item.command = 'glassbox.showMenu';
		this.disposables.push(
			this.item,
			server.onDidChangeStatus((s) => {
				this.render();
				this.reportError(s);
			}),
			server.onDidChangeState(() => this.render()),
			gate.onDidChange(() => this.render()),
			config.onDidChange(() => this.render()),
			vscode.window.onDidChangeActiveTextEditor(() => this.render()),
		);
		this.render();
		this.item.show();
	}

	render(): void {
		const status = this.server.status;
		const connection = this.server.state;
		const editor = vscode.window.activeTextEditor;
		const blocked = editor ? this.gate.blockedReason(editor.document) : this.config.completionsEnabled ? undefined : 'off';
		this.item.backgroundColor = undefined;

		let icon: string;
		let detail: string;
		if (connection === 'starting' || connection === 'restarting') {
			icon = '$(loading~spin)';
			detail = connection === 'starting' ? 'Starting the language server…' : 'Restarting the language server…';
		} else if (connection === 'stopped') {
			icon = '$(debug-disconnect)';
			detail = 'The language server is not running. Click for options.';
			this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
		} else if (!status || status.state === 'loading') {
			icon = '$(loading~spin)';
			detail = `Loading ${status?.label || 'the model'}…`;
		} else if (status.state === 'downloading') {
			icon = '$(cloud-download)';
			detail = `Downloading ${status.label}: ${Math.round((status.progress ?? 0) * 100)}%`;
		} else if (status.state === 'error') {
			icon = '$(error)';
			detail = `Model error: ${status.message ?? 'unknown'}`;
			this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
		} else if (status.state === 'unavailable') {
			icon = '$(warning)';
			detail = `${status.message ?? 'The inference server does not answer.'} Completions come back when it does.`;
			this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
		} else if (status.state === 'generating') {
			icon = '$(loading~spin)';
			detail = `${status.label} is generating…`;
		} else {
			icon = blocked ? '$(circle-slash)' : '$(sparkle)';
			detail = `${status.label} is ready`;
		}
		const snooze = this.gate.snoozeRemaining;
		let text = `${icon} Glassbox`;
		const server = status?.server;
		if (server && connection === 'running' && status.state !== 'loading') {
			// Which server and model answer, and the last completion's time.
			const last = this.gate.lastCompletion;
			const latency = last && status.state !== 'unavailable' ? ` ${Math.round(last.elapsedMs)} ms` : '';
			text = `${icon} ${server.model || status.label} (${server.kind})${latency}`;
		}
		if (snooze > 0 && connection === 'running' && status?.state !== 'error') {
			text = `$(clock) Glassbox ${Math.ceil(snooze / 60_000)}m`;
		}
		this.item.text = text;
		this.item.tooltip = this.tooltip(detail, status, blocked);
		this.item.accessibilityInformation = { label: `Glassbox: ${detail}${blocked ? `. ${blocked}` : ''}` };
	}

	private tooltip(detail: string, status: ModelStatus | undefined, blocked: string | undefined): vscode.MarkdownString {
		const md = new vscode.MarkdownString(undefined, true);
		md.isTrusted = false;
		md.appendText(detail);
		if (status?.server) {
			md.appendMarkdown('\n\n');
			md.appendText(`${status.server.model || status.label} on the ${status.device} at ${status.server.origin}`);
		}
		if (status && status.state !== 'error' && status.contextLength > 0) {
			md.appendMarkdown('\n\n');
			const tokens = status.server ? ` · prompts tokenized ${TOKENIZED_BY[status.server.tokenizer]}` : '';
			md.appendText(
				`${status.server ? '' : `${status.device} · ${status.dtype} · `}context ${status.contextLength} tokens · ` +
					`fill-in-the-middle ${status.fim ? 'yes' : 'no'}${tokens} · attention ${status.server ? 'not returned by servers' : status.hasAttention ? 'yes' : 'no'}`,
			);
		}
		// Ready: a device fallback or a server's limits; downloading: the file and megabytes so far.
		if ((status?.state === 'ready' || status?.state === 'downloading') && status.message) {
			md.appendMarkdown('\n\n');
			md.appendText(status.message);
		}
		const last = this.gate.lastCompletion;
		if (last && status && status.state !== 'error' && status.state !== 'unavailable') {
			md.appendMarkdown('\n\n');
			md.appendText(describeCompletion(last));
		}
		if (blocked) {
			md.appendMarkdown('\n\n');
			md.appendText(blocked);
		}
		md.appendMarkdown('\n\nClick for the Glassbox menu.');
		return md;
	}

	/** One notification per distinct error, with the two actions that fix most of them. */
	private reportError(status: ModelStatus): void {
		if (status.state !== 'error' && status.state !== 'unavailable') {
			this.lastErrorShown = undefined;
			return;
		}
		if (status.message === this.lastErrorShown) {
			return;
		}
		this.lastErrorShown = status.message;
		if (status.state === 'unavailable') {
			this.reportServerProblem(status.message ?? 'The inference server does not answer.');
			return;
		}
		const choose = 'Choose Model…';
		const log = 'Show Log';
		// A failed download or load is tried again by a fresh server (it keeps the files that are complete).
		const retry = 'Retry';
		void vscode.window.showErrorMessage(`Glassbox: ${status.message ?? 'the model could not be loaded.'}`, retry, choose, log).then((answer) => {
			if (answer === retry) {
				void vscode.commands.executeCommand('glassbox.restartServer');
			} else if (answer === choose) {
				void vscode.commands.executeCommand('glassbox.selectModel');
			} else if (answer === log) {
				this.server.log.show();
			}
		});
	}

	/** An inference server that failed: Retry connects again now (completions also retry by themselves). */
	private reportServerProblem(message: string): void {
		const retry = 'Retry';
		const key = 'Set API Key';
		const log = 'Show Log';
		const actions = /API key/i.test(message) ? [retry, key, log] : [retry, log];
		void vscode.window.showWarningMessage(`Glassbox: ${message}`, ...actions).then((answer) => {
			if (answer === retry) {
				this.server.reconnectServer();
			} else if (answer === key) {
				void vscode.commands.executeCommand('glassbox.setServerApiKey');
			} else if (answer === log) {
				this.server.log.show();
			}
		});
	}

	dispose(): void {
		this.disposables.forEach((d) => d.dispose());
	}
}
