/**
 * Every way a request to an inference server can fail, for each client, over
 * real sockets on 127.0.0.1: nothing listening, a server that answers
 * something that is not HTTP, one that never answers, a stream that stalls,
 * TLS spoken to a plain HTTP port, a host name that does not resolve, HTTP
 * error statuses, and cancelling while the server has not answered yet. Each
 * must end in a BackendError of the right kind with a readable message, well
 * within the test's few seconds, and never hang.
 */
import * as assert from 'assert';
import { BackendError, createRemoteClient, readAll, type BackendErrorKind, type RemoteRequest, type ServerKind } from '../../server/src/backends';
import { closedPort, rawServer } from '../support/rawServer';
import { json, ScriptedServer, sse } from '../support/scriptedServer';

const KINDS: ServerKind[] = ['llama.cpp', 'openai', 'ollama'];
/** Deadlines for tests that do not test deadlines: far above a cold first fetch on a busy machine. */
const TIMEOUTS = { firstByteMs: 4000, idleMs: 4000 };
/** Deadlines that are the point of the test: the failure must come from them. */
const SHORT = 400;
const REQUEST: RemoteRequest = { prompt: 'def f(', maxTokens: 8, temperature: 0, topK: 0, topP: 1, seed: 1, topLogprobs: 3, stop: [] };

async function failure(promise: Promise<unknown>): Promise<BackendError> {
	const err = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	assert.ok(err instanceof BackendError, `expected a BackendError, got ${String(err)}`);
	return err;
}

function expectKind(err: BackendError, kind: BackendErrorKind, message: RegExp): void {
	assert.strictEqual(err.kind, kind, err.message);
	assert.match(err.message, message);
}

function modelFor(kind: ServerKind): string | undefined {
	return kind === 'llama.cpp' ? undefined : 'some-model';
}

