/**
 * Owns the loaded model for the server's life: loads it lazily from the
 * settings (reloading when they change), or connects to the inference server
 * they name, reports its state to the client, runs generations one at a time
 * through the scheduler (a server's too: one request in flight), and keeps
 * recent generations and counters.
 *
 * A server that fails makes the state `unavailable` with its message (logged
 * once per change, not per keystroke); completions are empty meanwhile, and
 * every request tries the server again, so they come back by themselves.
 */
import { CancellationToken, LSPErrorCodes, ResponseError } from 'vscode-languageserver';
import type { AttentionLayerData, GenerationKind } from '../../protocol/generation';
import type { EngineStats, GenerationStats, ModelStatus } from '../../protocol/lsp';
import { AttentionCapture } from './attention';
import { ErrorCodes } from '../../protocol/lsp';
import { serverUrlOf, type GlassboxSettings } from '../../protocol/settings';
import { BackendError, SERVER_LABELS } from './backends';
import { generate, type GenerationJob, type GenerationOutcome } from './engine';
import { GenerationStore } from './generationStore';
import { loadModel, ModelLoadError, type LoadedModel, type LoadRequest, type LocalModel, type ServerRequest } from './modelLoader';
import { connectServer } from './remoteModel';
import { Scheduler, type Priority } from './scheduler';
import { ServerTokenizer } from './serverTokenizer';

export interface HostHooks {
	notifyStatus(status: ModelStatus): void;
	confirmDownload(model: string, host: string): Promise<boolean>;
	log(message: string): void;
	error(message: string): void;
	/** The test hooks' step gate (testHooks.ts); absent outside tests. */
	beforeStep?(kind: GenerationKind, step: number, token: CancellationToken): Promise<void> | undefined;
	/** The inference server's API key from the client's SecretStorage (null: none set). */
	apiKey(): Promise<string | null>;
}

function sameRequest(a: LoadRequest | undefined, b: LoadRequest): boolean {
	return (
		!!a &&
		a.model === b.model &&
		a.device === b.device &&
		a.dtype === b.dtype &&
		a.allowDownloads === b.allowDownloads &&
		JSON.stringify(a.server) === JSON.stringify(b.server)
	);
}

/** The server part of a load request, from the settings (undefined for the local backend). */
function serverRequest(settings: GlassboxSettings): ServerRequest | undefined {
	if (settings.backend === 'local') {
		return undefined;
	}
	return {
		backend: settings.backend,
		url: serverUrlOf(settings),
		model: settings.serverModel,
		family: settings.serverFamily,
		timeoutMs: settings.serverTimeoutMs,
	};
}

/** scheme://host:port of a server URL, for statuses before the server answered. */
function originOf(url: string): string {
	try {
		return new URL(url).origin;
	} catch {
		return url;
	}
}

/** Least time between two download progress statuses. */
const PROGRESS_INTERVAL_MS = 250;

/** How long a generation runs before the status says so. */
const GENERATING_NOTICE_MS = 200;

export class ModelHost {
	readonly store = new GenerationStore();
	private readonly scheduler = new Scheduler();
	/** Attention being computed after the fact, by generation id (a panel asks for several layers at once). */
	private readonly attentionRuns = new Map<string, Promise<void>>();
	private loaded: LoadedModel | undefined;
	private loading: Promise<LoadedModel | undefined> | undefined;
	private request: LoadRequest | undefined;
	private loadError: string | undefined;
	/** The last server failure reported (logged once until it changes or the server answers). */
	private serverProblem: string | undefined;
	/** Attempts to connect to a server so far; the newest wins. */
	private connectAttempts = 0;
	private statusValue: ModelStatus;
	private readonly recent: GenerationStats[] = [];
	private generations = 0;
	private cancelled = 0;

