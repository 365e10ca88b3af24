/**
 * The Ollama client against a real HTTP server on 127.0.0.1 that answers with
 * bodies written from Ollama's documentation as of v0.33 (docs/openapi.yaml:
 * /api/version, /api/show, /api/generate and its GenerateStreamEvent and
 * Logprob schemas; docs/api/errors.mdx: `{"error": ...}` bodies, errors inside a
 * stream). Ollama itself does not install here; these check what the client
 * sends and how it reads every documented answer.
 */
import * as assert from 'assert';
import { BackendError, createRemoteClient, readAll, type RemoteRequest } from '../../server/src/backends';
import { chatRequestBody, generateBody, versionAtLeast } from '../../server/src/backends/ollama';
import { json, ndjson, ScriptedServer } from '../support/scriptedServer';

const SHOW = {
	parameters: 'temperature 0.7\nnum_ctx 2048',
	capabilities: ['completion'],
	modified_at: '2025-08-14T15:49:43.634137516-07:00',
	details: { parent_model: '', format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '1.5B', quantization_level: 'Q4_K_M' },
	model_info: { 'general.architecture': 'qwen2', 'general.file_type': 15, 'qwen2.context_length': 32768, 'qwen2.block_count': 28 },
};

/** A streamed /api/generate answer with logprobs (Logprob: {token, logprob, bytes, top_logprobs: [TokenLogprob]}). */
const GENERATE_WITH_LOGPROBS = [
	{
		model: 'qwen2.5-coder:1.5b-base',
		created_at: '2025-11-20T10:00:00.1Z',
		response: '    return',
		done: false,
		logprobs: [
			{
				token: '    return',
				logprob: -0.05,
				bytes: [32, 32, 32, 32, 114, 101, 116, 117, 114, 110],
				top_logprobs: [
					{ token: '    return', logprob: -0.05, bytes: [32] },
					{ token: '    if', logprob: -3.2, bytes: [32] },
				],
			},
		],
	},
	{
		model: 'qwen2.5-coder:1.5b-base',
		created_at: '2025-11-20T10:00:00.2Z',
		response: ' a',
		done: false,
		logprobs: [{ token: ' a', logprob: -0.4, bytes: [32, 97], top_logprobs: [{ token: ' a', logprob: -0.4, bytes: [32, 97] }, { token: ' b', logprob: -1.3, bytes: [32, 98] }] }],
	},
	{
		model: 'qwen2.5-coder:1.5b-base',
		created_at: '2025-11-20T10:00:00.3Z',
		response: '',
		done: true,
		done_reason: 'stop',
		total_duration: 174560334,
		load_duration: 101397084,
		prompt_eval_count: 11,
		prompt_eval_duration: 13074791,
		eval_count: 2,
		eval_duration: 52479709,
	},
];

const REQUEST: RemoteRequest = {
	prompt: '<|fim_prefix|>def add(a, b):\n<|fim_suffix|>\n<|fim_middle|>',
	maxTokens: 16,
	temperature: 0,
	topK: 0,
	topP: 1,
	seed: 7,
	topLogprobs: 5,
	stop: ['\n\n'],
};

