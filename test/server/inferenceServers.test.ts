/**
 * The language server with an inference server as its backend, over a real
 * LSP connection, against the real llama-server serving the embedded model as
 * GGUF (test/support/llamaServer.ts): the `llama.cpp` backend (token ids from
 * the server's /tokenize) and the `openai` backend (llama-server's
 * /v1/completions, text prompts, the local tokenizer of the same model)
 * suggest what the local engine suggests on fixed cases; the Inspector's
 * prompt comes back with top-k probabilities; a cancelled completion closes
 * the HTTP stream and the server stops; a server killed mid-stream, a wrong
 * API key, a URL where nothing listens, one that answers garbage and one that
 * never answers each give a clear status and empty completions, never a hang,
 * and completions come back by themselves.
 */
import * as assert from 'assert';
import { CancellationTokenSource, type Position } from 'vscode-languageserver-protocol/node';
import { GenerateRequest, LastCompletionRequest, TextTaskRequest, type ModelStatus } from '../../protocol/lsp';
import { LlamaServer } from '../support/llamaServer';
import { closedPort, rawServer } from '../support/rawServer';
import { firstItemText, ServerHarness } from '../support/serverHarness';

/**
 * Cases where the local engine suggests something (greedy). The GGUF's next-token
 * probabilities are within 3e-3 of the ONNX model's (test/model/ggufParity.test.ts), so greedy
 * choices agree unless two tokens are that close; on these cases the suggested text and every
 * token are the same.
 */
const CASES: { language: string; before: string; after?: string }[] = [
	{ language: 'python', before: 'def total_length(items):\n    total = 0\n    for item in items:\n        total += len(item)\n    ret' },
	{ language: 'python', before: 'import os\n\n\ndef read_lines(path):\n    """Return the lines of a text file."""\n    with open(path) as f:\n        ' },
	{ language: 'python', before: 'class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n\n    def __repr__(self):\n        ' },
	{ language: 'typescript', before: 'export function add(a: number, b: number): number {\n\treturn a + b;\n}\n\nexport function multiply(a: number, b: number): number {\n\t', after: '\n}\n' },
	{ language: 'python', before: 'for i in range(10):\n    print(', after: ')\n' },
	{ language: 'javascript', before: 'const fs = require("fs");\nconst text = fs.readFileSync(' },
];

/**
 * A prompt cut inside `${`: the model's first choice does not re-spell the cut token, so healing
 * needs the constrained choice (on llama.cpp, one-token requests over the top 40).
 */
const HEAL_CASE = { language: 'typescript', before: 'function greet(name: string): string {\n  return `Hello, ${', after: '\n}\n' };

/** A Python list the model continues for all of 512 tokens: the server is still generating when a test acts. */
const ENDLESS = 'xs = [1, 2, 3, 4, 5, 6, 7, 8, ';

function endOf(text: string): Position {
	const lines = text.split('\n');
	return { line: lines.length - 1, character: lines[lines.length - 1].length };
}

function settings(backend: string, serverUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
	return { backend, serverUrl, serverModel: 'glassbox-mini', serverTimeoutMs: 5000, ...extra };
}

/** Suggestions and their token ids for `cases`. */
async function suggestions(harness: ServerHarness, cases = CASES): Promise<{ text: string; ids: number[] }[]> {
	const out: { text: string; ids: number[] }[] = [];
	for (const [i, c] of cases.entries()) {
		const uri = `file:///work/case${i}.${c.language === 'python' ? 'py' : 'ts'}`;
		await harness.open(uri, c.language, c.before + (c.after ?? ''));
		const text = firstItemText(await harness.complete(uri, endOf(c.before)));
		const record = await harness.connection.sendRequest(LastCompletionRequest);
		out.push({ text, ids: record?.steps.map((s) => s.id) ?? [] });
	}
	return out;
}

async function started(options: Parameters<typeof ServerHarness.start>[0], states: ModelStatus['state'][] = ['ready']): Promise<ServerHarness> {
	const harness = await ServerHarness.start(options);
	const status = await harness.waitForState(['ready', 'error', 'unavailable']);
	assert.ok(states.includes(status.state), `${status.state}: ${status.message}\n${harness.logs.join('\n')}`);
	return harness;
}

