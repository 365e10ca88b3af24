/**
 * The language client's life: start the server process, restart it when it
 * dies (a few times, then ask), forward inline completion requests through
 * the completion gate, and offer the custom requests to the rest of the
 * extension as a GenerationBackend that survives restarts.
 */
import { randomUUID } from 'crypto';
import * as vscode from 'vscode';
import {
	CloseAction,
	DidChangeConfigurationNotification,
	ErrorAction,
	LanguageClient,
	State,
	TransportKind,
	type CloseHandlerResult,
	type ErrorHandler,
	type ErrorHandlerResult,
	type LanguageClientOptions,
	type ServerOptions,
} from 'vscode-languageclient/node';
import type { AttentionLayerData, GenerationRecord, SamplingOptions } from '../../protocol/generation';
import {
	AttentionRequest,
	ConfirmDownloadRequest,
	EngineStatsRequest,
	GenerateRequest,
	GenerationProgress,
	LastCompletionRequest,
	ModelStatusNotification,
	ReconnectServerNotification,
	ServerApiKeyRequest,
	TextTaskRequest,
	type EngineStats,
	type ModelStatus,
	type TextTaskInput,
	type TextTaskResult,
} from '../../protocol/lsp';
import type { GenerationBackend, StepListener } from './backend';
import type { CompletionGate } from './completionGate';
import type { Config } from './config';
import type { ServerApiKey } from './serverKey';

/** Restarts allowed within RESTART_WINDOW_MS before we stop and ask the user. */
const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

export type ConnectionState = 'starting' | 'running' | 'restarting' | 'stopped';

export class ServerConnection implements GenerationBackend, vscode.Disposable {
	private client: LanguageClient | undefined;
	private statusValue: ModelStatus | undefined;
	private readonly statusEmitter = new vscode.EventEmitter<ModelStatus>();
	readonly onDidChangeStatus = this.statusEmitter.event;
	private readonly stateEmitter = new vscode.EventEmitter<ConnectionState>();
	readonly onDidChangeState = this.stateEmitter.event;
	private connectionState: ConnectionState = 'stopped';
	private readonly restarts: number[] = [];
	/** Disposed with the client (per server life), unlike the extension's subscriptions. */
	private clientDisposables: vscode.Disposable[] = [];

	constructor(
		private readonly context: vscode.ExtensionContext,
		private readonly gate: CompletionGate,
		private readonly config: Config,
		readonly log: vscode.LogOutputChannel,
		private readonly apiKey: ServerApiKey,
	) {}

	get status(): ModelStatus | undefined {
		return this.statusValue;
	}

	get state(): ConnectionState {
		return this.connectionState;
	}

	async start(): Promise<void> {
		const module = vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'server', 'server.js').fsPath;
		const serverOptions: ServerOptions = {
			run: { module, transport: TransportKind.stdio },
			debug: { module, transport: TransportKind.stdio, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
		};
		const clientOptions: LanguageClientOptions = {
			// Notebook cells too: the server gets the notebooks themselves, so a cell's completion sees the cells around it.
			documentSelector: [{ scheme: 'file' }, { scheme: 'untitled' }, { scheme: 'vscode-notebook-cell' }],
			outputChannel: this.log,
			initializationOptions: {
				extensionPath: this.context.extensionPath,
				storagePath: this.context.globalStorageUri.fsPath,
			},
			errorHandler: this.errorHandler(),
			middleware: {
				workspace: {
					// No workspace chooses a restricted setting (model, device, downloads) unless trusted, in whatever form it is written.
					configuration: async (params, token, next) => {
						const values = await next(params, token);
						return Array.isArray(values) ? values.map((value, i) => this.config.forServer(params.items[i]?.section, value)) : values;
					},
				},
				provideInlineCompletionItems: async (document, position, context, token, next) => {
					if (this.gate.blockedReason(document) !== undefined || this.statusValue?.state === 'error') {
						return null;
					}
					const explicit = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
					if (!(await this.gate.debounce(token, explicit))) {
						return null;
					}
					try {
						const answer = await next(document, position, context, token);
						if (!token.isCancellationRequested) {
							this.gate.answered();
						}
						return answer;
					} catch (e) {
						// A failed completion must not interrupt typing; the log has the detail.
						if (!token.isCancellationRequested) {
							this.log.warn(`Inline completion failed: ${e instanceof Error ? e.message : String(e)}`);
						}
						return null;
					}
				},
			},
		};
		const client = new LanguageClient('glassbox', 'Glassbox Language Server', serverOptions, clientOptions);
		this.client = client;
		this.clientDisposables.push(
			client.onDidChangeState((e) => {
				if (e.newState === State.Running) {
					this.setState('running');
				} else if (e.newState === State.Starting) {
					this.setState(this.connectionState === 'stopped' ? 'starting' : 'restarting');
				} else {
					this.setState('stopped');
				}
			}),
			// Trust can let restricted workspace values apply without VS Code reporting a settings change.
			vscode.workspace.onDidGrantWorkspaceTrust(() => void client.sendNotification(DidChangeConfigurationNotification.type, { settings: null })),
			client.onNotification(ModelStatusNotification, (status) => {
				this.statusValue = status;
				this.statusEmitter.fire(status);
			}),
			// The key goes from SecretStorage to the server process only; it is never logged.
			client.onRequest(ServerApiKeyRequest, () => this.apiKey.get()),
			client.onRequest(ConfirmDownloadRequest, async ({ model, host }) => {
				const download = 'Download';
				const answer = await vscode.window.showWarningMessage(
					`Download ${model} from ${host ?? 'huggingface.co'}? It can be hundreds of megabytes; it is stored in the extension's storage and used offline afterwards.`,
					{ modal: true },
					download,
				);
				return answer === download;
			}),
		);
		this.setState('starting');
		await client.start();
	}

