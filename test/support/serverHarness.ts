/**
 * Starts the built language server (dist/server/server.js) as a child process
 * and talks to it over stdio with a real LSP connection, the way any LSP
 * client would. Used by the server tests, the benchmark and fixture recorders.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
	CancellationTokenSource,
	ConfigurationRequest,
	createProtocolConnection,
	DidChangeConfigurationNotification,
	DidChangeTextDocumentNotification,
	DidOpenTextDocumentNotification,
	InitializedNotification,
	InitializeRequest,
	InlineCompletionRequest,
	InlineCompletionTriggerKind,
	LogMessageNotification,
	RegistrationRequest,
	StreamMessageReader,
	StreamMessageWriter,
	type InlineCompletionContext,
	type InlineCompletionList,
	type Position,
	type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import type { GenerationKind } from '../../protocol/generation';
import {
	CompletionsIdleRequest,
	ConfirmDownloadRequest,
	EngineStatsRequest,
	GenerationEventNotification,
	HoldGenerationRequest,
	ModelStatusNotification,
	ReconnectServerNotification,
	ReleaseGenerationRequest,
	ServerApiKeyRequest,
	type EngineStats,
	type GenerationEventParams,
	type GenerationStats,
	type ModelStatus,
} from '../../protocol/lsp';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const SERVER_BUNDLE = path.join(REPO_ROOT, 'dist', 'server', 'server.js');

export interface HarnessOptions {
	/** The `glassbox` settings section the client reports (raw, as a user would write it). */
	settings?: Record<string, unknown>;
	extensionPath?: string;
	/** Variables added to the server's environment (HF_ENDPOINT for the download tests). */
	env?: Record<string, string>;
	/** The server's storage (hub cache); kept on dispose when given. Default: a new temporary folder, removed on dispose. */
	storagePath?: string;
	/** The answer to the server's download confirmation (default: decline). */
	confirmDownload?: boolean;
	/** The inference server's API key the client gives (VS Code's SecretStorage in the extension); default none. */
	apiKey?: string | null;
}

export class ServerHarness {
	readonly statuses: ModelStatus[] = [];
	readonly logs: string[] = [];
	private settings: Record<string, unknown>;
	private versions = new Map<string, number>();
	private statusWaiters: (() => void)[] = [];
	private configurationWaiters: (() => void)[] = [];
	private eventWaiters: ((event: GenerationEventParams) => void)[] = [];
	readonly storagePath: string;
	/** Set when the server process ended. */
	exited = false;
	/** Models the server asked to download. */
	readonly confirmations: string[] = [];
	/** What the client answers to ServerApiKeyRequest; change it, then reconnectServer(). */
	apiKey: string | null = null;
	/** How often the server asked for the API key. */
	apiKeyRequests = 0;
	private ownsStorage = true;

	private constructor(
		readonly child: ChildProcessWithoutNullStreams,
		readonly connection: ProtocolConnection,
		settings: Record<string, unknown>,
		storagePath: string,
	) {
		this.settings = settings;
		this.storagePath = storagePath;
	}

