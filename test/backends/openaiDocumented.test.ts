/**
 * The OpenAI-compatible client against a real HTTP server on 127.0.0.1 that
 * answers as servers that cannot run here document it: vLLM (its OpenAI
 * server's /v1/models ModelCard with max_model_len, a streamed /v1/completions
 * with the legacy logprobs shape per chunk, then `data: [DONE]`; errors as
 * `{object: "error", message, type, code}`), TGI (422 `{error, error_type}`
 * for invalid input) and LM Studio (a stream without logprobs). The same
 * client against the real llama-server is in openaiCompat.test.ts.
 */
import * as assert from 'assert';
import { BackendError, createRemoteClient, readAll, type RemoteRequest } from '../../server/src/backends';
import { completionsBody } from '../../server/src/backends/openaiCompat';
import { json, ScriptedServer, sse } from '../support/scriptedServer';

const MODEL = 'Qwen/Qwen2.5-Coder-1.5B';
const MODELS = {
	object: 'list',
	data: [{ id: MODEL, object: 'model', created: 1732000000, owned_by: 'vllm', root: MODEL, parent: null, max_model_len: 32768, permission: [] }],
};

function chunk(text: string, logprobs: unknown, finish: string | null = null): unknown {
	return { id: 'cmpl-1', object: 'text_completion', created: 1732000000, model: MODEL, choices: [{ index: 0, text, logprobs, finish_reason: finish, stop_reason: null }] };
}

const VLLM_STREAM = [
	chunk('    return', { text_offset: [0], token_logprobs: [-0.02], tokens: ['    return'], top_logprobs: [{ '    return': -0.02, '    if': -4.1 }] }),
	chunk(' a', { text_offset: [10], token_logprobs: [-0.3], tokens: [' a'], top_logprobs: [{ ' a': -0.3, ' b': -1.6 }] }),
	chunk(' + b', { text_offset: [12], token_logprobs: [-0.1, -0.05], tokens: [' +', ' b'], top_logprobs: [{ ' +': -0.1 }, { ' b': -0.05 }] }, 'length'),
	{ id: 'cmpl-1', object: 'text_completion', created: 1732000000, model: MODEL, choices: [], usage: { prompt_tokens: 21, total_tokens: 25, completion_tokens: 4 } },
	'[DONE]',
];

const REQUEST: RemoteRequest = {
	prompt: '<|fim_prefix|>def add(a, b):\n<|fim_suffix|>\n<|fim_middle|>',
	maxTokens: 4,
	temperature: 0,
	topK: 0,
	topP: 1,
	seed: 3,
	topLogprobs: 2,
	stop: ['\n\n'],
	bannedTokens: [151643],
};