	constructor(
		private readonly extensionPath: string,
		private readonly hooks: HostHooks,
	) {
		this.statusValue = {
			state: 'loading',
			model: '',
			label: '',
			device: 'cpu',
			dtype: '',
			hasAttention: false,
			fim: false,
			contextLength: 0,
		};
	}

	get status(): ModelStatus {
		return this.statusValue;
	}

	/**
	 * The model if it is ready now (completions do not wait for a load). An inference server
	 * not reached yet is tried again, in the background, by each call.
	 */
	get ready(): LoadedModel | undefined {
		this.retryServer();
		return this.loading ? undefined : this.loaded;
	}

	/** Apply settings: (re)load when the model, device, dtype, download permission or server changed. */
	configure(settings: GlassboxSettings): Promise<LoadedModel | undefined> {
		// Parked KV caches never outlive a settings change (a new model, device or dtype also loads a new runner).
		if (this.loaded?.kind === 'local') {
			this.loaded.runner.dropParked();
		}
		const request: LoadRequest = {
			model: settings.model,
			device: settings.device,
			dtype: settings.dtype,
			allowDownloads: settings.allowDownloads,
			server: serverRequest(settings),
		};
		if (sameRequest(this.request, request) && (this.loaded || this.loading)) {
			return this.loading ?? Promise.resolve(this.loaded);
		}
		this.request = request;
		return this.track(this.load(request));
	}

	/** Connect to the inference server again now (its API key changed, or the user chose Retry). */
	reconnect(): Promise<LoadedModel | undefined> {
		const request = this.request;
		if (!request?.server) {
			return this.loading ?? Promise.resolve(this.loaded);
		}
		return this.track(this.connect(request));
	}

	/** A server not connected and not being connected to: try it again. */
	private retryServer(): void {
		if (this.request?.server && !this.loaded && !this.loading) {
			void this.track(this.connect(this.request));
		}
	}

	private track(load: Promise<LoadedModel | undefined>): Promise<LoadedModel | undefined> {
		this.loading = load;
		void load.finally(() => {
			if (this.loading === load) {
				this.loading = undefined;
			}
		});
		return load;
	}

