/**
 * The llama.cpp client against the real llama-server serving glassbox-mini
 * (test/support/llamaServer.ts): the model's facts, the server's tokenizer and
 * FIM ids, streamed tokens with ids and top-k log probabilities from a
 * token-id prompt, the prompt cache, cancellation and an early exit that
 * close the HTTP stream so that the server stops generating (its log says so,
 * and /slots shows the slot idle), a wrong API key, and a server killed
 * mid-stream and restarted.
 */
import * as assert from 'assert';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { BackendError, createRemoteClient, readAll, specialTokenId, type RemoteClient, type RemoteRequest } from '../../server/src/backends';
import { LlamaServer } from '../support/llamaServer';
import { loadTokenizer } from '../model/modelHarness';

const CONTROL = [4091, 4092, 4093, 4094, 4095];
const PROMPT = 'import os\n\n\ndef read_lines(path):\n    """Return the lines of a text file."""\n    with open(path) as f:\n';

function request(prompt: number[], extra: Partial<RemoteRequest> = {}): RemoteRequest {
	return { prompt, maxTokens: 12, temperature: 0, topK: 0, topP: 1, seed: 1, topLogprobs: 5, stop: [], bannedTokens: CONTROL, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<BackendError> {
	const err = await promise.then(
		() => undefined,
		(e: unknown) => e,
	);
	assert.ok(err instanceof BackendError, `expected a BackendError, got ${String(err)}`);
	return err;
}

describe('llama.cpp client against llama-server', function () {
	this.timeout(10000);
	let server: LlamaServer;
	let client: RemoteClient;
	let tokenizer: PreTrainedTokenizer;
	let prompt: number[];

	before(async function () {
		this.timeout(120000);
		[server, tokenizer] = await Promise.all([LlamaServer.start(), loadTokenizer()]);
		client = createRemoteClient('llama.cpp', { url: server.url });
		prompt = tokenizer.encode(PROMPT, { add_special_tokens: false });
	});

	after(async () => {
		await server?.stop();
	});

	it("reports the model, its context and vocabulary", async () => {
		const info = await client.info(new AbortController().signal);
		assert.strictEqual(info.kind, 'llama.cpp');
		assert.strictEqual(info.model, 'glassbox-mini');
		assert.strictEqual(info.contextLength, 2048);
		assert.strictEqual(info.vocabSize, 4096);
		assert.strictEqual(info.logprobs, true);
		assert.ok(info.version, 'build info');
	});

	it("tokenizes like the project's tokenizer and finds the FIM ids by their text", async () => {
		const signal = new AbortController().signal;
		assert.deepStrictEqual(await client.tokenize!(PROMPT, signal), prompt);
		assert.strictEqual(await specialTokenId(client, '<fim_prefix>', signal), 4092);
		assert.strictEqual(await specialTokenId(client, '<fim_middle>', signal), 4093);
		assert.strictEqual(await specialTokenId(client, '<fim_suffix>', signal), 4094);
		assert.strictEqual(await specialTokenId(client, '<fim_begin>', signal), undefined);
		assert.strictEqual(await specialTokenId(client, 'def', signal), undefined);
	});

	it("gives each token's bytes with /tokenize's pieces, control tokens spelled out", async () => {
		const signal = new AbortController().signal;
		const pieces = await client.tokenizePieces!(PROMPT, signal);
		assert.deepStrictEqual(pieces.map((p) => p.id), prompt);
		assert.strictEqual(Buffer.concat(pieces.map((p) => p.bytes)).toString('utf8'), PROMPT);
		// The rocket is four byte tokens, none valid UTF-8 alone: sent as numbers, kept as bytes.
		const rocket = await client.tokenizePieces!('🚀', signal);
		assert.strictEqual(rocket.length, 4);
		assert.deepStrictEqual([...Buffer.concat(rocket.map((p) => p.bytes))], [...Buffer.from('🚀')]);
		const [fim] = await client.tokenizePieces!('<fim_prefix>', signal, { special: true });
		assert.deepStrictEqual({ id: fim!.id, text: Buffer.from(fim!.bytes).toString() }, { id: 4092, text: '<fim_prefix>' });
	});

	it("streams a chat through the server's chat endpoint, with top-k log probabilities", async () => {
		const chat = { ...request(prompt, { maxTokens: 6 }), messages: [{ role: 'user' as const, content: 'Summarize: def add(a, b): return a + b' }] };
		const result = await readAll(client.chat(chat, new AbortController().signal));
		assert.strictEqual(result.tokens.length, 6);
		assert.ok(result.tokens.every((t) => t.logprob !== null && t.top.length === 5 && Number.isInteger(t.id)));
		// The model has no chat template; llama-server formats the chat as ChatML.
		assert.deepStrictEqual(result.finish, { reason: 'length' });
	});

	it('streams greedy tokens with ids, log probabilities and the top 5, and how it finished', async () => {
		const result = await readAll(client.stream(request(prompt), new AbortController().signal));
		assert.strictEqual(result.tokens.length, 12);
		for (const t of result.tokens) {
			assert.ok(Number.isInteger(t.id), 'token id');
			assert.ok(t.logprob !== null && t.logprob <= 0);
			assert.strictEqual(t.top.length, 5);
			assert.ok(t.top.every((a, i) => i === 0 || a.logprob <= t.top[i - 1]!.logprob), 'best first');
			// Greedy: the chosen token is the most likely one that is not banned.
			const best = t.top.find((a) => !CONTROL.includes(a.id!))!;
			assert.strictEqual(t.id, best.id);
			assert.ok(Math.abs(t.logprob! - best.logprob) < 1e-6);
		}
		assert.strictEqual(result.text, tokenizer.decode(result.tokens.map((t) => t.id!), { skip_special_tokens: false }));
		assert.deepStrictEqual(result.finish, { reason: 'length', promptTokens: prompt.length, cachedTokens: 0 });
	});

	it("reuses the server's prompt cache for a repeated prefix", async () => {
		const first = await readAll(client.stream(request(prompt, { maxTokens: 2 }), new AbortController().signal));
		const again = await readAll(client.stream(request(prompt, { maxTokens: 2 }), new AbortController().signal));
		assert.strictEqual(again.text, first.text);
		assert.ok((again.finish?.cachedTokens ?? 0) >= prompt.length - 1, JSON.stringify(again.finish));
		const uncached = await readAll(client.stream(request(prompt, { maxTokens: 2, cachePrompt: false }), new AbortController().signal));
		assert.strictEqual(uncached.finish?.cachedTokens, 0);
		// A stream left after its first token (a stop rule fired) knows what the cache gave too.
		const early = client.stream(request(prompt, { maxTokens: 20 }), new AbortController().signal);
		const seen: string[] = [];
		for await (const token of early) {
			seen.push(token.text);
			break;
		}
		assert.strictEqual(seen.length, 1);
		assert.strictEqual(early.finish, undefined);
		assert.deepStrictEqual(early.prompt, { promptTokens: prompt.length, cachedTokens: prompt.length - 1 });
	});

	it('cancelling closes the HTTP stream and the server stops generating', async () => {
		const from = server.log.length;
		const abort = new AbortController();
		const received: string[] = [];
		const err = await failure(
			(async () => {
				for await (const token of client.stream(request(prompt, { maxTokens: 1500 }), abort.signal)) {
					if (received.push(token.text) === 3) abort.abort();
				}
			})(),
		);
		assert.strictEqual(err.kind, 'cancelled');
		const generated = (await server.generationEnd(from)).tokens - prompt.length;
		assert.ok(generated < 1500, `the server generated ${generated} tokens`);
		console.log(`      the server generated ${generated} tokens before it saw the cancel`);
		assert.deepStrictEqual((await server.slots()).map((s) => s.isProcessing), [false]);
	});

	it('leaving the loop early closes the HTTP stream too', async () => {
		const from = server.log.length;
		const received: string[] = [];
		for await (const token of client.stream(request(prompt, { maxTokens: 1500 }), new AbortController().signal)) {
			if (received.push(token.text) === 2) break;
		}
		assert.ok((await server.generationEnd(from)).tokens - prompt.length < 1500);
		// The server answers the next request at once.
		assert.strictEqual((await readAll(client.stream(request(prompt, { maxTokens: 3 }), new AbortController().signal))).tokens.length, 3);
	});

	describe('with --api-key', () => {
		let guarded: LlamaServer;
		before(async function () {
			this.timeout(60000);
			guarded = await LlamaServer.start({ apiKey: 'glassbox-test-key' });
		});
		after(async () => {
			await guarded?.stop();
		});

		it('a wrong or missing key is refused with a clear message; the right one works', async () => {
			for (const apiKey of ['wrong-key', undefined]) {
				const c = createRemoteClient('llama.cpp', { url: guarded.url, apiKey });
				const info = await failure(c.info(new AbortController().signal));
				assert.strictEqual(info.kind, 'unauthorized');
				assert.strictEqual(info.status, 401);
				assert.match(info.message, /refused the API key \(HTTP 401\): Invalid API Key\. Set it with "Glassbox: Set Server API Key"\./);
				const stream = await failure(readAll(c.stream(request(prompt), new AbortController().signal)));
				assert.strictEqual(stream.kind, 'unauthorized');
			}
			const ok = createRemoteClient('llama.cpp', { url: guarded.url, apiKey: 'glassbox-test-key' });
			assert.strictEqual((await readAll(ok.stream(request(prompt, { maxTokens: 2 }), new AbortController().signal))).tokens.length, 2);
		});
	});

	describe('a server killed mid-stream', () => {
		let doomed: LlamaServer;
		before(async function () {
			this.timeout(60000);
			doomed = await LlamaServer.start();
		});
		after(async () => {
			await doomed?.stop();
		});

		it('ends the stream with stream-cut, then refused, and completions come back after a restart', async function () {
			this.timeout(60000);
			const c = createRemoteClient('llama.cpp', { url: doomed.url });
			const received: string[] = [];
			const err = await failure(
				(async () => {
					for await (const token of c.stream(request(prompt, { maxTokens: 1500 }), new AbortController().signal)) {
						if (received.push(token.text) === 2) await doomed.kill();
					}
				})(),
			);
			assert.strictEqual(err.kind, 'stream-cut', err.message);
			assert.match(err.message, /closed the stream before the completion ended/);
			const down = await failure(c.info(new AbortController().signal));
			assert.strictEqual(down.kind, 'refused');
			doomed = await doomed.restart();
			const back = await readAll(c.stream(request(prompt, { maxTokens: 4 }), new AbortController().signal));
			assert.strictEqual(back.tokens.length, 4);
		});
	});
});
