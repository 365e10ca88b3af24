/**
 * A real llama.cpp server (llama-server) for tests: built once by
 * scripts/setup-llama-server.sh, serving the embedded model as GGUF from
 * scripts/export-gguf.sh. Each server binds 127.0.0.1 on a port the kernel
 * picks (--port 0), is ready when its log says "listening on" (printed after
 * the model loaded), keeps its whole log for assertions and failure messages,
 * and is killed when the test process exits.
 *
 *   const server = await LlamaServer.start({ apiKey: 'k' });
 *   ... server.url ...
 *   await server.stop();
 */
import { execFileSync, spawn, type ChildProcess } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

export interface LlamaServerOptions {
	/** GGUF file to serve (default: the exported glassbox-mini). */
	model?: string;
	/** The model's name in answers (--alias; default glassbox-mini). */
	alias?: string;
	/** Require `Authorization: Bearer <apiKey>` (llama-server's --api-key). */
	apiKey?: string;
	/** Port to bind (default 0: a free one). A restart passes the old port. */
	port?: number;
	/** Context size in tokens (default 2048, the model's). */
	contextSize?: number;
	/** More llama-server flags. */
	args?: string[];
	/** How long start() waits for "listening on" (default 60 s). */
	startTimeoutMs?: number;
}

let binaryPath: string | undefined;
let ggufPath: string | undefined;

/** The llama-server binary: GLASSBOX_LLAMA_SERVER, else the cached build (built first if missing, which takes minutes once). */
export function llamaServerBinary(): string {
	if (process.env.GLASSBOX_LLAMA_SERVER) return process.env.GLASSBOX_LLAMA_SERVER;
	binaryPath ??= path.join(runScript('setup-llama-server.sh'), 'bin', 'llama-server');
	return binaryPath;
}

/** glassbox-mini as GGUF (exported first when missing or stale). */
export function glassboxGguf(): string {
	ggufPath ??= path.resolve(ROOT, runScript('export-gguf.sh'));
	return ggufPath;
}

function runScript(name: string): string {
	const out = execFileSync('sh', [path.join(ROOT, 'scripts', name)], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
	const last = out.trim().split('\n').pop();
	if (!last) throw new Error(`scripts/${name} printed no path`);
	return last;
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
	for (const child of running) child.kill('SIGKILL');
});

export class LlamaServer {
	private logText = '';
	private readonly waiters: { pattern: RegExp; from: number; resolve: (m: RegExpMatchArray) => void }[] = [];
	private exited: Promise<number | null>;

	private constructor(
		private readonly child: ChildProcess,
		readonly options: LlamaServerOptions,
	) {
		const onData = (chunk: Buffer) => {
			this.logText += chunk.toString('utf8');
			for (const w of [...this.waiters]) {
				const m = this.logText.slice(w.from).match(w.pattern);
				if (m) {
					this.waiters.splice(this.waiters.indexOf(w), 1);
					w.resolve(m);
				}
			}
		};
		child.stdout?.on('data', onData);
		child.stderr?.on('data', onData);
		this.exited = new Promise((resolve) => {
			child.on('exit', (code, signal) => {
				running.delete(child);
				this.logText += `\n[llama-server exited: ${signal ?? code}]\n`;
				resolve(code);
			});
		});
	}

	/** Port the server listens on (set once started). */
	port = 0;

	get url(): string {
		return `http://127.0.0.1:${this.port}`;
	}

	/** Everything the server printed so far (its log goes to stderr and stdout). */
	get log(): string {
		return this.logText;
	}

	get pid(): number | undefined {
		return this.child.pid;
	}