describe('Ollama client (documented bodies, Ollama v0.33 docs)', function () {
	this.timeout(5000);
	let server: ScriptedServer | undefined;

	afterEach(async () => {
		await server?.stop();
		server = undefined;
	});

	it('reads the model, its context length and that 0.12.11 returns probabilities', async () => {
		server = await ScriptedServer.start({ 'GET /api/version': json(200, { version: '0.12.11' }), 'POST /api/show': json(200, SHOW) });
		const client = createRemoteClient('ollama', { url: server.url, model: 'qwen2.5-coder:1.5b-base' });
		const info = await client.info(new AbortController().signal);
		assert.deepStrictEqual(info, { kind: 'ollama', model: 'qwen2.5-coder:1.5b-base', version: '0.12.11', logprobs: true, contextLength: 32768 });
		assert.deepStrictEqual(server.requests[1]!.body, { model: 'qwen2.5-coder:1.5b-base' });
	});

	it('says that an Ollama before 0.12.11 has no probabilities (the docs example version 0.12.6)', async () => {
		server = await ScriptedServer.start({ 'GET /api/version': json(200, { version: '0.12.6' }), 'POST /api/show': json(200, SHOW) });
		const info = await createRemoteClient('ollama', { url: server.url, model: 'm' }).info(new AbortController().signal);
		assert.strictEqual(info.logprobs, false);
		assert.ok(versionAtLeast('0.13.0', '0.12.11') && versionAtLeast('v0.12.11-rc1', '0.12.11') && !versionAtLeast('0.9.7', '0.12.11'));
	});

	it('sends a raw prompt with the sampling and logprobs fields, never suffix, and reads the streamed tokens', async () => {
		server = await ScriptedServer.start({ 'POST /api/generate': ndjson(GENERATE_WITH_LOGPROBS) });
		const client = createRemoteClient('ollama', { url: server.url, model: 'qwen2.5-coder:1.5b-base', apiKey: 'proxy-key' });
		const result = await readAll(client.stream(REQUEST, new AbortController().signal));
		const sent = server.requests[0]!;
		assert.deepStrictEqual(sent.body, generateBody(REQUEST, 'qwen2.5-coder:1.5b-base'));
		assert.deepStrictEqual(sent.body, {
			model: 'qwen2.5-coder:1.5b-base',
			prompt: REQUEST.prompt,
			raw: true,
			stream: true,
			options: { num_predict: 16, temperature: 0, top_k: 0, top_p: 1, seed: 7, min_p: 0, repeat_penalty: 1, stop: ['\n\n'] },
			logprobs: true,
			top_logprobs: 5,
		});
		assert.strictEqual(sent.headers.authorization, 'Bearer proxy-key');
		assert.strictEqual(result.text, '    return a');
		assert.deepStrictEqual(result.tokens[0], {
			text: '    return',
			logprob: -0.05,
			top: [
				{ text: '    return', logprob: -0.05 },
				{ text: '    if', logprob: -3.2 },
			],
		});
		assert.deepStrictEqual(result.finish, { reason: 'stop', promptTokens: 11 });
	});

	it('streams text without probabilities from an older Ollama, and reports the token limit', async () => {
		const lines = [
			{ model: 'm', created_at: '2023-08-04T08:52:19.385406455-07:00', response: 'The', done: false },
			{ model: 'm', created_at: '2023-08-04T08:52:19.385406455-07:00', response: ' sky', done: false },
			{ model: 'm', created_at: '2023-08-04T19:22:45.499127Z', response: '', done: true, done_reason: 'length', prompt_eval_count: 26, eval_count: 2 },
		];
		server = await ScriptedServer.start({ 'POST /api/generate': ndjson(lines) });
		const result = await readAll(createRemoteClient('ollama', { url: server.url, model: 'm' }).stream({ ...REQUEST, topLogprobs: 0 }, new AbortController().signal));
		assert.deepStrictEqual(result.tokens, [
			{ text: 'The', logprob: null, top: [] },
			{ text: ' sky', logprob: null, top: [] },
		]);
		assert.deepStrictEqual(result.finish, { reason: 'length', promptTokens: 26 });
		const body = server.requests[0]!.body as Record<string, unknown>;
		assert.ok(!('logprobs' in body) && !('suffix' in body));
	});

	it('reports an unknown model (404) with the server\'s message', async () => {
		server = await ScriptedServer.start({ 'POST /api/generate': json(404, { error: "model 'nope' not found" }) });
		const err = await readAll(createRemoteClient('ollama', { url: server.url, model: 'nope' }).stream(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
		assert.ok(err instanceof BackendError && err.kind === 'not-found' && err.status === 404, String(err));
		assert.match(err.message, /model "nope".*model 'nope' not found/);
	});

	it('reports an error the server sends inside the stream (errors.mdx)', async () => {
		server = await ScriptedServer.start({
			'POST /api/generate': ndjson([
				{ model: 'm', created_at: '2025-10-26T17:21:21.196249Z', response: ' Yes', done: false },
				{ error: 'an error was encountered while running the model' },
			]),
		});
		const tokens: string[] = [];
		const err = await (async () => {
			for await (const t of createRemoteClient('ollama', { url: server!.url, model: 'm' }).stream(REQUEST, new AbortController().signal)) tokens.push(t.text);
		})().catch((e: unknown) => e);
		assert.deepStrictEqual(tokens, [' Yes']);
		assert.ok(err instanceof BackendError && err.kind === 'server-error', String(err));
		assert.match(err.message, /an error was encountered while running the model/);
	});

	it('reports a stream that ends without done', async () => {
		server = await ScriptedServer.start({ 'POST /api/generate': ndjson([{ model: 'm', created_at: 'x', response: 'a', done: false }]) });
		const cut = await readAll(createRemoteClient('ollama', { url: server.url, model: 'm' }).stream(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
		assert.ok(cut instanceof BackendError && cut.kind === 'stream-cut', String(cut));
	});

	it('reports a stream line that is not JSON, and a body that is not JSON', async () => {
		server = await ScriptedServer.start({
			'POST /api/generate': ndjson([{ model: 'm', created_at: 'x', response: 'a', done: false }, '<html>oops</html>']),
			'GET /api/version': (res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>oops</html>'),
		});
		const client = createRemoteClient('ollama', { url: server.url, model: 'm' });
		const line = await readAll(client.stream(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
		assert.ok(line instanceof BackendError && line.kind === 'malformed', String(line));
		const body = await client.info(new AbortController().signal).catch((e: unknown) => e);
		assert.ok(body instanceof BackendError && body.kind === 'malformed', String(body));
		assert.match(body.message, /not JSON \(it began "<html>oops<\/html>"\)/);
	});

	it('closes the HTTP stream when the request is cancelled mid-stream', async () => {
		server = await ScriptedServer.start({ 'POST /api/generate': ndjson([GENERATE_WITH_LOGPROBS[0]], { hold: true }) });
		const abort = new AbortController();
		const seen: string[] = [];
		const err = await (async () => {
			for await (const t of createRemoteClient('ollama', { url: server!.url, model: 'm' }).stream(REQUEST, abort.signal)) {
				seen.push(t.text);
				abort.abort();
			}
		})().catch((e: unknown) => e);
		assert.deepStrictEqual(seen, ['    return']);
		assert.ok(err instanceof BackendError && err.kind === 'cancelled', String(err));
		await server.closed();
	});

	it("streams /api/chat: the messages with the same options, each line's message.content and logprobs", async () => {
		// docs/api.md's streamed chat (message per line, a last line with done), with logprobs as /api/generate has them.
		const lines = [
			{ model: 'qwen2.5-coder:1.5b', created_at: '2023-08-04T08:52:19.385406455-07:00', message: { role: 'assistant', content: 'Adds', images: null }, done: false, logprobs: [{ token: 'Adds', logprob: -0.2, bytes: [65, 100, 100, 115], top_logprobs: [{ token: 'Adds', logprob: -0.2, bytes: [65] }, { token: 'Returns', logprob: -1.9, bytes: [82] }] }] },
			{ model: 'qwen2.5-coder:1.5b', created_at: '2023-08-04T08:52:19.385406455-07:00', message: { role: 'assistant', content: ' two numbers.' }, done: false },
			{ model: 'qwen2.5-coder:1.5b', created_at: '2023-08-04T19:22:45.499127Z', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', total_duration: 4883583458, prompt_eval_count: 26, eval_count: 2 },
		];
		server = await ScriptedServer.start({ 'POST /api/chat': ndjson(lines) });
		const rest = { ...REQUEST, prompt: undefined };
		const messages = [
			{ role: 'system' as const, content: 'Be brief.' },
			{ role: 'user' as const, content: 'Explain: def add(a, b): return a + b' },
		];
		const result = await readAll(createRemoteClient('ollama', { url: server.url, model: 'qwen2.5-coder:1.5b' }).chat({ ...rest, messages }, new AbortController().signal));
		assert.deepStrictEqual(server.requests[0]!.body, chatRequestBody({ ...rest, messages }, 'qwen2.5-coder:1.5b'));
		assert.deepStrictEqual((server.requests[0]!.body as { messages: unknown }).messages, messages);
		assert.strictEqual(result.text, 'Adds two numbers.');
		assert.deepStrictEqual(result.tokens[0]!.top.map((t) => t.text), ['Adds', 'Returns']);
		assert.deepStrictEqual(result.tokens[1], { text: ' two numbers.', logprob: null, top: [] });
		assert.deepStrictEqual(result.finish, { reason: 'stop', promptTokens: 26 });
	});

	it('needs a model name', async () => {
		const client = createRemoteClient('ollama', { url: 'http://127.0.0.1:11434' });
		await assert.rejects(readAll(client.stream(REQUEST, new AbortController().signal)), (e: unknown) => e instanceof BackendError && e.kind === 'unsupported' && /set the model name/.test(e.message));
		await assert.rejects(client.info(new AbortController().signal), /set the model name/);
	});
});