	private async load(request: LoadRequest): Promise<LoadedModel | undefined> {
		const previous = this.loaded;
		this.loaded = undefined;
		// A generation still running on the old session must end before the session goes.
		await this.scheduler.cancelAll();
		this.store.clear();
		if (request.server) {
			if (previous?.kind === 'local') {
				await previous.runner.dispose().catch((e: unknown) => this.hooks.log(`Disposing the previous model failed: ${String(e)}`));
			}
			this.serverProblem = undefined;
			const label = `${SERVER_LABELS[request.server.backend]} at ${originOf(request.server.url)}`;
			this.setStatus({
				state: 'loading',
				model: request.model,
				label,
				device: SERVER_LABELS[request.server.backend],
				dtype: '',
				hasAttention: false,
				fim: false,
				contextLength: 0,
				server: { kind: request.server.backend, origin: originOf(request.server.url), model: request.server.model, tokenizer: '' },
			});
			return this.connect(request);
		}
		this.setStatus({ state: 'loading', model: request.model, label: request.model, device: request.device, dtype: request.dtype, hasAttention: false, fim: false, contextLength: 0 });
		const started = performance.now();
		let lastProgress = 0;
		let latest: ModelStatus | undefined;
		let progressTimer: NodeJS.Timeout | undefined;
		const showProgress = () => {
			clearTimeout(progressTimer);
			progressTimer = undefined;
			lastProgress = Date.now();
			if (latest && this.request === request && this.statusValue.state !== 'error' && this.statusValue.state !== 'ready') {
				this.setStatus(latest);
			}
			latest = undefined;
		};
		try {
			if (previous?.kind === 'local') {
				await previous.runner.dispose();
			}
		} catch (e) {
			this.hooks.log(`Disposing the previous model failed: ${String(e)}`);
		}
		try {
			const loaded = await loadModel(request, this.extensionPath, {
				confirmDownload: (m, host) => this.hooks.confirmDownload(m, host),
				onDownloadProgress: (progress, file, loaded, total) => {
					// Progress arrives per network chunk; a few updates a second are plenty. The latest one
					// is still shown when the chunks stop (a stalled connection must not show an old figure).
					const mb = (n: number) => (n / 1e6).toFixed(1);
					latest = { ...this.statusValue, state: 'downloading', progress, message: `Downloading ${file} (${mb(loaded)} of ${mb(total)} MB)` };
					const wait = PROGRESS_INTERVAL_MS - (Date.now() - lastProgress);
					if (wait <= 0 || progress >= 1) {
						showProgress();
					} else {
						progressTimer ??= setTimeout(showProgress, wait);
					}
				},
				log: (m) => this.hooks.log(m),
			});
			clearTimeout(progressTimer);
			if (this.request !== request) {
				await loaded.runner.dispose();
				return undefined; // superseded by a newer setting
			}
			this.loaded = loaded;
			this.loadError = undefined;
			this.hooks.log(
				`Loaded ${loaded.label} (${loaded.dtype}: ${loaded.weights}, ${loaded.device}) in ${Math.round(performance.now() - started)} ms: ` +
					`${loaded.layers} layers, ${loaded.heads} heads, context ${loaded.contextLength}, ` +
					`FIM ${loaded.fim ? 'yes' : 'no'}, attention ${loaded.hasAttention ? 'yes' : 'no'}.`,
			);
			this.setStatus(this.readyStatus(loaded));
			return loaded;
		} catch (e) {
			clearTimeout(progressTimer);
			if (this.request !== request) {
				return undefined;
			}
			const message = e instanceof ModelLoadError ? e.message : `Could not load the model: ${String(e)}`;
			this.loadError = message;
			this.hooks.error(message);
			this.setStatus({ ...this.statusValue, state: 'error', message, progress: undefined });
			return undefined;
		}
	}

	/**
	 * One attempt to reach the server of `request`; a failure leaves the state `unavailable`. A
	 * newer attempt (reconnect) supersedes one still under way.
	 */
	private async connect(request: LoadRequest): Promise<LoadedModel | undefined> {
		const server = request.server!;
		const attempt = ++this.connectAttempts;
		const superseded = () => this.request !== request || attempt !== this.connectAttempts;
		try {
			const key = await this.hooks.apiKey();
			const model = await connectServer(request as LoadRequest & { server: ServerRequest }, key, this.extensionPath, new AbortController().signal);
			if (superseded()) {
				return undefined;
			}
			this.loaded = model;
			this.loadError = undefined;
			this.serverProblem = undefined;
			this.hooks.log(
				`Connected to ${model.description}: context ${model.contextLength}, FIM ${model.fim ? 'yes' : 'no'}, ` +
					`prompts tokenized by ${model.tokenizer === 'server' ? 'the server' : model.tokenizer === 'local' ? 'the local tokenizer of the same model' : 'an estimate from characters'}, ` +
					`probabilities ${model.info.logprobs ? 'yes' : 'no'}.${model.notice ? ` ${model.notice}` : ''}`,
			);
			this.setStatus(this.readyStatus(model));
			return model;
		} catch (e) {
			if (superseded()) {
				return undefined;
			}
			// A model connected before (with an old key, perhaps) is not used after a failed reconnect.
			this.loaded = undefined;
			const failure = e instanceof BackendError ? e : new BackendError('unsupported', `Could not use the ${SERVER_LABELS[server.backend]}: ${String(e)}`);
			this.serverFailed(failure, request);
			return undefined;
		}
	}

