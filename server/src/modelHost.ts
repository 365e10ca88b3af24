/**
 * Owns the loaded model for the server's life: loads it lazily from the
 * settings (reloading when they change), reports its state to the client,
 * runs generations one at a time through the scheduler, and keeps recent
 * generations and counters.
 */
import { CancellationToken, ResponseError } from 'vscode-languageserver';
import type { AttentionLayerData, GenerationKind } from '../../protocol/generation';
import type { EngineStats, GenerationStats, ModelStatus } from '../../protocol/lsp';
import { AttentionCapture } from './attention';
import { ErrorCodes } from '../../protocol/lsp';
import type { GlassboxSettings } from '../../protocol/settings';
import { generate, type GenerationJob, type GenerationOutcome } from './engine';
import { GenerationStore } from './generationStore';
import { loadModel, ModelLoadError, type LoadedModel, type LoadRequest } from './modelLoader';
import { Scheduler, type Priority } from './scheduler';

export interface HostHooks {
	notifyStatus(status: ModelStatus): void;
	confirmDownload(model: string, host: string): Promise<boolean>;
	log(message: string): void;
	error(message: string): void;
	/** The test hooks' step gate (testHooks.ts); absent outside tests. */
	beforeStep?(kind: GenerationKind, step: number, token: CancellationToken): Promise<void> | undefined;
}

function sameRequest(a: LoadRequest | undefined, b: LoadRequest): boolean {
	return !!a && a.model === b.model && a.device === b.device && a.dtype === b.dtype && a.allowDownloads === b.allowDownloads;
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

	/** The model if it is ready now (completions do not wait for a load). */
	get ready(): LoadedModel | undefined {
		return this.loading ? undefined : this.loaded;
	}

	/** Apply settings: (re)load when the model, device, dtype or download permission changed. */
	configure(settings: GlassboxSettings): Promise<LoadedModel | undefined> {
		// Parked KV caches never outlive a settings change (a new model, device or dtype also loads a new runner).
		this.loaded?.runner.dropParked();
		const request: LoadRequest = {
			model: settings.model,
			device: settings.device,
			dtype: settings.dtype,
			allowDownloads: settings.allowDownloads,
		};
		if (sameRequest(this.request, request) && (this.loaded || this.loading)) {
			return this.loading ?? Promise.resolve(this.loaded);
		}
		this.request = request;
		const load = this.load(request);
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
			await previous?.runner.dispose();
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
		};
	}

	private setStatus(status: ModelStatus): void {
		this.statusValue = status;
		this.hooks.notifyStatus(status);
	}

	/** Wait for the model (user requests may wait for a load); an LSP error when there is none. */
	async whenReady(): Promise<LoadedModel> {
		const loaded = this.loading ? await this.loading : this.loaded;
		if (!loaded) {
			throw new ResponseError(ErrorCodes.ModelUnavailable, this.loadError ?? 'No model is loaded. Check the glassbox.model setting.');
		}
		return loaded;
	}

	/**
	 * Run one generation. Resolves undefined when the request lost its turn
	 * (superseded, cancelled while waiting, or a completion while the user's
	 * own generation runs).
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
			const outcome = await generate(loaded, { ...job, token: lease.token, beforeStep }, loaded.request.model);
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
		if (deferred && loaded) {
			let run = this.attentionRuns.get(id);
			if (!run) {
				run = this.computeAttention(loaded, id, deferred.ids, deferred.rowStart, token).finally(() => this.attentionRuns.delete(id));
				this.attentionRuns.set(id, run);
			}
			await run;
		}
		return this.store.attentionLayer(id, layer);
	}

	private async computeAttention(loaded: LoadedModel, id: string, ids: number[], rowStart: number, token: CancellationToken): Promise<void> {
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
		await this.loaded?.runner.dispose();
		this.loaded = undefined;
	}
}
