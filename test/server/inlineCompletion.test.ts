/**
 * The built server over a real LSP connection (stdio), with the real
 * embedded model from models/.
 */
import * as assert from 'assert';
import {
	CancellationTokenSource,
	DidOpenNotebookDocumentNotification,
	NotebookCellKind,
	ResponseError,
} from 'vscode-languageserver-protocol/node';
import { ErrorCodes, LastCompletionRequest } from '../../protocol/lsp';
import { firstItemText, ServerHarness } from '../support/serverHarness';

const PY = 'file:///work/example.py';

describe('inline completion over LSP (embedded model)', function () {
	// Seconds per test: a hang fails fast. Starting the server and loading the model gets its own limit.
	this.timeout(20_000);
	let server: ServerHarness;

	before(async function () {
		this.timeout(60_000);
		server = await ServerHarness.start();
		const status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'ready', status.message);
	});
	after(() => server?.dispose());

	it('reports the embedded model with FIM and attention', () => {
		const s = server.lastStatus!;
		assert.strictEqual(s.model, 'embedded');
		assert.strictEqual(s.fim, true);
		assert.strictEqual(s.hasAttention, true);
		assert.ok(s.contextLength >= 1024);
	});

	it('completes code with the real model', async () => {
		const text = 'import os\nimport sys\n\n\ndef read_file(path):\n    with open(path) as f:\n        return f.';
		await server.open(PY, 'python', text);
		const before = await server.stats();
		const list = await server.complete(PY, { line: 6, character: 17 });
		const completion = firstItemText(list);
		assert.notStrictEqual(completion, '', 'the model produced no completion');
		assert.ok(!completion.includes('\n'), 'mid-line completions stay on one line');
		const item = list!.items[0];
		assert.deepStrictEqual(item.range, { start: { line: 6, character: 17 }, end: { line: 6, character: 17 } });

		const [last] = await server.completionsSince(before);
		assert.ok(last.generatedTokens > 0);
		assert.ok(last.promptTokens > 10);
	});

	it('answers the same context again from the cache, without the model', async () => {
		const before = await server.stats();
		const again = firstItemText(await server.complete(PY, { line: 6, character: 17 }));
		assert.notStrictEqual(again, '');
		assert.deepStrictEqual(await server.completionsSince(before), []);
	});

	/** A prompt the model continues for many tokens (the next number, a comma, ...). */
	const numbers = `values = [${Array.from({ length: 500 }, (_, i) => i + 1).join(', ')}, `;

	it('a second request cancels the first, which returns empty and runs no model step after the cancel', async () => {
		await server.setSettings({ completion: { maxNewTokens: 400 } });
		const uri = 'file:///work/numbers.py';
		await server.open(uri, 'python', numbers);
		const secondUri = 'file:///work/second.py';
		await server.open(secondUri, 'python', 'def main():\n    print(');
		const before = await server.stats();
		// The first generation waits before its second pass; the second request arrives then.
		const { pending: first } = await server.holdDuring(1, 'completion', () => server.complete(uri, { line: 0, character: numbers.length }));
		const second = server.complete(secondUri, { line: 1, character: 10 });
		assert.deepStrictEqual(await first, { items: [] });
		await second;
		// Both generations have ended and are counted once the server is idle.
		const completions = await server.completionsSince(before);
		const cancelled = completions.find((r) => r.stopReason === 'cancelled');
		assert.ok(cancelled, JSON.stringify(completions));
		assert.strictEqual(cancelled.stepsAfterCancel, 0);
		assert.strictEqual(cancelled.modelSteps, 1);
		assert.notStrictEqual(completions[0].stopReason, 'cancelled', 'the second request ran to its end');
		await server.setSettings({});
	});

	it('a request cancelled by the client stops the model', async () => {
		await server.setSettings({ completion: { maxNewTokens: 400 } });
		const uri = 'file:///work/cancel.py';
		await server.open(uri, 'python', numbers.replace('values', 'evens'));
		const before = await server.stats();
		const cts = new CancellationTokenSource();
		const { pending } = await server.holdDuring(1, 'completion', () =>
			server.complete(uri, { line: 0, character: numbers.length }, cts.token).catch((e: unknown) => e),
		);
		cts.cancel();
		await pending;
		// The request settles at once; its generation ends a few event-loop turns later (generatorReuse.ts:
		// it waits for the edit that a client's cancel usually follows). Its record exists once the server is idle.
		const [recent] = await server.completionsSince(before);
		assert.ok(recent, 'the generation was recorded');
		assert.strictEqual(recent.stopReason, 'cancelled');
		assert.strictEqual(recent.stepsAfterCancel, 0);
		await server.setSettings({});
	});

	it('applies the per-language switch itself, for any LSP client', async () => {
		const uri = 'file:///work/README.md';
		await server.open(uri, 'markdown', '# Notes\n\nThe function `read_file` opens a path and ');
		const at = { line: 2, character: 43 };
		const before = await server.stats();
		assert.deepStrictEqual(await server.complete(uri, at), { items: [] }, 'markdown is off by default');
		assert.strictEqual((await server.completionsSince(before)).length, 0, 'the model did not run');
		await server.setSettings({ completion: { languages: { '*': true, markdown: true } } });
		await server.complete(uri, at);
		assert.strictEqual((await server.completionsSince(before)).length, 1, 'the model ran once markdown is on');
		await server.setSettings({});
	});

	it('a notebook cell\'s prompt reads the code cells around it', async () => {
		const notebook = 'file:///work/analysis.ipynb';
		const cell = (n: number) => `vscode-notebook-cell:/work/analysis.ipynb#cell${n}`;
		const texts = ['import statistics\n\nreadings = [3.0, 1.5, 4.0]\n', '# Plots\n', 'spread = max(readings) - ', 'print(spread)\n'];
		await server.connection.sendNotification(DidOpenNotebookDocumentNotification.type, {
			notebookDocument: {
				uri: notebook,
				notebookType: 'jupyter-notebook',
				version: 1,
				cells: [
					{ kind: NotebookCellKind.Code, document: cell(0) },
					{ kind: NotebookCellKind.Markup, document: cell(1) },
					{ kind: NotebookCellKind.Code, document: cell(2) },
					{ kind: NotebookCellKind.Code, document: cell(3) },
				],
			},
			cellTextDocuments: texts.map((text, n) => ({ uri: cell(n), languageId: n === 1 ? 'markdown' : 'python', version: 1, text })),
		});
		const list = await server.complete(cell(2), { line: 0, character: texts[2].length });
		assert.ok(Array.isArray(list?.items));
		const last = await server.connection.sendRequest(LastCompletionRequest);
		assert.ok(last, 'the model ran for the cell');
		const prompt = last.promptTokens.join('');
		assert.ok(prompt.includes('readings = [3.0, 1.5, 4.0]'), 'the code cell above is in the prompt');
		assert.ok(prompt.includes('print(spread)'), 'the code cell below is in the prompt');
		assert.ok(!prompt.includes('# Plots'), 'markdown cells are not code');
	});

	describe('bad input: a clear answer, and the server keeps serving', () => {
		/** A fresh request (unique text, so no cache) still runs the model and answers. */
		async function stillServes(): Promise<void> {
			const name = `main_${Math.random().toString(36).slice(2, 8)}`;
			const uri = `file:///work/${name}.py`;
			await server.open(uri, 'python', `import os\n\n\ndef ${name}(path):\n    return os.path.join(`);
			const before = await server.stats();
			const list = await server.complete(uri, { line: 4, character: 24 });
			assert.ok(Array.isArray(list?.items) && list.items.length <= 1);
			const ran = await server.completionsSince(before);
			assert.strictEqual(ran.length, 1, 'the model ran for the request');
			assert.notStrictEqual(ran[0].stopReason, 'cancelled');
		}

		it('binary-looking content gets an empty result', async () => {
			const uri = 'file:///work/image.png';
			await server.open(uri, 'plaintext', 'PNG\r\n\u001a\n\u0000\u0000\u0000\rIHDR\u0000\u0000\u0001\u0000' + '\u0000\u0003'.repeat(500));
			assert.deepStrictEqual(await server.complete(uri, { line: 1, character: 5 }), { items: [] });
			await stillServes();
		});

		it('a 5 MB document is answered from a window around the cursor', async () => {
			const line = 'def f(x):\n    return x * 2  # padding padding padding padding\n';
			const big = line.repeat(Math.ceil((5 * 1024 * 1024) / line.length));
			const uri = 'file:///work/big.py';
			await server.open(uri, 'python', big + 'def g(y):\n    return ');
			const lines = big.split('\n').length;
			const list = await server.complete(uri, { line: lines, character: 11 });
			assert.ok(Array.isArray(list?.items));
			await stillServes();
		});

		it('a 200,000-character line is answered', async () => {
			const uri = 'file:///work/minified.js';
			await server.open(uri, 'javascript', 'var a=' + 'x+'.repeat(100_000) + '1;\n');
			const list = await server.complete(uri, { line: 0, character: 100_000 });
			assert.ok(Array.isArray(list?.items));
			await stillServes();
		});

		it('a position outside the document is an LSP error', async () => {
			const uri = 'file:///work/small.py';
			await server.open(uri, 'python', 'x = 1\n');
			await assert.rejects(server.complete(uri, { line: 50, character: 0 }), (e: ResponseError<unknown>) => {
				assert.strictEqual(e.code, ErrorCodes.BadPosition);
				assert.match(e.message, /outside/);
				return true;
			});
			await assert.rejects(server.complete(uri, { line: -1, character: 0 }), (e: ResponseError<unknown>) => e.code === ErrorCodes.BadPosition);
			await stillServes();
		});

		it('a document that was never opened is an LSP error', async () => {
			await assert.rejects(server.complete('file:///work/never-opened.py', { line: 0, character: 0 }), (e: ResponseError<unknown>) => {
				assert.strictEqual(e.code, ErrorCodes.UnknownDocument);
				assert.match(e.message, /not open/);
				return true;
			});
			await stillServes();
		});

		it('a document edited between request and answer gets no stale answer', async () => {
			await server.setSettings({ completion: { maxNewTokens: 400 } });
			const uri = 'file:///work/edited.py';
			const text = numbers.replace('values', 'odds');
			await server.open(uri, 'python', text);
			// The edit lands while the generation is held at a known step.
			const { pending } = await server.holdDuring(1, 'completion', () => server.complete(uri, { line: 0, character: text.length }));
			await server.replace(uri, `${text}501]\n`);
			assert.strictEqual(await server.release(), true);
			assert.deepStrictEqual(await pending, { items: [] });
			const recent = (await server.stats()).recent.find((r) => r.kind === 'completion')!;
			assert.ok(recent.generatedTokens > 1, 'the model ran past the edit; its answer was dropped as stale');
			await server.setSettings({});
			await stillServes();
		});
	});
});
