/**
 * Generator reuse over LSP (server/src/completion/generatorReuse.ts), with
 * the embedded model: a generation is held at a known step by the test
 * hooks, the document is edited and requests come the way VS Code sends them
 * (the edit, the earlier request cancelled, then the next request), and the
 * engine's counters say how many generations ran. Nothing here waits for
 * time to pass.
 */
import * as assert from 'assert';
import { CancellationTokenSource, type InlineCompletionList } from 'vscode-languageserver-protocol/node';
import type { TokenStep } from '../../protocol/generation';
import { LastCompletionRequest } from '../../protocol/lsp';
import { firstItemText, ServerHarness } from '../support/serverHarness';

const SETTINGS = { completion: { maxNewTokens: 24 } };
/** A line the model completes with several tokens that it writes as they are (one line, nothing cut). */
const TEXT = 'import os\n\n\ndef home():\n    return os.path.';
const LINE = 4;
const COLUMN = TEXT.length - TEXT.lastIndexOf('\n') - 1;

describe('generator reuse: typing along a running generation (embedded model)', function () {
	this.timeout(20_000);
	let server: ServerHarness;
	/** The suggestion at TEXT's end, and the steps the model took for it (a cold run). */
	let suggestion: string;
	let steps: TokenStep[];
	/** Tokens the cold run generated (the one a stop rule cut included). */
	let coldTokens: number;
	let doc = 0;

	before(async function () {
		this.timeout(60_000);
		server = await ServerHarness.start({ settings: SETTINGS });
		const status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'ready', status.message);
		const uri = 'file:///work/cold.py';
		await server.open(uri, 'python', TEXT);
		const before = await server.stats();
		suggestion = firstItemText(await server.complete(uri, { line: LINE, character: COLUMN }));
		coldTokens = (await server.completionsSince(before))[0].generatedTokens;
		const record = await server.connection.sendRequest(LastCompletionRequest);
		assert.ok(record);
		steps = record.steps;
		assert.ok(suggestion.length >= 8, `a suggestion of several tokens: ${JSON.stringify(suggestion)}`);
		assert.strictEqual(written(steps.length), suggestion, 'the suggestion is what the model wrote (nothing cut)');
	});
	after(() => server?.dispose());

	/** The text the generation has written before model step `n` (n tokens generated; the first re-spell the healed cursor token). */
	function written(n: number): string {
		const rest = steps.slice(n).map((s) => s.text).join('');
		return suggestion.slice(0, Math.max(0, suggestion.length - rest.length));
	}

	/** A fresh document with TEXT (nothing cached or running for it), and the answer cache cleared. */
	async function fresh(): Promise<string> {
		await server.setSettings(SETTINGS);
		const uri = `file:///work/reuse-${doc++}.py`;
		await server.open(uri, 'python', TEXT);
		return uri;
	}

	/** Start a request at TEXT's end whose generation is held before step `step`; its token source cancels it as VS Code would. */
	async function heldRequest(uri: string, step: number): Promise<{ first: Promise<InlineCompletionList | null | unknown>; cancel: () => void }> {
		const cts = new CancellationTokenSource();
		const { pending } = await server.holdDuring(step, 'completion', () =>
			server.complete(uri, { line: LINE, character: COLUMN }, cts.token).catch((e: unknown) => e),
		);
		return { first: pending, cancel: () => cts.cancel() };
	}

	it('a request for text the generation has written joins it: no second generation, the rest as the answer', async () => {
		const uri = await fresh();
		const before = await server.stats();
		const { first, cancel } = await heldRequest(uri, 4);
		const typed = written(4).slice(0, 2);
		assert.strictEqual(typed.length, 2, `written by step 4: ${JSON.stringify(written(4))}`);
		// VS Code's order: the edit, the earlier request cancelled, then the request for the new state.
		await server.replace(uri, TEXT + typed);
		cancel();
		const second = server.complete(uri, { line: LINE, character: COLUMN + typed.length });
		assert.strictEqual(await server.release(), true, 'the generation was still held: the edit and the cancellation did not stop it');
		assert.strictEqual(firstItemText(await second), suggestion.slice(typed.length));
		assert.deepStrictEqual(await first, { items: [] });
		const ran = await server.completionsSince(before);
		assert.strictEqual(ran.length, 1, `one generation: ${JSON.stringify(ran)}`);
		assert.notStrictEqual(ran[0].stopReason, 'cancelled');
		assert.strictEqual(ran[0].generatedTokens, coldTokens, 'it ran to its own end');
	});

	it('a request for text the generation has not written yet joins it and waits for it', async () => {
		const uri = await fresh();
		const before = await server.stats();
		const { first, cancel } = await heldRequest(uri, 2);
		const typed = suggestion.slice(0, suggestion.length - 3);
		assert.ok(typed.length > written(2).length, 'typed further than written');
		await server.replace(uri, TEXT + typed);
		cancel();
		const second = server.complete(uri, { line: LINE, character: COLUMN + typed.length });
		assert.strictEqual(await server.release(), true);
		assert.strictEqual(firstItemText(await second), suggestion.slice(typed.length));
		await first;
		assert.strictEqual((await server.completionsSince(before)).length, 1);
	});

	it('an edit that disagrees cancels the generation at once, before any request', async () => {
		const uri = await fresh();
		const before = await server.stats();
		const { first } = await heldRequest(uri, 2);
		const other = suggestion.startsWith('x') ? 'y' : 'x';
		const cancelled = server.nextEvent('cancelled', 10_000, 'the held generation cancelled by the edit');
		await server.replace(uri, TEXT + other);
		await cancelled;
		assert.deepStrictEqual(await first, { items: [] });
		const ran = await server.completionsSince(before);
		assert.strictEqual(ran.length, 1);
		assert.strictEqual(ran[0].stopReason, 'cancelled');
		assert.strictEqual(ran[0].stepsAfterCancel, 0, 'no model step after the edit');
	});

	it('a request that typed along and then went another way gets its own generation', async () => {
		const uri = await fresh();
		const before = await server.stats();
		const { first, cancel } = await heldRequest(uri, 2);
		// The generation has written written(2); this agrees with it so far, and diverges later.
		const typed = written(2) + (suggestion.charAt(written(2).length) === 'Q' ? 'Z' : 'Q');
		await server.replace(uri, TEXT + typed);
		cancel();
		const second = server.complete(uri, { line: LINE, character: COLUMN + typed.length });
		// It joins; the generation's next token goes another way than the document, which ends it.
		assert.strictEqual(await server.release(), true);
		await first;
		await second;
		const ran = await server.completionsSince(before);
		assert.strictEqual(ran.length, 2, JSON.stringify(ran));
		assert.strictEqual(ran[1].stopReason, 'cancelled', 'the first generation, cancelled');
		assert.ok(ran[1].generatedTokens <= 3, `it stopped at the token that disagreed (${ran[1].generatedTokens} tokens)`);
		assert.notStrictEqual(ran[0].stopReason, 'cancelled', "the second request's own");
	});

	it("another document's generation is never joined, even for the same text", async () => {
		const uri = await fresh();
		const twin = `file:///work/twin-${doc++}.py`;
		const typed = suggestion.slice(0, 2);
		await server.open(twin, 'python', TEXT + typed);
		const before = await server.stats();
		const { first } = await heldRequest(uri, 4);
		const cancelled = server.nextEvent('cancelled', 10_000, 'the first document\'s generation cancelled by the other\'s request');
		const other = server.complete(twin, { line: LINE, character: COLUMN + typed.length });
		await cancelled;
		assert.deepStrictEqual(await first, { items: [] });
		assert.notStrictEqual(firstItemText(await other), '');
		const ran = await server.completionsSince(before);
		assert.strictEqual(ran.length, 2);
		assert.strictEqual(ran[1].stopReason, 'cancelled');
	});

	it('a request cancelled without an edit stops the generation (Escape, a click elsewhere)', async () => {
		const uri = await fresh();
		const before = await server.stats();
		const { first, cancel } = await heldRequest(uri, 2);
		const cancelled = server.nextEvent('cancelled', 10_000, 'the held generation cancelled with its request');
		cancel();
		await cancelled;
		await first;
		const ran = await server.completionsSince(before);
		assert.strictEqual(ran.length, 1);
		assert.strictEqual(ran[0].stopReason, 'cancelled');
	});
});