	/** The server failed: state `unavailable` with its message, logged once per distinct message. */
	private serverFailed(e: BackendError, request: LoadRequest): void {
		if (this.request !== request || e.kind === 'cancelled') {
			return;
		}
		this.loadError = e.message;
		if (this.serverProblem !== e.message) {
			this.serverProblem = e.message;
			this.hooks.error(e.message);
		}
		if (this.statusValue.state !== 'unavailable' || this.statusValue.message !== e.message) {
			this.setStatus({ ...(this.loaded ? this.readyStatus(this.loaded) : this.statusValue), state: 'unavailable', message: e.message, progress: undefined });
		}
	}

	/** The server answered: back to ready after a failure. */
	private serverAnswered(loaded: LoadedModel): void {
		if (this.serverProblem !== undefined && this.loaded === loaded) {
			this.serverProblem = undefined;
			this.loadError = undefined;
			this.hooks.log(`The ${loaded.kind === 'remote' ? loaded.description : loaded.label} answers again.`);
			this.setStatus(this.readyStatus(loaded));
		}
	}

	private readyStatus(loaded: LoadedModel): ModelStatus {
		return {
			state: 'ready',
			model: loaded.request.model,
			label: loaded.label,
			device: loaded.device,
			dtype: loaded.dtype,
			message: loaded.notice,
			hasAttention: loaded.hasAttention,
			fim: loaded.fim !== null,
			contextLength: loaded.contextLength,
			server: loaded.kind === 'remote' ? loaded.status : undefined,
		};
	}

	/**
	 * Runs `build` (a prompt builder) with the model's tokenizer: for a llama.cpp server, its
	 * /tokenize answers each text (serverTokenizer.ts). When the server fails, the state says so;
	 * an automatic request then resolves undefined, a user's rejects with the server's message.
	 */
	async tokenized<T>(loaded: LoadedModel, build: () => T, priority: 'user', token: CancellationToken): Promise<T>;
	async tokenized<T>(loaded: LoadedModel, build: () => T, priority: 'auto', token: CancellationToken): Promise<T | undefined>;
	async tokenized<T>(loaded: LoadedModel, build: () => T, priority: Priority, token: CancellationToken): Promise<T | undefined> {
		if (!(loaded.codec instanceof ServerTokenizer)) {
			return build();
		}
		const abort = new AbortController();
		const listener = token.onCancellationRequested(() => abort.abort());
		try {
			const result = await loaded.codec.run(build, abort.signal);
			this.serverAnswered(loaded);
			return result;
		} catch (e) {
			return this.failedOnServer(e, loaded, priority);
		} finally {
			listener.dispose();
		}
	}

	/**
	 * An inference server failed a request: the status and log say so (once per
	 * message). Automatic work (completions, the prefetch) ends with no answer;
	 * the user's own request gets the error.
	 * @throws `e` itself when it is not a BackendError; a ResponseError for a `user` request.
	 */
	private failedOnServer(e: unknown, loaded: LoadedModel, priority: Priority): undefined {
		if (!(e instanceof BackendError)) {
			throw e;
		}
		this.serverFailed(e, loaded.request);
		if (priority !== 'user') {
			return undefined;
		}
		throw e.kind === 'cancelled'
			? new ResponseError(LSPErrorCodes.RequestCancelled, 'The request was cancelled.')
			: new ResponseError(ErrorCodes.ServerFailed, e.message);
	}

	private setStatus(status: ModelStatus): void {
		this.statusValue = status;
		this.hooks.notifyStatus(status);
	}

	/** Wait for the model (user requests may wait for a load); an LSP error when there is none. */
	async whenReady(): Promise<LoadedModel> {
		this.retryServer();
		const loaded = this.loading ? await this.loading : this.loaded;
		if (!loaded) {
			if (this.request?.server) {
				throw new ResponseError(ErrorCodes.ServerFailed, this.loadError ?? 'The inference server is not connected.');
			}
			throw new ResponseError(ErrorCodes.ModelUnavailable, this.loadError ?? 'No model is loaded. Check the glassbox.model setting.');
		}
		return loaded;
	}

