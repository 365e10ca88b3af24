/**
 * The main thread's side of the pass worker (passWorker.ts): a PassRunner
 * whose sequences live in a worker thread. If the worker dies, the generation
 * that was using it fails with a clear error and the next one starts a fresh
 * worker (the session is created again from the same file), with no parked
 * caches: they lived in the lost worker.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { NextGuess, PassResult, PassRunner, PassSequence } from './modelRunner';
import type { FromPassWorker, PassMessage, ToPassWorker } from './passWorkerProtocol';

/**
 * Default bound on parked KV caches (prefixCache.ts). A 1,000-token prompt's
 * cache is about 8 MB for the embedded model and 25 to 60 MB for 0.5B to 1.5B
 * hub models (fp32 keys and values).
 */
export const DEFAULT_PARK_BYTES = 256 * 1024 * 1024;

export interface WorkerRunnerOptions {
	modelPath: string;
	heads: number;
	/** Most bytes of KV cache parked for reuse; DEFAULT_PARK_BYTES when absent. */
	parkBytes?: number;
	log(message: string): void;
	/** The worker's script; the built server keeps it beside itself. */
	script?: string;
}

/** How long a closing worker may take to finish its passes (a 1,000-token prompt's pass takes well under this). */
const CLOSE_WAIT_MS = 10_000;

interface Pending {
	resolve(message: PassMessage): void;
	reject(error: Error): void;
}

/** One worker thread with an open session. */
class Connection {
	private readonly pending = new Map<number, Pending>();
	private nextRequest = 1;
	/** Why the worker is gone; set once. */
	lost: string | undefined;

	private constructor(
		private readonly worker: Worker,
		readonly attentionLayers: number,
		private readonly log: (message: string) => void,
	) {
		worker.on('message', (message: FromPassWorker) => {
			if (message.kind === 'pass' || message.kind === 'passFailed') {
				const waiter = this.pending.get(message.request);
				this.pending.delete(message.request);
				if (message.kind === 'pass') {
					waiter?.resolve(message);
				} else {
					waiter?.reject(new Error(message.message));
				}
			}
		});
		worker.on('error', (e) => this.lose(`the model's worker thread failed: ${e.message}`));
		worker.on('exit', (code) => this.lose(`the model's worker thread exited (code ${code})`));
	}

	static open(options: WorkerRunnerOptions): Promise<Connection> {
		const worker = new Worker(options.script ?? path.join(__dirname, 'passWorker.js'), { stdout: true, stderr: true });
		// The server's stdout is the LSP channel: anything the worker prints goes to the log instead.
		for (const stream of [worker.stdout, worker.stderr]) {
			stream.setEncoding('utf8');
			stream.on('data', (text: string) => options.log(`[model worker] ${text.trimEnd()}`));
		}
		return new Promise<Connection>((resolve, reject) => {
			const fail = (why: string) => {
				void worker.terminate();
				reject(new Error(why));
			};
			const onExit = (code: number) => fail(`the model's worker thread exited while opening the model (code ${code})`);
			const onError = (e: Error) => fail(e.message);
			worker.once('exit', onExit);
			worker.once('error', onError);
			worker.once('message', (message: FromPassWorker) => {
				worker.off('exit', onExit);
				worker.off('error', onError);
				if (message.kind === 'opened') {
					resolve(new Connection(worker, message.attentionLayers, options.log));
				} else {
					fail(message.kind === 'openFailed' ? message.message : `unexpected first message from the model's worker thread: ${message.kind}`);
				}
			});
			const open: ToPassWorker = { kind: 'open', modelPath: options.modelPath, heads: options.heads, parkBytes: options.parkBytes ?? DEFAULT_PARK_BYTES };
			worker.postMessage(open);
		});
	}

	feed(sequence: number, ids: readonly number[], attentionFrom: number | null, next: NextGuess | undefined): Promise<PassMessage> {
		if (this.lost) {
			return Promise.reject(new Error(`The model stopped: ${this.lost}.`));
		}
		const request = this.nextRequest++;
		return new Promise<PassMessage>((resolve, reject) => {
			this.pending.set(request, { resolve, reject });
			this.post({ kind: 'feed', request, sequence, ids: [...ids], attentionFrom, next: next ?? null });
		});
	}

