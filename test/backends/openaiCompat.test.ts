/**
 * The OpenAI-compatible client against the real llama-server's /v1 (its
 * /v1/completions sends logprobs in the `content[]` shape, with ids): the
 * model list, a FIM prompt sent as text giving the same greedy tokens as the
 * llama.cpp client gives for the same prompt as token ids, top-k log
 * probabilities, cancellation that stops the server, and a wrong API key.
 */
import * as assert from 'assert';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { BackendError, createRemoteClient, readAll, type RemoteRequest } from '../../server/src/backends';
import { LlamaServer } from '../support/llamaServer';
import { loadTokenizer } from '../model/modelHarness';

const CONTROL = [4091, 4092, 4093, 4094, 4095];
/** glassbox-mini is trained suffix-first: <fim_suffix>suffix<fim_prefix>prefix<fim_middle>. */
const FIM_TEXT = '<fim_suffix>\n    return total\n<fim_prefix>def total_length(items):\n    total = 0\n    for item in items:\n<fim_middle>';

function request(prompt: string | number[], extra: Partial<RemoteRequest> = {}): RemoteRequest {
	return { prompt, maxTokens: 16, temperature: 0, topK: 0, topP: 1, seed: 1, topLogprobs: 4, stop: [], bannedTokens: CONTROL, ...extra };
}

describe('OpenAI-compatible client against llama-server /v1', function () {
	this.timeout(10000);
	let server: LlamaServer;
	let tokenizer: PreTrainedTokenizer;

	before(async function () {
		this.timeout(120000);
		[server, tokenizer] = await Promise.all([LlamaServer.start(), loadTokenizer()]);
	});

	after(async () => {
		await server?.stop();
	});

	it('reads the model list: the served model and its context', async () => {
		const info = await createRemoteClient('openai', { url: `${server.url}/v1` }).info(new AbortController().signal);
		assert.deepStrictEqual(info, { kind: 'openai', model: 'glassbox-mini', logprobs: true, contextLength: 2048, vocabSize: 4096 });
	});

	it('gives the same greedy tokens for a FIM prompt as text as the llama.cpp client does for its token ids', async () => {
		const ids = tokenizer.encode(FIM_TEXT, { add_special_tokens: false });
		assert.strictEqual(ids[0], 4094, 'the FIM markers are single tokens');
		const viaIds = await readAll(createRemoteClient('llama.cpp', { url: server.url }).stream(request(ids), new AbortController().signal));
		const viaText = await readAll(createRemoteClient('openai', { url: server.url, model: 'glassbox-mini' }).stream(request(FIM_TEXT), new AbortController().signal));
		assert.ok(viaText.text.length > 0);
		assert.strictEqual(viaText.text, viaIds.text);
		assert.deepStrictEqual(viaText.tokens.map((t) => t.id), viaIds.tokens.map((t) => t.id));
		for (const [i, t] of viaText.tokens.entries()) {
			assert.strictEqual(t.top.length, 4);
			assert.ok(t.logprob !== null && Math.abs(t.logprob - viaIds.tokens[i]!.logprob!) < 1e-4, `token ${i} log probability`);
		}
		assert.strictEqual(viaText.finish?.reason, 'length');
		assert.strictEqual(viaText.finish?.promptTokens, ids.length);
		// usage.prompt_tokens_details.cached_tokens: the llama.cpp client's request left this prompt in the cache.
		assert.strictEqual(viaText.finish?.cachedTokens, ids.length - 1);
	});

	it('streams /v1/chat/completions with logprobs.content[], and gives the same tokens as the llama.cpp client', async () => {
		const messages = [{ role: 'user' as const, content: 'Explain: x = [i * i for i in range(10)]' }];
		const base = { maxTokens: 8, temperature: 0, topK: 0, topP: 1, seed: 1, topLogprobs: 3, stop: [], bannedTokens: CONTROL, messages };
		const viaOpenAi = await readAll(createRemoteClient('openai', { url: `${server.url}/v1`, model: 'glassbox-mini' }).chat(base, new AbortController().signal));
		const viaLlama = await readAll(createRemoteClient('llama.cpp', { url: server.url }).chat(base, new AbortController().signal));
		assert.strictEqual(viaOpenAi.tokens.length, 8);
		assert.ok(viaOpenAi.tokens.every((t) => t.top.length === 3 && t.logprob !== null));
		assert.strictEqual(viaOpenAi.text, viaLlama.text);
		assert.strictEqual(viaOpenAi.finish?.reason, 'length');
	});

	it('cancelling closes the HTTP stream and the server stops generating', async () => {
		const from = server.log.length;
		const abort = new AbortController();
		const received: string[] = [];
		const err = await (async () => {
			for await (const token of createRemoteClient('openai', { url: server.url }).stream(request(FIM_TEXT, { maxTokens: 1500 }), abort.signal)) {
				if (received.push(token.text) === 3) abort.abort();
			}
		})().catch((e: unknown) => e);
		assert.ok(err instanceof BackendError && err.kind === 'cancelled', String(err));
		const end = await server.generationEnd(from);
		assert.ok(end.tokens < 1500, `the server generated up to ${end.tokens} tokens`);
		assert.deepStrictEqual((await server.slots()).map((s) => s.isProcessing), [false]);
	});

	describe('with --api-key', () => {
		let guarded: LlamaServer;
		before(async function () {
			this.timeout(60000);
			guarded = await LlamaServer.start({ apiKey: 'team-key' });
		});
		after(async () => {
			await guarded?.stop();
		});

		it('a wrong key is refused with a clear message; the right one works', async () => {
			const wrong = createRemoteClient('openai', { url: guarded.url, apiKey: 'nope' });
			const err = await readAll(wrong.stream(request(FIM_TEXT), new AbortController().signal)).catch((e: unknown) => e);
			assert.ok(err instanceof BackendError && err.kind === 'unauthorized', String(err));
			assert.match(err.message, /OpenAI-compatible server at http:\/\/127\.0\.0\.1:\d+ refused the API key \(HTTP 401\)/);
			const right = createRemoteClient('openai', { url: guarded.url, apiKey: 'team-key' });
			assert.strictEqual((await right.info(new AbortController().signal)).model, 'glassbox-mini');
			assert.ok((await readAll(right.stream(request(FIM_TEXT, { maxTokens: 3 }), new AbortController().signal))).tokens.length > 0);
		});
	});
});
