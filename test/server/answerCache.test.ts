/**
 * What a keystroke is answered from besides the model, over LSP with the
 * embedded model: the answer cache's forwarding entries (typing the shown
 * suggestion ahead), the prefetch (the state after Tab, computed in the
 * background at the lowest priority), and an explicit request's sampled
 * alternatives. The engine's counters say which generations ran; the test
 * hooks hold the prefetch at a known step.
 */
import * as assert from 'assert';
import { CancellationTokenSource, InlineCompletionTriggerKind } from 'vscode-languageserver-protocol/node';
import { HoldGenerationRequest } from '../../protocol/lsp';
import { firstItemText, ServerHarness } from '../support/serverHarness';

const SETTINGS = { completion: { maxNewTokens: 24 } };
const TEXT = 'import os\n\n\ndef home():\n    return os.path.';
const LINE = 4;
const COLUMN = TEXT.length - TEXT.lastIndexOf('\n') - 1;
/** A block the model writes several lines for, ending on an empty indented line (multi-line mode). */
const BLOCK = 'import os\nimport sys\n\n\ndef main(argv):\n    for name in argv:\n        ';

function endOf(text: string): { line: number; character: number } {
	const lines = text.split('\n');
	return { line: lines.length - 1, character: lines[lines.length - 1].length };
}

