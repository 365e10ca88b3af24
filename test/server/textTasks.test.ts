/**
 * Summarize, explain and documentation comments over LSP on the embedded
 * model: streaming, cancellation, empty and oversized input, unsupported
 * languages, the cache.
 */
import * as assert from 'assert';
import { randomUUID } from 'crypto';
import { CancellationTokenSource, ErrorCodes as RpcErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver-protocol/node';
import type { TokenStep } from '../../protocol/generation';
import { ErrorCodes, GenerationProgress, TextTaskRequest, type TextTaskParams } from '../../protocol/lsp';
import { ServerHarness } from '../support/serverHarness';

const CODE = `def parse_config(path):
    with open(path) as f:
        lines = f.read().splitlines()
    result = {}
    for line in lines:
        if '=' in line:
            key, value = line.split('=', 1)
            result[key.strip()] = value.strip()
    return result
`;

/** One text task request; symbolName only matters for documentation comments. */
function task(params: Omit<TextTaskParams, 'symbolName'> & { symbolName?: string }): TextTaskParams {
	return { symbolName: '', ...params };
}

describe('text tasks over LSP (embedded model)', function () {
	this.timeout(20_000);
	let server: ServerHarness;
	before(async function () {
		this.timeout(60_000);
		server = await ServerHarness.start();
		assert.strictEqual((await server.waitForState(['ready', 'error'])).state, 'ready');
	});
	after(() => server?.dispose());

	/** Collect the streamed chunks of one request. */
	function collect(onChunk?: () => void): { token: string; steps: TokenStep[]; chunks: number; arrivedAfterResult: boolean; done(): void } {
		const token = randomUUID();
		const state = { token, steps: [] as TokenStep[], chunks: 0, arrivedAfterResult: false, finished: false, done: () => (state.finished = true) };
		server.connection.onProgress(GenerationProgress, token, (chunk) => {
			onChunk?.();
			state.chunks++;
			state.steps.push(...chunk.steps);
			if (state.finished) {
				state.arrivedAfterResult = true;
			}
		});
		return state;
	}

	it('summarize streams each step before the result, in order', async () => {
		const stream = collect();
		const result = await server.connection.sendRequest(TextTaskRequest, task({
			task: 'summarize',
			text: CODE,
			languageId: 'python',
			fileName: 'config.py',
			partialResultToken: stream.token,
		}));
		stream.done();
		assert.ok(result.record.steps.length > 0, 'the model generated tokens');
		assert.ok(stream.chunks > 0);
		assert.deepStrictEqual(
			stream.steps.slice(0, result.record.steps.length).map((s) => s.id),
			result.record.steps.map((s) => s.id),
			'streamed steps arrive in generation order',
		);
		for (const step of stream.steps) {
			assert.ok(step.prob > 0 && step.prob <= 1 && step.top.length > 0);
		}
		assert.strictEqual(result.fromCache, false);
		assert.strictEqual(result.truncated, null);
		assert.strictEqual(result.record.kind, 'summarize');
		// Messages arrive in the order the server sent them: a chunk sent after the result
		// would arrive before the answer to a later request.
		await server.stats();
		assert.strictEqual(stream.arrivedAfterResult, false);
	});

	it('the same request again comes from the cache', async () => {
		const before = (await server.stats()).generations;
		const result = await server.connection.sendRequest(TextTaskRequest, task({ task: 'summarize', text: CODE, languageId: 'python', fileName: 'config.py' }));
		assert.strictEqual(result.fromCache, true);
		assert.strictEqual((await server.stats()).generations, before);
	});

	it('explain works on a selection and on prose', async () => {
		const code = await server.connection.sendRequest(TextTaskRequest, task({ task: 'explain', text: 'for line in lines:\n    print(line)\n', languageId: 'python', fileName: 'a.py' }));
		assert.strictEqual(code.record.kind, 'explain');
		const prose = await server.connection.sendRequest(TextTaskRequest, task({
			task: 'summarize',
			text: '# Release notes\n\nThis release adds offline completions, a panel that shows token probabilities, and faster startup.\n',
			languageId: 'markdown',
			fileName: 'NOTES.md',
		}));
		assert.ok(prose.record.steps.length > 0);
	});

	it('cancellation mid-generation stops before the next model step', async () => {
		await server.setSettings({ commands: { maxNewTokens: 600 } });
		const cts = new CancellationTokenSource();
		const text = Array.from({ length: 30 }, (_, i) => `value_${i} = compute(${i})`).join('\n');
		const { pending } = await server.holdDuring(1, 'explain', () =>
			server.connection.sendRequest(TextTaskRequest, task({ task: 'explain', text, languageId: 'python', fileName: 'long.py' }), cts.token).then(
				() => assert.fail('a cancelled request has no result'),
				(e: ResponseError<unknown>) => e,
			),
		);
		cts.cancel();
		assert.strictEqual((await pending).code, LSPErrorCodes.RequestCancelled);
		const recent = (await server.stats()).recent[0];
		assert.strictEqual(recent.kind, 'explain');
		assert.strictEqual(recent.stopReason, 'cancelled');
		assert.strictEqual(recent.stepsAfterCancel, 0);
		assert.strictEqual(recent.generatedTokens, 1);
		await server.setSettings({});
	});

	it('an empty selection is a clear error', async () => {
		await assert.rejects(
			server.connection.sendRequest(TextTaskRequest, task({ task: 'explain', text: '   \n\t', languageId: 'python', fileName: 'a.py' })),
			(e: ResponseError<unknown>) => e.code === RpcErrorCodes.InvalidParams && /Nothing to explain/.test(e.message),
		);
	});

	it('an unknown task is a clear error', async () => {
		await assert.rejects(
			server.connection.sendRequest(TextTaskRequest, task({ task: 'translate' as TextTaskParams['task'], text: 'x = 1', languageId: 'python', fileName: 'a.py' })),
			(e: ResponseError<unknown>) => e.code === RpcErrorCodes.InvalidParams && /Unknown text task "translate"/.test(e.message),
		);
	});

	it('input far over the token budget is truncated with a note', async () => {
		const huge = CODE.repeat(400); // ~ 100k characters
		const result = await server.connection.sendRequest(TextTaskRequest, task({ task: 'summarize', text: huge, languageId: 'python', fileName: 'huge.py' }));
		assert.ok(result.truncated, 'a truncation note');
		assert.ok(result.truncated.keptTokens <= 768, String(result.truncated.keptTokens));
		assert.ok(result.truncated.inputTokens > 10 * result.truncated.keptTokens);
		assert.match(result.truncated.message, /only its first \d+ of/);
	});

	it('a documentation comment for Python and TypeScript', async () => {
		const py = await server.connection.sendRequest(TextTaskRequest, task({ task: 'docComment', text: CODE, languageId: 'python', fileName: 'config.py', symbolName: 'parse_config' }));
		assert.strictEqual(py.record.kind, 'docComment');
		assert.ok(!py.text.includes('"""'), 'the docstring delimiter is not part of the content');
		const ts = await server.connection.sendRequest(TextTaskRequest, task({
			task: 'docComment',
			text: 'export function clamp(value: number, min: number, max: number): number {\n  return Math.min(max, Math.max(min, value));\n}\n',
			languageId: 'typescript',
			fileName: 'math.ts',
			symbolName: 'clamp',
		}));
		assert.ok(!ts.text.includes('*/'));
		assert.ok(ts.record.steps.length > 0);
	});

	it('a language the doc generator does not know is a clear error', async () => {
		await assert.rejects(
			server.connection.sendRequest(TextTaskRequest, task({ task: 'docComment', text: 'SELECT 1;', languageId: 'sql', fileName: 'q.sql', symbolName: 'q' })),
			(e: ResponseError<unknown>) => {
				assert.strictEqual(e.code, ErrorCodes.UnsupportedLanguage);
				assert.match(e.message, /can't write documentation comments for SQL files: it knows the comment styles of TypeScript, .*Go\./);
				return true;
			},
		);
	});
});
