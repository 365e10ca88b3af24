/**
 * A model hub on 127.0.0.1 for the download tests: serves model folders in
 * the Hugging Face hub's URL layout (`/{owner}/{name}/resolve/{revision}/{file}`),
 * so the language server's real download code (transformers.js' fetch and
 * file cache, pointed here with HF_ENDPOINT) runs against real HTTP. Like the
 * hub it answers 401 for an unknown repository, 404 for a missing file,
 * ranges with 206, and redirects ONNX files (LFS) to another path. Faults
 * per file make the failures the tests need: a connection dropped mid-file,
 * a file cut short, damaged bytes, or a download held halfway until the test
 * releases it (to watch progress).
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

export type Fault =
	/** Headers announce the whole file; half the body is sent, then the connection is destroyed. */
	| 'drop'
	/** The file is served cut to half, with a Content-Length that matches the half (range probes still report the whole size). */
	| 'truncate'
	/** The whole length, but the bytes after the first 64 are garbage. */
	| 'corrupt'
	/** Half the body, then nothing until release(); then the rest. */
	| 'hold';

export interface HubRequest {
	method: string;
	/** Path after the host, e.g. /owner/name/resolve/main/config.json */
	path: string;
	range: string | undefined;
	status: number;
}

const RESOLVE = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/;
const LFS = /^\/lfs\/([^/]+\/[^/]+)\/(.+)$/;

export class HubServer {
	readonly requests: HubRequest[] = [];
	private readonly faults = new Map<string, Fault>();
	private readonly held: (() => void)[] = [];
	private readonly heldWaiters: (() => void)[] = [];
	private readonly sockets = new Set<import('net').Socket>();

	private constructor(
		private readonly server: http.Server,
		/** Repository id → folder. */
		private readonly repos: Record<string, string>,
	) {}

	/** Serve `repos` (id → model folder) on a free port. */
	static async start(repos: Record<string, string>): Promise<HubServer> {
		const server = http.createServer();
		const hub = new HubServer(server, repos);
		server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => hub.handle(req, res));
		server.on('connection', (socket) => {
			hub.sockets.add(socket);
			socket.on('close', () => hub.sockets.delete(socket));
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		return hub;
	}

	/** The endpoint to put in HF_ENDPOINT. */
	get url(): string {
		return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
	}

	/** Make `file` of `repo` fail the given way until clearFaults(). */
	fault(repo: string, file: string, fault: Fault): void {
		this.faults.set(`${repo}/${file}`, fault);
	}

	clearFaults(): void {
		this.faults.clear();
	}

	/** Resolves once a held download has sent its first half. */
	whenHeld(): Promise<void> {
		return this.held.length > 0 ? Promise.resolve() : new Promise((resolve) => this.heldWaiters.push(resolve));
	}

	/** Lets held downloads finish. */
	release(): void {
		this.held.splice(0).forEach((go) => go());
	}

	/** Requests for files of `repo` (range probes included). */
	requestsFor(repo: string): HubRequest[] {
		return this.requests.filter((r) => r.path.startsWith(`/${repo}/`) || r.path.startsWith(`/lfs/${repo}/`));
	}

	async close(): Promise<void> {
		this.release();
		const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
		this.sockets.forEach((s) => s.destroy());
		await closed;
	}

	private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
		const url = new URL(req.url ?? '/', 'http://hub');
		const record: HubRequest = { method: req.method ?? 'GET', path: url.pathname, range: req.headers.range, status: 0 };
		this.requests.push(record);
		const reply = (status: number, body = '', headers: http.OutgoingHttpHeaders = {}) => {
			record.status = status;
			res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), ...headers });
			res.end(body);
		};
		const resolved = RESOLVE.exec(decodeURIComponent(url.pathname));
		const lfs = LFS.exec(decodeURIComponent(url.pathname));
		const repo = resolved?.[1] ?? lfs?.[1];
		const file = resolved?.[3] ?? lfs?.[2];
		if (!repo || !file || (req.method !== 'GET' && req.method !== 'HEAD')) {
			reply(400, 'Bad request');
			return;
		}
		const folder = this.repos[repo];
		if (!folder) {
			reply(401, 'Repository not found', { 'X-Error-Code': 'RepoNotFound' });
			return;
		}
		const onDisk = path.join(folder, file);
		if (!path.resolve(onDisk).startsWith(path.resolve(folder) + path.sep) || !fs.existsSync(onDisk) || !fs.statSync(onDisk).isFile()) {
			reply(404, 'Entry not found', { 'X-Error-Code': 'EntryNotFound' });
			return;
		}
		if (resolved && file.endsWith('.onnx')) {
			// Large files live on LFS storage: the hub redirects there.
			record.status = 302;
			res.writeHead(302, { Location: `/lfs/${repo}/${file}`, 'Content-Length': 0 });
			res.end();
			return;
		}
		this.send(req, res, record, fs.readFileSync(onDisk), this.faults.get(`${repo}/${file}`));
	}

	private send(req: http.IncomingMessage, res: http.ServerResponse, record: HubRequest, whole: Buffer, fault: Fault | undefined): void {
		const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
		if (range) {
			const start = Number(range[1]);
			const end = Math.min(whole.length - 1, range[2] ? Number(range[2]) : whole.length - 1);
			record.status = 206;
			res.writeHead(206, { 'Content-Range': `bytes ${start}-${end}/${whole.length}`, 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' });
			res.end(req.method === 'HEAD' ? undefined : whole.subarray(start, end + 1));
			return;
		}
		let body = whole;
		if (fault === 'truncate') {
			body = whole.subarray(0, Math.floor(whole.length / 2));
		} else if (fault === 'corrupt') {
			body = Buffer.from(whole);
			for (let i = 64; i < body.length; i++) {
				body[i] = (i * 131) & 0xff;
			}
		}
		record.status = 200;
		res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
		if (req.method === 'HEAD') {
			res.end();
			return;
		}
		const half = Math.floor(body.length / 2);
		if (fault === 'drop') {
			res.write(body.subarray(0, half), () => res.destroy());
			return;
		}
		if (fault === 'hold') {
			res.write(body.subarray(0, half), () => {
				this.held.push(() => res.end(body.subarray(half)));
				this.heldWaiters.splice(0).forEach((w) => w());
			});
			return;
		}
		res.end(body);
	}
}