	static async start(options: HarnessOptions = {}): Promise<ServerHarness> {
		if (!fs.existsSync(SERVER_BUNDLE)) {
			throw new Error(`${SERVER_BUNDLE} is missing: run \`node esbuild.js\` first.`);
		}
		const storagePath = options.storagePath ?? fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-test-'));
		const child = spawn(process.execPath, [...(process.env.GLASSBOX_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), SERVER_BUNDLE, '--stdio'], {
			stdio: 'pipe',
			env: { ...process.env, ...options.env },
		});
		const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
		const harness = new ServerHarness(child, connection, options.settings ?? {}, storagePath);
		harness.ownsStorage = options.storagePath === undefined;
		harness.apiKey = options.apiKey ?? null;
		child.stderr.on('data', (d: Buffer) => harness.logs.push(d.toString()));
		child.on('exit', (code, signal) => {
			harness.exited = true;
			harness.logs.push(`server exited: code ${code}, signal ${signal}`);
			harness.statusWaiters.splice(0).forEach((w) => w());
		});
		connection.onRequest(ConfigurationRequest.type, (params) => {
			setImmediate(() => harness.configurationWaiters.splice(0).forEach((w) => w()));
			return params.items.map((item) => (item.section === 'glassbox' ? harness.settings : null));
		});
		connection.onRequest(RegistrationRequest.type, () => undefined);
		connection.onRequest(ServerApiKeyRequest, () => {
			harness.apiKeyRequests++;
			return harness.apiKey;
		});
		connection.onRequest(ConfirmDownloadRequest, (params) => {
			harness.confirmations.push(params.model);
			return options.confirmDownload === true;
		});
		connection.onNotification(LogMessageNotification.type, (m) => {
			harness.logs.push(m.message);
		});
		connection.onNotification(GenerationEventNotification, (event) => {
			harness.eventWaiters.slice().forEach((w) => w(event));
		});
		connection.onNotification(ModelStatusNotification, (s) => {
			harness.statuses.push(s);
			harness.statusWaiters.splice(0).forEach((w) => w());
		});
		connection.listen();
		await connection.sendRequest(InitializeRequest.type, {
			processId: process.pid,
			rootUri: null,
			capabilities: {
				workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
				textDocument: { inlineCompletion: { dynamicRegistration: false } },
			},
			initializationOptions: { extensionPath: options.extensionPath ?? REPO_ROOT, storagePath, testHooks: true },
		});
		await connection.sendNotification(InitializedNotification.type, {});
		return harness;
	}

	get lastStatus(): ModelStatus | undefined {
		return this.statuses[this.statuses.length - 1];
	}