	/**
	 * Run one generation. Resolves undefined when the request lost its turn
	 * (superseded, cancelled while waiting, or a completion while the user's
	 * own generation runs), and for a completion whose server failed (the
	 * state says how); a user's request whose server failed rejects with a
	 * ResponseError carrying the server's message.
	 */
	async run(
		loaded: LoadedModel,
		priority: Priority,
		token: CancellationToken,
		job: Omit<GenerationJob, 'token'>,
	): Promise<GenerationOutcome | undefined> {
		const lease = await this.scheduler.acquire(priority, token);
		if (!lease) {
			return undefined;
		}
		if (this.loaded !== loaded) {
			lease.release();
			return undefined; // the model changed while we waited
		}
		// Shown only when a generation lasts: a keystroke's completion takes tens of milliseconds,
		// and announcing each one would make the status bar flicker (and put two more messages on its path).
		const notice = setTimeout(() => {
			if (this.loaded === loaded) {
				this.setStatus({ ...this.readyStatus(loaded), state: 'generating' });
			}
		}, GENERATING_NOTICE_MS);
		try {
			const gate = this.hooks.beforeStep?.bind(this.hooks);
			const beforeStep = gate ? (step: number) => gate(job.kind, step, lease.token) : undefined;
			let outcome: GenerationOutcome;
			try {
				outcome = await generate(loaded, { ...job, token: lease.token, beforeStep }, loaded.request.model);
			} catch (e) {
				return this.failedOnServer(e, loaded, priority);
			}
			this.serverAnswered(loaded);
			this.generations++;
			if (outcome.record.stopReason === 'cancelled') {
				this.cancelled++;
			}
			this.recent.unshift(outcome.stats);
			this.recent.length = Math.min(this.recent.length, 20);
			this.store.add(outcome.record, outcome.attention, outcome.deferredAttention);
			return outcome;
		} finally {
			clearTimeout(notice);
			lease.release();
			if (this.loaded === loaded && !this.scheduler.busy && this.statusValue.state === 'generating') {
				this.setStatus(this.readyStatus(loaded));
			}
		}
	}

	/**
	 * One layer of a generation's attention. A completion's is computed on the first request,
	 * in one pass over its prompt and suggestion, taking the model's turn like a user request.
	 */
	async attentionLayer(id: string, layer: number, token: CancellationToken): Promise<AttentionLayerData | undefined> {
		const deferred = this.store.deferredAttention(id);
		const loaded = this.loaded; // the store is cleared whenever the model changes
		if (deferred && loaded?.kind === 'local') {
			let run = this.attentionRuns.get(id);
			if (!run) {
				run = this.computeAttention(loaded, id, deferred.ids, deferred.rowStart, token).finally(() => this.attentionRuns.delete(id));
				this.attentionRuns.set(id, run);
			}
			await run;
		}
		return this.store.attentionLayer(id, layer);
	}

	private async computeAttention(loaded: LocalModel, id: string, ids: number[], rowStart: number, token: CancellationToken): Promise<void> {
		const lease = await this.scheduler.acquire('user', token);
		if (!lease) {
			return;
		}
		const sequence = loaded.runner.start();
		try {
			if (this.loaded !== loaded) {
				return;
			}
			const pass = await sequence.feed(ids, rowStart);
			if (pass.attention && !lease.token.isCancellationRequested) {
				const capture = new AttentionCapture(loaded.layers, loaded.heads, rowStart);
				capture.add(pass.attention, rowStart);
				this.store.setAttention(id, capture);
			}
		} finally {
			sequence.release();
			lease.release();
		}
	}

	stats(): EngineStats {
		return { status: this.statusValue, generations: this.generations, cancelled: this.cancelled, recent: [...this.recent] };
	}

	async dispose(): Promise<void> {
		this.request = undefined;
		if (this.loaded?.kind === 'local') {
			await this.loaded.runner.dispose();
		}
		this.loaded = undefined;
	}
}