	private errorHandler(): ErrorHandler {
		return {
			error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue, handled: true }),
			closed: (): CloseHandlerResult => {
				const now = Date.now();
				this.restarts.push(now);
				while (this.restarts.length > 0 && now - this.restarts[0] > RESTART_WINDOW_MS) {
					this.restarts.shift();
				}
				if (this.restarts.length > MAX_RESTARTS) {
					void this.offerRestart();
					return { action: CloseAction.DoNotRestart, handled: true };
				}
				this.log.warn(`The language server stopped unexpectedly; restarting it (${this.restarts.length} in the last 3 minutes).`);
				this.setState('restarting');
				return { action: CloseAction.Restart, handled: true };
			},
		};
	}

	private async offerRestart(): Promise<void> {
		this.setState('stopped');
		const restart = 'Restart';
		const log = 'Show Log';
		const answer = await vscode.window.showErrorMessage(
			`The Glassbox language server stopped ${MAX_RESTARTS + 1} times in 3 minutes and was not restarted again.`,
			restart,
			log,
		);
		if (answer === restart) {
			this.restarts.length = 0;
			await this.restart();
		} else if (answer === log) {
			this.log.show();
		}
	}

	async restart(): Promise<void> {
		if (!this.client) {
			return this.start();
		}
		this.setState('restarting');
		await this.client.restart();
	}

	/** Ask the server to connect to the inference server again now (a new API key, or Retry). */
	reconnectServer(): void {
		if (this.client?.isRunning()) {
			void this.client.sendNotification(ReconnectServerNotification, {});
		}
	}

	private setState(state: ConnectionState): void {
		if (state !== this.connectionState) {
			this.connectionState = state;
			this.stateEmitter.fire(state);
		}
	}

	private running(): LanguageClient {
		if (!this.client || !this.client.isRunning()) {
			throw new Error('The Glassbox language server is not running. Run "Glassbox: Restart Language Server".');
		}
		return this.client;
	}

	/** Send a streaming request: progress chunks go to onSteps until the result arrives. */
	private async streamed<R>(send: (client: LanguageClient, partialResultToken: string) => Promise<R>, onSteps: StepListener): Promise<R> {
		const client = this.running();
		const partialResultToken = randomUUID();
		const subscription = client.onProgress(GenerationProgress, partialResultToken, (chunk) => onSteps(chunk.steps));
		try {
			return await send(client, partialResultToken);
		} finally {
			subscription.dispose();
		}
	}

	generate(prompt: string, sampling: SamplingOptions, onSteps: StepListener, token: vscode.CancellationToken): Promise<GenerationRecord> {
		return this.streamed((c, partialResultToken) => c.sendRequest(GenerateRequest, { prompt, sampling, partialResultToken }, token), onSteps);
	}

	runTask(input: TextTaskInput, onSteps: StepListener, token: vscode.CancellationToken): Promise<TextTaskResult> {
		return this.streamed((c, partialResultToken) => c.sendRequest(TextTaskRequest, { ...input, partialResultToken }, token), onSteps);
	}

	attention(generationId: string, layer: number): Promise<AttentionLayerData> {
		return this.running().sendRequest(AttentionRequest, { generationId, layer });
	}

	lastCompletion(): Promise<GenerationRecord | null> {
		return this.running().sendRequest(LastCompletionRequest);
	}

	stats(): Promise<EngineStats> {
		return this.running().sendRequest(EngineStatsRequest);
	}

	async dispose(): Promise<void> {
		this.clientDisposables.forEach((d) => d.dispose());
		this.clientDisposables = [];
		const client = this.client;
		this.client = undefined;
		if (client) {
			await client.stop().catch(() => undefined);
		}
		this.statusEmitter.dispose();
		this.stateEmitter.dispose();
	}
}