	/**
	 * Wait until the model reports one of `states` (after loading: 'ready' or
	 * 'error'). With `after`, only statuses reported after that many count.
	 */
	async waitForState(states: ModelStatus['state'][], after = 0, timeoutMs = 30_000): Promise<ModelStatus> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const s = this.statuses.length > after ? this.lastStatus : undefined;
			if (s && states.includes(s.state)) {
				return s;
			}
			if (Date.now() > deadline || this.exited) {
				throw new Error(`Timed out waiting for model state ${states.join('/')}; last: ${JSON.stringify(s)}\n${this.logs.join('\n')}`);
			}
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, 250);
				this.statusWaiters.push(() => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
	}

	async open(uri: string, languageId: string, text: string): Promise<void> {
		this.versions.set(uri, 1);
		await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
			textDocument: { uri, languageId, version: 1, text },
		});
	}

	async replace(uri: string, text: string): Promise<void> {
		const version = (this.versions.get(uri) ?? 0) + 1;
		this.versions.set(uri, version);
		await this.connection.sendNotification(DidChangeTextDocumentNotification.type, {
			textDocument: { uri, version },
			contentChanges: [{ text }],
		});
	}

	/** An inline completion request; `context` overrides the automatic trigger (Invoked, a selected suggest item). */
	complete(
		uri: string,
		position: Position,
		token = new CancellationTokenSource().token,
		context: Partial<InlineCompletionContext> = {},
	): Promise<InlineCompletionList | null> {
		return this.connection.sendRequest(
			InlineCompletionRequest.type,
			{ textDocument: { uri }, position, context: { triggerKind: InlineCompletionTriggerKind.Automatic, ...context } },
			token,
		) as Promise<InlineCompletionList | null>;
	}

	/**
	 * Start a request whose generation the server holds before model step `step`
	 * (test hooks), and resolve once it is held, with the request still pending.
	 * Fails at once when the request settles first (its generation ended before
	 * that step, or none ran), and after `timeoutMs` otherwise.
	 */
	async holdDuring<T>(step: number, kind: GenerationKind, start: () => Promise<T>, timeoutMs = 10_000): Promise<{ pending: Promise<T> }> {
		await this.connection.sendRequest(HoldGenerationRequest, { step, kind });
		const stop = new AbortController();
		const held = this.nextEvent('held', timeoutMs, `a ${kind} generation held before step ${step}`, stop.signal);
		const pending = start();
		const settledFirst = pending.then(
			(value) => {
				throw new Error(`The request answered before its generation reached step ${step}: ${JSON.stringify(value)?.slice(0, 300)}`);
			},
			(e: unknown) => {
				throw new Error(`The request failed before its generation reached step ${step}: ${String(e)}`);
			},
		);
		try {
			await Promise.race([held, settledFirst]);
		} finally {
			stop.abort();
			settledFirst.catch(() => undefined);
		}
		return { pending };
	}

	/** The next test-hook event of this kind; rejects after `timeoutMs`, or quietly never settles once `signal` aborts. */
	nextEvent(event: GenerationEventParams['event'], timeoutMs: number, what: string, signal?: AbortSignal): Promise<GenerationEventParams> {
		return new Promise((resolve, reject) => {
			const waiter = (e: GenerationEventParams) => {
				if (e.event === event) {
					done();
					resolve(e);
				}
			};
			const timer = setTimeout(() => {
				done();
				reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.\n${this.logs.slice(-20).join('\n')}`));
			}, timeoutMs);
			const done = () => {
				clearTimeout(timer);
				signal?.removeEventListener('abort', done);
				this.eventWaiters = this.eventWaiters.filter((w) => w !== waiter);
			};
			signal?.addEventListener('abort', done);
			this.eventWaiters.push(waiter);
		});
	}

	/** Let the held generation go on (false when none is held). */
	release(): Promise<boolean> {
		return this.connection.sendRequest(ReleaseGenerationRequest);
	}

	/**
	 * The inline-completion generations (kind 'completion') the server ran since `before` was read,
	 * newest first, once it is idle: prefetches and other kinds left out. At most the 20 the counters keep.
	 */
	async completionsSince(before: EngineStats): Promise<GenerationStats[]> {
		await this.idle();
		const after = await this.stats();
		return after.recent.slice(0, after.generations - before.generations).filter((g) => g.kind === 'completion');
	}

	/** Resolves once no completion generation runs or is about to start (the prefetch that follows an answer included). */
	idle(): Promise<void> {
		return this.connection.sendRequest(CompletionsIdleRequest);
	}

	stats(): Promise<EngineStats> {
		return this.connection.sendRequest(EngineStatsRequest);
	}

	/** Tell the server to connect to its inference server again (as the key commands and Retry do); returns the status count before. */
	async reconnectServer(): Promise<number> {
		const count = this.statuses.length;
		await this.connection.sendNotification(ReconnectServerNotification, {});
		return count;
	}

	/** Change the settings the client reports and tell the server (returns the status count before). */
	async setSettings(settings: Record<string, unknown>): Promise<number> {
		const count = this.statuses.length;
		this.settings = settings;
		// Resolve once the server has pulled the new settings, so the next request sees them.
		const pulled = new Promise<void>((resolve) => {
			const timer = setTimeout(resolve, 5000);
			this.configurationWaiters.push(() => {
				clearTimeout(timer);
				resolve();
			});
		});
		await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
		await pulled;
		return count;
	}

	async dispose(): Promise<void> {
		try {
			await Promise.race([this.connection.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
			await this.connection.sendNotification('exit');
		} catch {
			// already gone
		}
		// Let the server exit by itself (it writes profiles and logs on exit); kill it if it does not.
		if (!this.exited) {
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, 2000);
				this.child.once('exit', () => {
					clearTimeout(timer);
					resolve();
				});
			});
		}
		this.connection.dispose();
		this.child.kill();
		if (this.ownsStorage) {
			fs.rmSync(this.storagePath, { recursive: true, force: true });
		}
	}
}

/** Text of the first completion item, or '' when there is none. */
export function firstItemText(list: InlineCompletionList | null): string {
	const item = list?.items[0];
	if (!item) {
		return '';
	}
	return typeof item.insertText === 'string' ? item.insertText : item.insertText.value;
}