	post(message: ToPassWorker): void {
		if (!this.lost) {
			this.worker.postMessage(message);
		}
	}

	/**
	 * End the thread once the worker has finished its passes and freed the session
	 * (CloseMessage); a worker that does not answer within CLOSE_WAIT_MS is ended anyway.
	 */
	async close(): Promise<void> {
		const alive = !this.lost;
		this.lose('the model was unloaded', true);
		if (alive) {
			await new Promise<void>((resolve) => {
				const done = () => {
					clearTimeout(timer);
					this.worker.off('message', onMessage);
					this.worker.off('exit', done);
					resolve();
				};
				const onMessage = (message: FromPassWorker) => message.kind === 'closed' && done();
				const timer = setTimeout(done, CLOSE_WAIT_MS);
				this.worker.on('message', onMessage);
				this.worker.on('exit', done);
				this.worker.postMessage({ kind: 'close' } satisfies ToPassWorker);
			});
		}
		await this.worker.terminate();
	}

	private lose(why: string, asked = false): void {
		if (this.lost) {
			return;
		}
		this.lost = why;
		if (!asked) {
			this.log(`The model's worker thread stopped: ${why}.`);
		}
		for (const waiter of this.pending.values()) {
			waiter.reject(new Error(`The model stopped: ${why}.`));
		}
		this.pending.clear();
	}
}

export class WorkerRunner implements PassRunner {
	readonly attentionLayers: number;
	private nextSequence = 1;
	private disposed = false;
	/** A new worker being started after the last one was lost. */
	private restarting: Promise<Connection> | undefined;

	private constructor(
		private readonly options: WorkerRunnerOptions,
		private live: Connection,
	) {
		this.attentionLayers = live.attentionLayers;
	}

	/** Start the worker and open the model; rejects with onnxruntime's message when the file will not load. */
	static async open(options: WorkerRunnerOptions): Promise<WorkerRunner> {
		return new WorkerRunner(options, await Connection.open(options));
	}

	start(): PassSequence {
		return new WorkerSequence(this, this.nextSequence++);
	}

	dropParked(): void {
		// A lost worker took its parked caches with it; a restarted one starts empty.
		this.live.post({ kind: 'dropParked' });
	}

	/** @internal the live connection, started again after a lost one */
	connect(): Promise<Connection> {
		if (this.disposed) {
			return Promise.reject(new Error('The model was unloaded.'));
		}
		if (!this.live.lost) {
			return Promise.resolve(this.live);
		}
		if (!this.restarting) {
			this.options.log('Starting the model worker thread again.');
			// A failed restart is not kept: the next generation tries again.
			this.restarting = Connection.open(this.options)
				.then((connection) => (this.live = connection))
				.finally(() => (this.restarting = undefined));
		}
		return this.restarting;
	}

	async dispose(): Promise<void> {
		this.disposed = true;
		const restarting = this.restarting;
		await this.live.close();
		await (await restarting?.catch(() => undefined))?.close();
	}
}

class WorkerSequence implements PassSequence {
	private position = 0;
	private connection: Connection | undefined;

	constructor(
		private readonly runner: WorkerRunner,
		private readonly id: number,
	) {}

	get length(): number {
		return this.position;
	}

	async feed(ids: readonly number[], attentionFrom: number | null, next?: NextGuess): Promise<PassResult> {
		// The cache lives in one worker: a sequence never moves to a restarted one.
		this.connection ??= await this.runner.connect();
		const message = await this.connection.feed(this.id, ids, attentionFrom, next);
		this.position += ids.length;
		return { logits: message.logits, attention: message.attention, reused: message.reused, computed: message.computed, parkedBytes: message.parkedBytes };
	}

	release(): void {
		this.connection?.post({ kind: 'release', sequence: this.id });
	}
}
