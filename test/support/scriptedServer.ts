/**
 * A real HTTP server on 127.0.0.1 that answers with bodies written from a
 * server's documentation, for the server kinds that cannot run here (Ollama,
 * vLLM): each route is a handler that writes its answer, and every request is
 * recorded (method, path, headers, JSON body) so tests can check what a
 * client sent. `closed()` resolves when a client hangs up before an answer
 * ended, which is how a test sees that cancelling closed the HTTP stream.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';

export interface RecordedRequest {
	method: string;
	path: string;
	headers: http.IncomingHttpHeaders;
	body: unknown;
}

/** Writes the answer; may keep the response open (streams). */
export type Route = (res: http.ServerResponse, req: RecordedRequest) => void;

export class ScriptedServer {
	readonly requests: RecordedRequest[] = [];
	private hangUps = 0;
	private hangUpWaiters: (() => void)[] = [];

	private constructor(private readonly server: http.Server) {}

	get url(): string {
		return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	static async start(routes: Record<string, Route>): Promise<ScriptedServer> {
		const server = http.createServer((req, res) => {
			let raw = '';
			req.setEncoding('utf8');
			req.on('data', (c: string) => (raw += c));
			req.on('end', () => {
				let body: unknown = undefined;
				if (raw) {
					try {
						body = JSON.parse(raw);
					} catch {
						body = raw;
					}
				}
				const path = (req.url ?? '/').split('?')[0]!;
				const recorded: RecordedRequest = { method: req.method ?? 'GET', path, headers: req.headers, body };
				self.requests.push(recorded);
				res.on('close', () => {
					if (!res.writableFinished) self.hungUp();
				});
				const route = routes[`${recorded.method} ${path}`];
				if (!route) {
					res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found');
					return;
				}
				route(res, recorded);
			});
		});
		const self = new ScriptedServer(server);
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		return self;
	}

	private hungUp(): void {
		this.hangUps++;
		for (const w of this.hangUpWaiters.splice(0)) w();
	}

	/** Resolves once a client has closed a connection whose answer had not ended (now or later). */
	closed(): Promise<void> {
		if (this.hangUps > 0) return Promise.resolve();
		return new Promise((resolve) => this.hangUpWaiters.push(resolve));
	}

	async stop(): Promise<void> {
		this.server.closeAllConnections();
		await new Promise<void>((resolve) => this.server.close(() => resolve()));
	}
}

/** Answers one JSON body. */
export function json(status: number, body: unknown): Route {
	return (res) => {
		res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
	};
}

/** Writes these lines of newline-delimited JSON and ends, or stays open when `hold`. */
export function ndjson(lines: unknown[], options: { hold?: boolean } = {}): Route {
	return (res) => {
		res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
		for (const line of lines) res.write(`${typeof line === 'string' ? line : JSON.stringify(line)}\n`);
		if (!options.hold) res.end();
	};
}

/** Writes these server-sent events (`data:` lines; strings as they are) and ends, or stays open when `hold`. */
export function sse(events: unknown[], options: { hold?: boolean } = {}): Route {
	return (res) => {
		res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
		for (const e of events) res.write(`data: ${typeof e === 'string' ? e : JSON.stringify(e)}\n\n`);
		if (!options.hold) res.end();
	};
}