describe('OpenAI-compatible client (documented bodies: vLLM, TGI, LM Studio)', function () {
	this.timeout(5000);
	let server: ScriptedServer | undefined;
	afterEach(async () => {
		await server?.stop();
		server = undefined;
	});

	it('finds the model in /v1/models with its context length, whether the URL ends in /v1 or not', async () => {
		server = await ScriptedServer.start({ 'GET /v1/models': json(200, MODELS) });
		for (const url of [server.url, `${server.url}/v1`, `${server.url}/v1/`]) {
			const info = await createRemoteClient('openai', { url, model: MODEL }).info(new AbortController().signal);
			assert.deepStrictEqual(info, { kind: 'openai', model: MODEL, logprobs: true, contextLength: 32768 });
		}
		// The only model is taken when none is configured.
		assert.strictEqual((await createRemoteClient('openai', { url: server.url }).info(new AbortController().signal)).model, MODEL);
	});

	it('says which models the server has when the configured one is not among them', async () => {
		server = await ScriptedServer.start({ 'GET /v1/models': json(200, MODELS) });
		const err = await createRemoteClient('openai', { url: server.url, model: 'gpt-4' }).info(new AbortController().signal).catch((e: unknown) => e);
		assert.ok(err instanceof BackendError && err.kind === 'not-found', String(err));
		assert.match(err.message, /does not serve model "gpt-4" \(it serves Qwen\/Qwen2\.5-Coder-1\.5B\)/);
	});

	it('sends the prompt as text with logprobs and logit_bias, never suffix, and reads the legacy shape', async () => {
		server = await ScriptedServer.start({ 'POST /v1/completions': sse(VLLM_STREAM) });
		const client = createRemoteClient('openai', { url: `${server.url}/v1`, model: MODEL, apiKey: 'team-key' });
		const result = await readAll(client.stream(REQUEST, new AbortController().signal));
		const sent = server.requests[0]!;
		assert.deepStrictEqual(sent.body, completionsBody(REQUEST, MODEL));
		assert.deepStrictEqual(sent.body, {
			model: MODEL,
			prompt: REQUEST.prompt,
			max_tokens: 4,
			temperature: 0,
			top_p: 1,
			seed: 3,
			stream: true,
			logprobs: 2,
			stop: ['\n\n'],
			logit_bias: { '151643': -100 },
		});
		assert.strictEqual(sent.headers.authorization, 'Bearer team-key');
		assert.strictEqual(result.text, '    return a + b');
		assert.deepStrictEqual(result.tokens.map((t) => t.text), ['    return', ' a', ' +', ' b']);
		assert.deepStrictEqual(result.tokens[0]!.top, [
			{ text: '    return', logprob: -0.02 },
			{ text: '    if', logprob: -4.1 },
		]);
		assert.deepStrictEqual(result.finish, { reason: 'length', promptTokens: 21 });
	});

	it('streams text without probabilities (LM Studio without logprobs), finishing on finish_reason', async () => {
		server = await ScriptedServer.start({ 'POST /v1/completions': sse([chunk('x = ', null), chunk('1', null, 'stop'), '[DONE]']) });
		const result = await readAll(createRemoteClient('openai', { url: server.url, model: MODEL }).stream({ ...REQUEST, topLogprobs: 0, stop: [], bannedTokens: [] }, new AbortController().signal));
		assert.deepStrictEqual(result.tokens, [
			{ text: 'x = ', logprob: null, top: [] },
			{ text: '1', logprob: null, top: [] },
		]);
		assert.deepStrictEqual(result.finish, { reason: 'stop' });
		const body = server.requests[0]!.body as Record<string, unknown>;
		assert.ok(!('logprobs' in body) && !('stop' in body) && !('logit_bias' in body) && !('suffix' in body));
	});

	it("reports vLLM's 404 for an unknown model, TGI's 422, and an error event inside the stream", async () => {
		server = await ScriptedServer.start({
			'POST /v1/completions': json(404, { object: 'error', message: 'The model `gpt-4` does not exist.', type: 'NotFoundError', param: null, code: 404 }),
		});
		const notFound = await readAll(createRemoteClient('openai', { url: server.url, model: 'gpt-4' }).stream(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
		assert.ok(notFound instanceof BackendError && notFound.kind === 'not-found', String(notFound));
		assert.match(notFound.message, /model "gpt-4" or the endpoint \(HTTP 404\): The model `gpt-4` does not exist\./);
		await server.stop();

		server = await ScriptedServer.start({
			'POST /v1/completions': json(422, { error: 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096. Given: 4090 `inputs` tokens and 16 `max_new_tokens`', error_type: 'validation' }),
		});
		const rejected = await readAll(createRemoteClient('openai', { url: server.url, model: MODEL }).stream(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
		assert.ok(rejected instanceof BackendError && rejected.kind === 'rejected' && rejected.status === 422, String(rejected));
		assert.match(rejected.message, /rejected the request \(HTTP 422\): Input validation error/);
		await server.stop();

		server = await ScriptedServer.start({ 'POST /v1/completions': sse([chunk('a', null), { error: { message: 'CUDA out of memory', type: 'InternalServerError', code: 500 } }]) });
		const midStream = await readAll(createRemoteClient('openai', { url: server.url, model: MODEL }).stream(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
		assert.ok(midStream instanceof BackendError && midStream.kind === 'server-error', String(midStream));
		assert.match(midStream.message, /failed while generating: CUDA out of memory/);
	});

	it('reports a stream cut before [DONE] or a finish_reason, and an event that is not JSON', async () => {
		server = await ScriptedServer.start({ 'POST /v1/completions': sse([chunk('a', null)]) });
		const cut = await readAll(createRemoteClient('openai', { url: server.url, model: MODEL }).stream(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
		assert.ok(cut instanceof BackendError && cut.kind === 'stream-cut', String(cut));
		await server.stop();
		server = await ScriptedServer.start({ 'POST /v1/completions': sse(['{"choices": [', '[DONE]']) });
		const bad = await readAll(createRemoteClient('openai', { url: server.url, model: MODEL }).stream(REQUEST, new AbortController().signal)).catch((e: unknown) => e);
		assert.ok(bad instanceof BackendError && bad.kind === 'malformed', String(bad));
	});

	it('refuses token-id prompts (text only)', async () => {
		const client = createRemoteClient('openai', { url: 'http://127.0.0.1:1234', model: MODEL });
		assert.strictEqual(client.acceptsTokenIds, false);
		await assert.rejects(readAll(client.stream({ ...REQUEST, prompt: [1, 2, 3] }, new AbortController().signal)), (e: unknown) => e instanceof BackendError && e.kind === 'unsupported');
	});
});