describe('inference servers as the backend, over LSP (real llama-server)', function () {
	// Seconds per test: a hang fails fast. Starting servers gets its own limit.
	this.timeout(20_000);
	let llama: LlamaServer;
	const harnesses: ServerHarness[] = [];
	const track = (h: ServerHarness) => {
		harnesses.push(h);
		return h;
	};

	before(async function () {
		this.timeout(180_000);
		llama = await LlamaServer.start();
	});
	afterEach(async () => {
		await Promise.all(harnesses.splice(0).map((h) => h.dispose()));
	});
	after(async () => {
		await llama?.stop();
	});

	describe('the same suggestions as the local engine', () => {
		let local: { text: string; ids: number[] }[];
		let localHealed: { text: string; ids: number[] };
		before(async function () {
			this.timeout(60_000);
			const harness = await started({ settings: { completion: { multiline: 'auto' } } });
			local = await suggestions(harness);
			[localHealed] = await suggestions(harness, [HEAL_CASE]);
			await harness.dispose();
			assert.ok(local.every((s) => s.text !== ''), `every case suggests something locally: ${JSON.stringify(local)}`);
		});

		it("llama.cpp backend: where the model's first choice does not re-spell the cut token, one-token requests over its top 40 do, as the local engine does", async () => {
			const h = track(await started({ settings: settings('llama.cpp', llama.url) }));
			const from = llama.log.length;
			assert.deepStrictEqual(await suggestions(h, [HEAL_CASE]), [localHealed]);
			// The stream closed at its first token, a one-token healing request, then the completion.
			const tasks = llama.log.slice(from).match(/\| task \d+ \| processing task/g) ?? [];
			assert.ok(tasks.length >= 3, `${tasks.length} tasks:\n${llama.log.slice(from)}`);
		});

		it('llama.cpp backend: prompts as token ids from its /tokenize, healed in the stream', async () => {
			const h = track(await started({ settings: settings('llama.cpp', llama.url) }));
			const status = h.lastStatus!;
			assert.deepStrictEqual(status.server, { kind: 'llama.cpp', origin: llama.url, model: 'glassbox-mini', tokenizer: 'server' });
			assert.strictEqual(status.fim, true);
			assert.strictEqual(status.contextLength, 2048);
			assert.deepStrictEqual(await suggestions(h), local);
			const record = await h.connection.sendRequest(LastCompletionRequest);
			assert.match(record!.server!, /^glassbox-mini on the llama\.cpp server at http:\/\/127\.0\.0\.1:\d+$/);
			assert.strictEqual(record!.attention, null);
			// A keystroke later (a backspace), llama-server's prompt cache holds all but the prompt's end.
			const uri = 'file:///work/case0.py';
			const typed = CASES[0]!.before.slice(0, -1);
			await h.replace(uri, typed);
			const before = await h.stats();
			await h.complete(uri, endOf(typed));
			// Once idle, so that the prefetch that follows an answer is counted apart.
			const [stats] = await h.completionsSince(before);
			assert.ok(stats, 'the completion was recorded');
			assert.ok(stats.promptReused >= stats.promptTokens - 2 && stats.promptComputed <= 2, JSON.stringify(stats));
		});

		it("openai backend: llama-server's /v1/completions, text prompts counted and healed with the local tokenizer of the same model", async () => {
			const h = track(await started({ settings: settings('openai', `${llama.url}/v1`) }));
			assert.deepStrictEqual(h.lastStatus!.server, { kind: 'openai', origin: llama.url, model: 'glassbox-mini', tokenizer: 'local' });
			assert.deepStrictEqual(await suggestions(h), local);
		});
	});

	it("the Inspector's prompt through llama.cpp and openai: tokens with top-k probabilities, entropy estimated, no attention", async () => {
		for (const [backend, url, k] of [
			['llama.cpp', llama.url, 8],
			['openai', `${llama.url}/v1`, 5],
		] as const) {
			const h = track(await started({ settings: settings(backend, url) }));
			const record = await h.connection.sendRequest(GenerateRequest, {
				prompt: 'def fibonacci(n):\n',
				sampling: { maxNewTokens: 12, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 0 },
			});
			assert.strictEqual(record.steps.length, 12, backend);
			for (const step of record.steps) {
				assert.strictEqual(step.top.length, k, backend);
				assert.ok(step.prob > 0 && step.prob <= 1 && Math.abs(Math.log(step.prob) - step.logprob) < 1e-9);
				assert.strictEqual(step.entropyEstimated, true);
				assert.ok(step.entropy >= 0 && Number.isFinite(step.entropy));
				// Greedy: the chosen token is the most likely one.
				assert.strictEqual(step.id, step.top[0]!.id, `${backend}: ${JSON.stringify(step)}`);
			}
			assert.strictEqual(record.attention, null);
			assert.ok(record.server?.includes(backend === 'openai' ? 'OpenAI-compatible server' : 'llama.cpp server'), record.server);
			assert.strictEqual(record.text, record.steps.map((s) => s.text).join(''));
			await h.dispose();
		}
	});

	it('a command through the server: the family\'s FIM template, streamed steps, a result', async () => {
		const h = track(await started({ settings: settings('llama.cpp', llama.url) }));
		const result = await h.connection.sendRequest(TextTaskRequest, {
			task: 'summarize',
			text: 'def add(a, b):\n    return a + b\n',
			languageId: 'python',
			fileName: 'add.py',
			symbolName: '',
		});
		assert.ok(result.record.steps.length > 0);
		assert.strictEqual(result.record.kind, 'summarize');
		assert.ok(result.record.promptTokens.includes('<fim_middle>'), 'the FIM template, in the server\'s tokens');
	});

	it('a cancelled completion closes the HTTP stream and the server stops generating', async () => {
		const h = track(await started({ settings: settings('llama.cpp', llama.url, { completion: { maxNewTokens: 512, multiline: 'always' } }) }));
		const uri = 'file:///work/endless.py';
		await h.open(uri, 'python', ENDLESS);
		const from = llama.log.length;
		const before = await h.stats();
		const cts = new CancellationTokenSource();
		const { pending } = await h.holdDuring(2, 'completion', () => h.complete(uri, endOf(ENDLESS), cts.token).catch((e: unknown) => e));
		cts.cancel();
		// llama-server says it cancels a task when its client goes before the task ended.
		const cancelled = Number((await llama.waitForLog(/cancel task, id_task = (\d+)/, from))[1]);
		const stopped = await llama.waitForLog(new RegExp(`\\| task ${cancelled} \\| stop processing: n_tokens = (\\d+)`), from);
		assert.ok(Number(stopped[1]) < 512, `the server stopped after ${stopped[1]} tokens, prompt included`);
		assert.deepStrictEqual((await llama.slots()).map((s) => s.isProcessing), [false]);
		await pending;
		const [recent] = await h.completionsSince(before);
		assert.ok(recent, 'the generation was recorded');
		assert.strictEqual(recent.stopReason, 'cancelled');
		assert.strictEqual(recent.stepsAfterCancel, 0);
	});

	it('a server killed mid-stream: an empty answer and a clear status; completions come back after it restarts', async function () {
		this.timeout(60_000);
		let doomed = await LlamaServer.start();
		try {
			const h = track(await started({ settings: settings('llama.cpp', doomed.url, { completion: { maxNewTokens: 512, multiline: 'always' } }) }));
			const uri = 'file:///work/doomed.py';
			await h.open(uri, 'python', ENDLESS);
			const { pending } = await h.holdDuring(2, 'completion', () => h.complete(uri, endOf(ENDLESS)));
			const count = h.statuses.length;
			await doomed.kill();
			await h.release();
			assert.strictEqual(firstItemText(await pending), '');
			const cut = await h.waitForState(['unavailable'], count);
			assert.match(cut.message!, /^llama\.cpp server at http:\/\/127\.0\.0\.1:\d+ closed the stream before the completion ended\.$/);
			assert.ok(h.logs.some((l) => l.includes('closed the stream before the completion ended')));

			// Down: an empty answer at once, and the status says nothing answers.
			const other = 'file:///work/other.py';
			await h.open(other, 'python', CASES[0]!.before);
			const before = h.statuses.length;
			assert.strictEqual(firstItemText(await h.complete(other, endOf(CASES[0]!.before))), '');
			const down = await h.waitForState(['unavailable'], before);
			assert.match(down.message!, /^Nothing answers at http:\/\/127\.0\.0\.1:\d+: is the llama\.cpp server running\?$/);
			const logged = h.logs.filter((l) => l.includes('Nothing answers')).length;
			assert.strictEqual(logged, 1);
			assert.strictEqual(firstItemText(await h.complete(other, endOf(CASES[0]!.before))), '');
			assert.strictEqual(h.logs.filter((l) => l.includes('Nothing answers')).length, 1, 'logged once, not once per request');

			// Back on the same port: the next completion works, with nothing done by the user.
			doomed = await doomed.restart();
			assert.notStrictEqual(firstItemText(await h.complete(other, endOf(CASES[0]!.before))), '');
			assert.strictEqual(h.lastStatus!.state, 'ready');
		} finally {
			await doomed.stop();
		}
	});

	it('a wrong API key gives a clear message; the right one, set later, works', async function () {
		this.timeout(60_000);
		const guarded = await LlamaServer.start({ apiKey: 'glassbox-team-key' });
		try {
			const h = track(await started({ settings: settings('llama.cpp', guarded.url), apiKey: 'not-the-key' }, ['unavailable']));
			const status = h.lastStatus!;
			assert.match(status.message!, /^llama\.cpp server at http:\/\/127\.0\.0\.1:\d+ refused the API key \(HTTP 401\): Invalid API Key\. Set it with "Glassbox: Set Server API Key"\.$/);
			assert.ok(!h.logs.join('\n').includes('not-the-key'), 'the key is never logged');
			const uri = 'file:///work/key.py';
			await h.open(uri, 'python', CASES[0]!.before);
			assert.strictEqual(firstItemText(await h.complete(uri, endOf(CASES[0]!.before))), '');

			h.apiKey = 'glassbox-team-key';
			const count = await h.reconnectServer();
			assert.strictEqual((await h.waitForState(['ready'], count)).server?.model, 'glassbox-mini');
			assert.notStrictEqual(firstItemText(await h.complete(uri, endOf(CASES[0]!.before))), '');
			assert.ok(!h.logs.join('\n').includes('glassbox-team-key'), 'the key is never logged');
		} finally {
			await guarded.stop();
		}
	});

	it('nothing listening at the URL: a clear message at once, and completions once a server listens there', async function () {
		this.timeout(60_000);
		const port = await closedPort();
		const h = track(await started({ settings: settings('llama.cpp', `http://127.0.0.1:${port}`) }, ['unavailable']));
		assert.strictEqual(h.lastStatus!.message, `Nothing answers at http://127.0.0.1:${port}: is the llama.cpp server running?`);
		const uri = 'file:///work/later.py';
		await h.open(uri, 'python', CASES[0]!.before);
		assert.strictEqual(firstItemText(await h.complete(uri, endOf(CASES[0]!.before))), '');
		const late = await LlamaServer.start({ port });
		try {
			// The next request tries again; once connected, completions come back.
			const count = h.statuses.length;
			await h.complete(uri, endOf(CASES[0]!.before));
			await h.waitForState(['ready'], count);
			assert.notStrictEqual(firstItemText(await h.complete(uri, endOf(CASES[0]!.before))), '');
		} finally {
			await late.stop();
		}
	});

	it('a URL that answers garbage, and one that never answers: a clear message within the timeout', async () => {
		const garbage = await rawServer((socket) => socket.end('SSH-2.0-OpenSSH_9.2p1\r\n\u0000\u0001garbage'));
		const silent = await rawServer(() => undefined);
		try {
			const g = track(await started({ settings: settings('openai', `http://127.0.0.1:${garbage.port}/v1`) }, ['unavailable']));
			assert.strictEqual(
				g.lastStatus!.message,
				`OpenAI-compatible server at http://127.0.0.1:${garbage.port} sent a malformed answer: not an HTTP response. Is this an OpenAI-compatible server?`,
			);
			const started0 = Date.now();
			const s = track(await started({ settings: settings('ollama', `http://127.0.0.1:${silent.port}`, { serverTimeoutMs: 1000 }) }, ['unavailable']));
			assert.strictEqual(s.lastStatus!.message, `Ollama server at http://127.0.0.1:${silent.port} did not answer within 1 s.`);
			assert.ok(Date.now() - started0 < 10_000);
		} finally {
			await garbage.close();
			await silent.close();
		}
	});

	it('a server model without FIM, and without a local tokenizer: a notice; completions continue the prefix, counted by estimate', async () => {
		const h = track(await started({ settings: settings('openai', `${llama.url}/v1`, { serverFamily: 'smollm2' }) }));
		const status = h.lastStatus!;
		assert.strictEqual(status.fim, false);
		assert.strictEqual(status.server?.tokenizer, 'estimate');
		assert.match(status.message!, /glassbox-mini has no fill-in-the-middle tokens: completions continue the prefix only\./);
		assert.match(status.message!, /token counts are estimated from characters/);
		const uri = 'file:///work/prefix.py';
		await h.open(uri, 'python', CASES[1]!.before);
		await h.complete(uri, endOf(CASES[1]!.before));
		const record = await h.connection.sendRequest(LastCompletionRequest);
		assert.deepStrictEqual(record!.promptIds, [], 'estimated chunks are not token ids');
		assert.ok(record!.promptTokens[0]!.endsWith('with open(path) as f:\n        '), JSON.stringify(record!.promptTokens));
		assert.ok(!record!.promptTokens[0]!.includes('<fim_'), 'no FIM markers');

		// A chat family's commands go through the server's chat endpoint, the messages as the prompt.
		const result = await h.connection.sendRequest(TextTaskRequest, { task: 'explain', text: 'x = [i * i for i in range(10)]', languageId: 'python', fileName: 'squares.py', symbolName: '' });
		assert.ok(result.record.steps.length > 0);
		assert.deepStrictEqual(result.record.promptIds, []);
		assert.match(result.record.promptTokens[1] ?? '', /^user: Explain what the following Python code from squares\.py does/);
	});
});