describe('answers without the model: typing ahead, after Tab, alternatives (embedded model)', function () {
	this.timeout(20_000);
	let server: ServerHarness;
	let doc = 0;

	before(async function () {
		this.timeout(60_000);
		server = await ServerHarness.start({ settings: SETTINGS });
		const status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'ready', status.message);
	});
	after(() => server?.dispose());

	/** A fresh document (answer cache cleared), and its first suggestion at the end, from the model. */
	async function shown(text: string): Promise<{ uri: string; suggestion: string }> {
		await server.setSettings(SETTINGS);
		const uri = `file:///work/answers-${doc++}.py`;
		await server.open(uri, 'python', text);
		const suggestion = firstItemText(await server.complete(uri, endOf(text)));
		assert.ok(suggestion.length > 3, `a suggestion of a few characters: ${JSON.stringify(suggestion)}`);
		await server.idle();
		return { uri, suggestion };
	}

	it('typing the shown suggestion ahead is answered with its rest, without the model', async () => {
		const { uri, suggestion } = await shown(TEXT);
		const before = await server.stats();
		for (const n of [1, 2, suggestion.length - 1]) {
			await server.replace(uri, TEXT + suggestion.slice(0, n));
			assert.strictEqual(firstItemText(await server.complete(uri, { line: LINE, character: COLUMN + n })), suggestion.slice(n));
		}
		assert.deepStrictEqual(await server.completionsSince(before), [], 'no model run');
	});

	it('a multi-line suggestion typed ahead across its line end is answered with its rest', async () => {
		const { uri, suggestion } = await shown(BLOCK);
		const nl = suggestion.indexOf('\n');
		assert.ok(nl > 0, `several lines: ${JSON.stringify(suggestion)}`);
		const before = await server.stats();
		const typed = suggestion.slice(0, nl + 1);
		await server.replace(uri, BLOCK + typed);
		assert.strictEqual(firstItemText(await server.complete(uri, endOf(BLOCK + typed))), suggestion.slice(nl + 1));
		assert.deepStrictEqual(await server.completionsSince(before), []);
	});

	it('after Tab the next request is answered from the prefetch, as a cold request would be', async () => {
		const before = await server.stats();
		const { uri, suggestion } = await shown(TEXT);
		const prefetched = (await server.stats()).recent.slice(0, 2).find((g) => g.kind === 'prefetch');
		assert.ok(prefetched && prefetched.stopReason !== 'cancelled', 'the state after Tab was computed in the background');
		const accepted = TEXT + suggestion;
		await server.replace(uri, accepted);
		const afterTab = await server.stats();
		const next = firstItemText(await server.complete(uri, endOf(accepted)));
		assert.deepStrictEqual(await server.completionsSince(afterTab), [], 'the request after Tab ran no model');
		assert.strictEqual((await server.completionsSince(before)).length, 1, 'one model run for the first suggestion');
		// Its prompt reused the shown suggestion's KV cache: only the tokens after it were computed.
		assert.ok(prefetched.promptComputed < 8, `the prefetch computed ${prefetched.promptComputed} of ${prefetched.promptTokens} prompt tokens`);

		await server.setSettings(SETTINGS);
		const cold = firstItemText(await server.complete(uri, endOf(accepted)));
		assert.strictEqual(next, cold);
	});

	it('the prefetch never holds up a request: the next one cancels it at once', async () => {
		await server.idle();
		await server.connection.sendRequest(HoldGenerationRequest, { step: 1, kind: 'prefetch' });
		const held = server.nextEvent('held', 10_000, 'the prefetch held before its second step');
		await shownWithoutIdle(TEXT);
		await held;
		const cancelled = server.nextEvent('cancelled', 10_000, 'the prefetch cancelled by the request');
		const other = `file:///work/other-${doc++}.py`;
		await server.open(other, 'python', BLOCK);
		const before = await server.stats();
		const answer = server.complete(other, endOf(BLOCK));
		await cancelled;
		assert.notStrictEqual(firstItemText(await answer), '');
		await server.idle();
		const recent = (await server.stats()).recent;
		const prefetch = recent.find((g) => g.kind === 'prefetch' && g.stopReason === 'cancelled');
		assert.ok(prefetch, JSON.stringify(recent));
		assert.strictEqual(prefetch.stepsAfterCancel, 0);
		assert.strictEqual((await server.completionsSince(before)).length, 1);
	});

	it('an edit other than accepting the suggestion cancels the prefetch', async () => {
		await server.idle();
		await server.connection.sendRequest(HoldGenerationRequest, { step: 1, kind: 'prefetch' });
		const held = server.nextEvent('held', 10_000, 'the prefetch held before its second step');
		const { uri, suggestion } = await shownWithoutIdle(TEXT);
		await held;
		const cancelled = server.nextEvent('cancelled', 10_000, 'the prefetch cancelled by the edit');
		await server.replace(uri, TEXT + suggestion.slice(0, 1) + 'Q');
		await cancelled;
	});

	/** Like shown(), without waiting for the prefetch that follows the answer. */
	async function shownWithoutIdle(text: string): Promise<{ uri: string; suggestion: string }> {
		await server.setSettings(SETTINGS);
		const uri = `file:///work/answers-${doc++}.py`;
		await server.open(uri, 'python', text);
		return { uri, suggestion: firstItemText(await server.complete(uri, endOf(text))) };
	}

	it('an explicit request gets distinct alternatives after the greedy suggestion; an automatic one gets one', async () => {
		await server.setSettings(SETTINGS);
		const uri = `file:///work/answers-${doc++}.py`;
		await server.open(uri, 'python', TEXT);
		const at = { line: LINE, character: COLUMN };
		const automatic = await server.complete(uri, at);
		assert.strictEqual(automatic?.items.length, 1);
		const invoke = { triggerKind: InlineCompletionTriggerKind.Invoked };
		const before = await server.stats();
		const listed = await server.complete(uri, at, new CancellationTokenSource().token, invoke);
		const texts = listed!.items.map((i) => (typeof i.insertText === 'string' ? i.insertText : i.insertText.value));
		assert.ok(texts.length >= 2 && texts.length <= 3, JSON.stringify(texts));
		assert.strictEqual(texts[0], firstItemText(automatic), 'the greedy suggestion first');
		assert.strictEqual(new Set(texts).size, texts.length, `distinct: ${JSON.stringify(texts)}`);
		const sampled = await server.completionsSince(before);
		assert.ok(sampled.length >= texts.length - 1 && sampled.length <= 4, 'the greedy one came from the cache; one sample per alternative, four at most');
		// The samples' prompt is the greedy one's: its KV cache is reused.
		assert.ok(sampled.every((g) => g.promptComputed <= 1), JSON.stringify(sampled.map((g) => g.promptComputed)));

		// The same request again: the same list (fixed seeds), from the cache.
		const again = await server.stats();
		const repeated = await server.complete(uri, at, new CancellationTokenSource().token, invoke);
		assert.deepStrictEqual(repeated, listed);
		assert.deepStrictEqual(await server.completionsSince(again), []);
		await server.setSettings(SETTINGS);
		const cold = await server.complete(uri, at, new CancellationTokenSource().token, invoke);
		assert.deepStrictEqual(cold, listed, 'seeded: a cold run gives the same alternatives');
	});
});