	static async start(options: LlamaServerOptions = {}): Promise<LlamaServer> {
		const args = [
			'-m', options.model ?? glassboxGguf(),
			'--alias', options.alias ?? 'glassbox-mini',
			'--host', '127.0.0.1',
			'--port', String(options.port ?? 0),
			// One decoding thread is faster than two for a model this small; two for prompts.
			'-t', '1',
			'-tb', '2',
			// One slot: one request at a time, as one editor sends them; /slots shows it.
			'-np', '1',
			'-c', String(options.contextSize ?? 2048),
			'--slots',
			'--no-webui',
			...(options.apiKey ? ['--api-key', options.apiKey] : []),
			...(options.args ?? []),
		];
		// llama-server reads LLAMA_ARG_* settings from the environment: none of the machine's leak in.
		const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LLAMA_')));
		const child = spawn(llamaServerBinary(), args, { stdio: ['ignore', 'pipe', 'pipe'], env });
		running.add(child);
		const server = new LlamaServer(child, options);
		const timeoutMs = options.startTimeoutMs ?? 60000;
		let timer: NodeJS.Timeout | undefined;
		try {
			const ready = server.waitForLog(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
			const failed = server.exited.then((code) => {
				throw new Error(`llama-server exited (${code}) before listening:\n${server.tail()}`);
			});
			const late = new Promise<never>((_, reject) => {
				timer = setTimeout(() => reject(new Error(`llama-server did not listen within ${timeoutMs} ms:\n${server.tail()}`)), timeoutMs);
			});
			const m = await Promise.race([ready, failed, late]);
			server.port = Number(m[1]);
		} catch (err) {
			child.kill('SIGKILL');
			throw err;
		} finally {
			clearTimeout(timer);
		}
		return server;
	}

	/**
	 * Resolves with the first match of `pattern` in the log from character `from` on (already
	 * printed or still to come). Pass `server.log.length` to wait for a line that has not been
	 * printed yet.
	 */
	waitForLog(pattern: RegExp, from = 0): Promise<RegExpMatchArray> {
		const m = this.logText.slice(from).match(pattern);
		if (m) return Promise.resolve(m);
		return new Promise((resolve) => this.waiters.push({ pattern, from, resolve }));
	}

	/**
	 * Resolves when the first generation the server starts after log offset `from` ends,
	 * finished or cancelled: its task id and the tokens in its slot then (prompt plus
	 * generated). Waits for that task's own "stop processing" line, so a line from an
	 * earlier request printed late cannot be taken for it.
	 */
	async generationEnd(from: number): Promise<{ task: number; tokens: number }> {
		const launched = await this.waitForLog(/\| task (\d+) \| processing task/, from);
		const task = Number(launched[1]);
		const released = await this.waitForLog(new RegExp(`\\| task ${task} \\| stop processing: n_tokens = (\\d+)`), from);
		return { task, tokens: Number(released[1]) };
	}

	/** The last lines of the log, for failure messages. */
	tail(lines = 30): string {
		return this.logText.split('\n').slice(-lines).join('\n');
	}

	/** Stops the server (SIGTERM, SIGKILL after 5 s) and waits for it to exit. */
	async stop(): Promise<void> {
		if (this.child.exitCode !== null || this.child.signalCode !== null) return;
		this.child.kill('SIGTERM');
		const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
		await this.exited;
		clearTimeout(timer);
	}

	/** Kills the server at once, as a crash would, and waits for it to exit. */
	async kill(): Promise<void> {
		if (this.child.exitCode !== null || this.child.signalCode !== null) return;
		this.child.kill('SIGKILL');
		await this.exited;
	}

	/** A new server with the same options on the same port (after stop or kill). */
	restart(): Promise<LlamaServer> {
		return LlamaServer.start({ ...this.options, port: this.port });
	}

	/** GET /slots: whether each slot is busy (llama-server's slot monitor). */
	async slots(): Promise<{ id: number; isProcessing: boolean }[]> {
		const headers: Record<string, string> = this.options.apiKey ? { Authorization: `Bearer ${this.options.apiKey}` } : {};
		const res = await fetch(`${this.url}/slots`, { headers });
		if (!res.ok) throw new Error(`GET /slots: HTTP ${res.status}`);
		const json = (await res.json()) as { id: number; is_processing: boolean }[];
		return json.map((s) => ({ id: s.id, isProcessing: s.is_processing }));
	}
}