describe('server clients: failures', function () {
	this.timeout(5000);
	const cleanup: (() => Promise<void>)[] = [];
	afterEach(async () => {
		for (const c of cleanup.splice(0)) await c();
	});

	for (const kind of KINDS) {
		describe(kind, () => {
			it('nothing listening: refused, saying the server may not be running', async () => {
				const url = `http://127.0.0.1:${await closedPort()}`;
				const client = createRemoteClient(kind, { url, model: modelFor(kind), timeouts: TIMEOUTS });
				expectKind(await failure(client.info(new AbortController().signal)), 'refused', /Nothing answers at http:\/\/127\.0\.0\.1:\d+: is the .* running\?/);
				expectKind(await failure(readAll(client.stream(REQUEST, new AbortController().signal))), 'refused', /Nothing answers/);
			});

			it('an answer that is not HTTP: malformed', async () => {
				const garbage = await rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2p1\r\n\u0000\u0001garbage'));
				cleanup.push(garbage.close);
				const client = createRemoteClient(kind, { url: `http://127.0.0.1:${garbage.port}`, model: modelFor(kind), timeouts: TIMEOUTS });
				expectKind(await failure(client.info(new AbortController().signal)), 'malformed', /malformed answer: not an HTTP response/);
				expectKind(await failure(readAll(client.stream(REQUEST, new AbortController().signal))), 'malformed', /not an HTTP response/);
			});

			it('a server that never answers: timeout', async () => {
				const silent = await rawServer(() => undefined);
				cleanup.push(silent.close);
				const client = createRemoteClient(kind, { url: `http://127.0.0.1:${silent.port}`, model: modelFor(kind), timeouts: { firstByteMs: SHORT, idleMs: SHORT } });
				expectKind(await failure(readAll(client.stream(REQUEST, new AbortController().signal))), 'timeout', /did not answer within 0\.4 s/);
			});

			it('cancelled while the server has not answered: cancelled, and the connection is closed', async () => {
				let closed!: () => void;
				const gone = new Promise<void>((resolve) => (closed = resolve));
				let arrived!: () => void;
				const request = new Promise<void>((resolve) => (arrived = resolve));
				const silent = await rawServer((socket) => {
					socket.once('data', () => arrived());
					socket.on('close', () => closed());
				});
				cleanup.push(silent.close);
				const client = createRemoteClient(kind, { url: `http://127.0.0.1:${silent.port}`, model: modelFor(kind), timeouts: TIMEOUTS });
				const abort = new AbortController();
				const pending = failure(readAll(client.stream(REQUEST, abort.signal)));
				await request;
				abort.abort();
				expectKind(await pending, 'cancelled', /cancelled/);
				await gone;
			});

			it('TLS spoken to a plain HTTP port: tls', async () => {
				const plain = await ScriptedServer.start({});
				cleanup.push(() => plain.stop());
				const client = createRemoteClient(kind, { url: plain.url.replace('http:', 'https:'), model: modelFor(kind), timeouts: TIMEOUTS });
				expectKind(await failure(client.info(new AbortController().signal)), 'tls', /TLS with .* failed .*use http:\/\//);
			});

			it('401 and 403: unauthorized, pointing at the API key command', async () => {
				const body = { error: { code: 401, message: 'Invalid API Key', type: 'authentication_error' } };
				const server = await ScriptedServer.start({
					'GET /props': json(401, body),
					'GET /v1/models': json(401, body),
					'GET /api/version': json(403, { error: 'forbidden' }),
				});
				cleanup.push(() => server.stop());
				const client = createRemoteClient(kind, { url: server.url, model: modelFor(kind), apiKey: 'not-the-key', timeouts: TIMEOUTS });
				const err = await failure(client.info(new AbortController().signal));
				expectKind(err, 'unauthorized', /refused the API key \(HTTP 40[13]\).*Glassbox: Set Server API Key/);
				assert.ok(!err.message.includes('not-the-key'), 'the key never appears in messages');
				assert.strictEqual(server.requests[0]!.headers.authorization, 'Bearer not-the-key');
			});

			it('5xx with an HTML error page: server-error, without the HTML', async () => {
				const page = (res: import('http').ServerResponse) => res.writeHead(502, { 'Content-Type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
				const server = await ScriptedServer.start({ 'POST /completion': page, 'POST /v1/completions': page, 'POST /api/generate': page });
				cleanup.push(() => server.stop());
				const client = createRemoteClient(kind, { url: server.url, model: modelFor(kind), timeouts: TIMEOUTS });
				const err = await failure(readAll(client.stream(REQUEST, new AbortController().signal)));
				expectKind(err, 'server-error', /failed \(HTTP 502\)\.$/);
				assert.strictEqual(err.status, 502);
			});
		});
	}

	it('a stream that stalls after its first event: timeout', async () => {
		const first = { content: 'a', tokens: [64], stop: false, completion_probabilities: [] };
		const server = await ScriptedServer.start({ 'POST /completion': sse([first], { hold: true }) });
		cleanup.push(() => server.stop());
		const client = createRemoteClient('llama.cpp', { url: server.url, timeouts: { firstByteMs: TIMEOUTS.firstByteMs, idleMs: SHORT } });
		const seen: string[] = [];
		const err = await failure(
			(async () => {
				for await (const t of client.stream(REQUEST, new AbortController().signal)) seen.push(t.text);
			})(),
		);
		assert.deepStrictEqual(seen, ['a'], err.message);
		expectKind(err, 'timeout', /stopped sending within 0\.4 s/);
		await server.closed();
	});

	it('llama.cpp: an error event mid-stream is a server-error with the server\'s message, after the tokens before it', async () => {
		// llama-server's shape (format_oai_sse of {error: {code, message, type}}), as v0.4.0 sends when
		// generating fails after the first token, for example on output it cannot parse.
		const first = { content: 'a', tokens: [64], stop: false, completion_probabilities: [] };
		const error = { error: { code: 500, message: 'The model produced output that does not match the expected Content-only format.', type: 'server_error' } };
		const server = await ScriptedServer.start({ 'POST /completion': sse([first, error]) });
		cleanup.push(() => server.stop());
		const client = createRemoteClient('llama.cpp', { url: server.url, timeouts: TIMEOUTS });
		const seen: string[] = [];
		const err = await failure(
			(async () => {
				for await (const t of client.stream(REQUEST, new AbortController().signal)) seen.push(t.text);
			})(),
		);
		assert.deepStrictEqual(seen, ['a'], err.message);
		expectKind(err, 'server-error', /failed while generating: The model produced output that does not match the expected Content-only format\.$/);
	});

	it('a host name that does not resolve: dns', async () => {
		const client = createRemoteClient('openai', { url: 'http://glassbox-test.invalid:8000/v1', model: 'm', timeouts: { firstByteMs: 3000, idleMs: 3000 } });
		expectKind(await failure(client.info(new AbortController().signal)), 'dns', /"glassbox-test\.invalid" .* does not resolve/);
	});

	it('URLs that cannot be used: not http(s), or with credentials', () => {
		assert.throws(() => createRemoteClient('llama.cpp', { url: 'file:///etc/passwd' }), (e: unknown) => e instanceof BackendError && e.kind === 'unsupported' && /http:\/\/ or https:\/\//.test(e.message));
		assert.throws(() => createRemoteClient('openai', { url: 'http://user:secret@127.0.0.1:8000' }), (e: unknown) => e instanceof BackendError && /Set Server API Key/.test(e.message) && !e.message.includes('secret'));
		assert.throws(() => createRemoteClient('ollama', { url: 'not a url' }), /is not a URL/);
	});
});
