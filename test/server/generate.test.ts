/**
 * The panel's glassbox/generate and glassbox/attention requests on the
 * embedded model: token probabilities and attention that add up.
 */
import * as assert from 'assert';
import { packedHeadSize, packedRowOffset, type AttentionLayerData } from '../../protocol/generation';
import { AttentionRequest, GenerateRequest, LastCompletionRequest } from '../../protocol/lsp';
import { firstItemText, ServerHarness } from '../support/serverHarness';

/** Each causal row of a layer holds a distribution: weights rounded to 1/255 that add up to 255. */
function assertRowsSumToOne(data: AttentionLayerData, layer: number): void {
	const bytes = Buffer.from(data.data, 'base64');
	const per = packedHeadSize(data.totalTokens, data.rowStart);
	assert.strictEqual(bytes.length, per * data.heads);
	for (let h = 0; h < data.heads; h++) {
		for (let r = data.rowStart; r < data.totalTokens; r++) {
			const off = h * per + packedRowOffset(r, data.rowStart);
			let sum = 0;
			for (let k = 0; k <= r; k++) {
				sum += bytes[off + k];
			}
			assert.ok(Math.abs(sum - 255) <= (r + 1) / 2 + 1, `layer ${layer} head ${h} row ${r}: ${sum}`);
		}
	}
}

describe('generate and attention over LSP (embedded model)', function () {
	this.timeout(20_000);
	let server: ServerHarness;
	before(async function () {
		this.timeout(60_000);
		server = await ServerHarness.start();
		assert.strictEqual((await server.waitForState(['ready', 'error'])).state, 'ready');
	});
	after(() => server?.dispose());

	const greedy = { maxNewTokens: 16, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 1 };

	it('generates with per-step probabilities, alternatives and entropy', async () => {
		const record = await server.connection.sendRequest(GenerateRequest, { prompt: 'def fibonacci(n):\n', sampling: greedy });
		assert.ok(record.steps.length > 0 && record.steps.length <= 16);
		assert.strictEqual(record.text, record.steps.map((s) => s.text).join(''));
		for (const step of record.steps) {
			// Greedy: the chosen token is the most likely one, unless control tokens (never output) ranked above it.
			const rank = step.top.findIndex((t) => t.id === step.id);
			assert.ok(rank >= 0, 'the chosen token is among the alternatives');
			assert.ok(step.top.slice(0, rank).every((t) => /^<[^<>]+>$/.test(t.text)), JSON.stringify(step.top.slice(0, rank)));
			assert.ok(Math.abs(step.top[rank].prob - step.prob) < 1e-6);
			assert.ok(step.entropy >= 0 && step.entropy < Math.log(100_000));
			assert.ok(step.top.every((t, i) => i === 0 || t.prob <= step.top[i - 1].prob));
		}
		// The embedded model saw <|endoftext|> before every document in training: the prompt starts with it.
		assert.strictEqual(record.promptTokens.join(''), '<|endoftext|>def fibonacci(n):\n');
		// Control tokens are never output, even where the model ranks them first.
		assert.ok(!/<fim_(prefix|suffix|middle|pad)>|<\|endoftext\|>/.test(record.text), record.text);
	});

	it('the same seed samples the same tokens', async () => {
		const sampled = { ...greedy, greedy: false, temperature: 0.9, topK: 40, topP: 0.95, seed: 1234 };
		const a = await server.connection.sendRequest(GenerateRequest, { prompt: 'import ', sampling: sampled });
		const b = await server.connection.sendRequest(GenerateRequest, { prompt: 'import ', sampling: sampled });
		assert.deepStrictEqual(a.steps.map((s) => s.id), b.steps.map((s) => s.id));
	});

	it('attention rows are causal and sum to one, layer by layer', async () => {
		const record = await server.connection.sendRequest(GenerateRequest, { prompt: 'class Point:\n    def __init__(self, x, y):\n', sampling: greedy });
		const shape = record.attention!;
		assert.ok(shape, 'the embedded model has attention outputs');
		assert.strictEqual(shape.rowStart, 0);
		// Every token the model read has a row; the last generated one is read back only when an end token followed it.
		const read = record.promptTokens.length + record.steps.length - (record.stopReason === 'eos' ? 0 : 1);
		assert.strictEqual(shape.totalTokens, read);
		for (let layer = 0; layer < shape.layers; layer++) {
			assertRowsSumToOne(await server.connection.sendRequest(AttentionRequest, { generationId: record.id, layer }), layer);
		}
		await assert.rejects(server.connection.sendRequest(AttentionRequest, { generationId: record.id, layer: shape.layers }));
	});

	it('the last inline completion can be inspected', async () => {
		const uri = 'file:///work/inspect.py';
		await server.open(uri, 'python', 'import os\n\n\ndef home():\n    return os.path.');
		const text = firstItemText(await server.complete(uri, { line: 4, character: 19 }));
		const last = await server.connection.sendRequest(LastCompletionRequest);
		assert.ok(last);
		assert.strictEqual(last.kind, 'completion');
		assert.strictEqual(last.text, text);
		// A completion's attention is the suggested tokens' rows (over the whole prompt), computed when first asked for.
		assert.ok(last.attention);
		assert.ok(last.steps.length > 1, 'a completion of several tokens');
		assert.strictEqual(last.attention.rowStart, last.promptTokens.length);
		assert.strictEqual(last.attention.totalTokens, last.promptTokens.length + last.steps.length);
		for (let layer = 0; layer < last.attention.layers; layer++) {
			const data: AttentionLayerData = await server.connection.sendRequest(AttentionRequest, { generationId: last.id, layer });
			assert.strictEqual(data.rowStart, last.promptTokens.length);
			assert.strictEqual(data.totalTokens, last.attention.totalTokens);
			assertRowsSumToOne(data, layer);
		}
	});
});
