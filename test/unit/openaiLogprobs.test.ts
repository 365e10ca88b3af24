/**
 * The two logprobs shapes of OpenAI-compatible completions, on chunks written
 * from the servers' documentation and source:
 * - legacy: OpenAI's API reference for the (legacy) Completions object, `logprobs:
 *   {tokens, token_logprobs, top_logprobs, text_offset}`, and vLLM's CompletionLogProbs
 *   (vllm/entrypoints/openai/protocol.py), which streams one such
 *   object per chunk and spells tokens `token_id:<id>` under --return-tokens-as-token-ids;
 * - per-token objects: OpenAI's Chat Completions `logprobs.content[]`, the shape llama-server
 *   (tag v0.4.0, tools/server/server-task.cpp) also sends for /v1/completions, with `id`.
 * The real llama-server is exercised in test/backends/openaiCompat.test.ts.
 */
import * as assert from 'assert';
import { choiceTokens, logprobTokens, ShapeError } from '../../server/src/backends/openaiLogprobs';

describe('OpenAI-compatible logprobs shapes', () => {
	it('reads the legacy shape, alternatives best first whatever the dictionary order', () => {
		const choice = {
			text: ' world',
			index: 0,
			logprobs: {
				tokens: [' world'],
				token_logprobs: [-0.31],
				top_logprobs: [{ ' there': -2.1, ' world': -0.31, ' everyone': -3.4 }],
				text_offset: [5],
			},
			finish_reason: null,
		};
		const [token, ...rest] = choiceTokens(choice);
		assert.deepStrictEqual(rest, []);
		assert.deepStrictEqual(token, {
			text: ' world',
			logprob: -0.31,
			top: [
				{ text: ' world', logprob: -0.31 },
				{ text: ' there', logprob: -2.1 },
				{ text: ' everyone', logprob: -3.4 },
			],
		});
	});

	it('splits a chunk of several legacy tokens by their texts', () => {
		const tokens = choiceTokens({
			text: 'return x',
			logprobs: { tokens: ['return', ' x'], token_logprobs: [-0.5, -1.5], top_logprobs: [{ return: -0.5 }, { ' x': -1.5, ' y': -1.7 }], text_offset: [0, 6] },
		});
		assert.deepStrictEqual(tokens.map((t) => t.text), ['return', ' x']);
		assert.deepStrictEqual(tokens.map((t) => t.logprob), [-0.5, -1.5]);
		assert.strictEqual(tokens[1]!.top.length, 2);
	});

	it("reads vLLM's token_id spelling as ids", () => {
		const [token] = logprobTokens({ tokens: ['token_id:42'], token_logprobs: [-0.2], top_logprobs: [{ 'token_id:42': -0.2, 'token_id:7': -1.9 }], text_offset: [0] });
		assert.strictEqual(token!.id, 42);
		assert.deepStrictEqual(token!.top.map((a) => a.id), [42, 7]);
	});

	it('keeps the text exact when the token texts do not spell it (token ids, trimmed stop strings)', () => {
		const tokens = choiceTokens({
			text: 'ab',
			logprobs: { tokens: ['token_id:1', 'token_id:2'], token_logprobs: [-1, -2], top_logprobs: [null, null], text_offset: [0, 1] },
		});
		assert.deepStrictEqual(tokens.map((t) => t.text), ['ab', '']);
		assert.deepStrictEqual(tokens.map((t) => t.id), [1, 2]);
		assert.deepStrictEqual(tokens.map((t) => t.top), [[], []]);
	});

	it('takes a null logprob (the first token of an echoed prompt) as unknown', () => {
		const [token] = logprobTokens({ tokens: ['x'], token_logprobs: [null], top_logprobs: [null], text_offset: [0] });
		assert.strictEqual(token!.logprob, null);
	});

	it('reads the per-token shape with ids, as llama-server sends it', () => {
		const choice = {
			text: '    return',
			index: 0,
			logprobs: {
				content: [
					{
						id: 274,
						token: '    return',
						bytes: [32, 32, 32, 32, 114, 101, 116, 117, 114, 110],
						logprob: -0.0123,
						top_logprobs: [
							{ id: 274, token: '    return', bytes: [32], logprob: -0.0123 },
							{ id: 300, token: '    if', bytes: [32], logprob: -4.9 },
						],
					},
				],
			},
			finish_reason: null,
		};
		const [token] = choiceTokens(choice);
		assert.deepStrictEqual(token, {
			id: 274,
			text: '    return',
			logprob: -0.0123,
			top: [
				{ id: 274, text: '    return', logprob: -0.0123 },
				{ id: 300, text: '    if', logprob: -4.9 },
			],
		});
	});

	it('gives one token without probabilities when a chunk has no logprobs, and none for empty text', () => {
		assert.deepStrictEqual(choiceTokens({ text: 'abc', logprobs: null }), [{ text: 'abc', logprob: null, top: [] }]);
		assert.deepStrictEqual(choiceTokens({ text: '', logprobs: null, finish_reason: 'stop' }), []);
	});

	it('rejects shapes that are neither, saying what is wrong', () => {
		assert.throws(() => logprobTokens({ something: [] }), (e: unknown) => e instanceof ShapeError && /neither "content" nor "tokens"/.test(e.message));
		assert.throws(() => logprobTokens('x'), ShapeError);
		assert.throws(() => logprobTokens({ content: [{ logprob: -1 }] }), /has no "token"/);
		assert.throws(() => logprobTokens({ tokens: ['a'], token_logprobs: ['bad'] }), /token_logprobs\[0\] is not a number/);
		assert.throws(() => logprobTokens({ tokens: ['a'], token_logprobs: [-1], top_logprobs: [{ a: 'x' }] }), /is not a number/);
		assert.throws(() => choiceTokens({ logprobs: null }), /without "text"/);
	});
});
