/**
 * The pass worker (dist/server/passWorker.js) on the embedded model, against
 * the same passes run on this thread with onnxruntime-node: working ahead on
 * a guess, and rewinding after a wrong one, never changes a result.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InferenceSession } from 'onnxruntime-node';
import { guessNext, ModelRunner, type NextGuess, type PassResult } from '../../server/src/modelRunner';
import { WorkerRunner } from '../../server/src/workerRunner';
import { REPO_ROOT } from '../support/serverHarness';

const MODEL = path.join(REPO_ROOT, 'models', 'glassbox-mini', 'onnx', 'model.onnx');
const SCRIPT = path.join(REPO_ROOT, 'dist', 'server', 'passWorker.js');
const HEADS = 4;
// A prompt of ordinary ids (the model's vocabulary has 4,096).
const PROMPT = Array.from({ length: 40 }, (_, i) => 300 + ((i * 97) % 3000));
const GUESS: NextGuess = { banned: [], stops: [], attentionFrom: 0 };

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
	assert.strictEqual(a.length, b.length);
	let d = 0;
	for (let i = 0; i < a.length; i++) {
		d = Math.max(d, Math.abs(a[i] - b[i]));
	}
	return d;
}

function assertSamePass(worker: PassResult, local: PassResult, what: string): void {
	assert.ok(maxDiff(worker.logits, local.logits) < 1e-4, `${what}: logits differ`);
	assert.strictEqual(worker.attention?.length, local.attention?.length, `${what}: attention layers`);
	worker.attention?.forEach((a, l) => {
		assert.deepStrictEqual([...a.dims], [...local.attention![l].dims], `${what}: attention dims of layer ${l}`);
		assert.ok(maxDiff(a.data, local.attention![l].data) < 1e-5, `${what}: attention of layer ${l} differs`);
	});
}

describe('pass worker (embedded model)', function () {
	this.timeout(60_000);
	let local: ModelRunner;
	let worker: WorkerRunner;
	const logs: string[] = [];
	before(async () => {
		const session = await InferenceSession.create(MODEL, { executionProviders: ['cpu'] });
		local = new ModelRunner(session, HEADS, () => session.release());
		worker = await WorkerRunner.open({ modelPath: MODEL, heads: HEADS, log: (m) => logs.push(m), script: SCRIPT });
	});
	after(async () => {
		await worker?.dispose();
		await local?.dispose();
	});

	it('working ahead on right guesses gives the passes of plain greedy decoding', async () => {
		const a = worker.start();
		const b = local.start();
		let input = PROMPT;
		for (let step = 0; step < 12; step++) {
			const from = step === 0 ? null : 0;
			const [w, l] = [await a.feed(input, from, GUESS), await b.feed(input, from)];
			assertSamePass(w, l, `step ${step}`);
			// The engine's greedy choice, which the worker guessed and already ran.
			const next = guessNext(l.logits, GUESS)!;
			input = [next];
		}
		assert.strictEqual(a.length, PROMPT.length + 11);
		a.release();
		b.release();
	});

	it('a wrong guess is rewound: the fed token is what counts', async () => {
		const a = worker.start();
		const b = local.start();
		const first = await b.feed(PROMPT, null);
		assertSamePass(await a.feed(PROMPT, null, GUESS), first, 'prompt');
		// Not the guess (the argmax): the second-best token.
		const best = guessNext(first.logits, GUESS)!;
		const other = guessNext(first.logits, { ...GUESS, banned: [best] })!;
		assert.notStrictEqual(other, best);
		for (const id of [other, best, other]) {
			assertSamePass(await a.feed([id], 0, GUESS), await b.feed([id], 0), `token ${id}`);
		}
		a.release();
		b.release();
	});

	it('attention rows can start inside a pass, and match the full pass', async () => {
		const full = await worker.start().feed(PROMPT, 0);
		const tail = await worker.start().feed(PROMPT, PROMPT.length - 3);
		const fullRows = full.attention!;
		const tailRows = tail.attention!;
		for (let l = 0; l < fullRows.length; l++) {
			const [, heads, rows, keys]: readonly number[] = fullRows[l].dims;
			assert.deepStrictEqual([...tailRows[l].dims], [1, heads, 3, keys]);
			for (let h = 0; h < heads; h++) {
				const want = fullRows[l].data.subarray((h * rows + rows - 3) * keys, (h * rows + rows) * keys);
				const got = tailRows[l].data.subarray(h * 3 * keys, (h + 1) * 3 * keys);
				assert.strictEqual(maxDiff(got, want), 0);
			}
		}
	});

	it('a file that is not a model is refused with onnxruntime\'s message', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-worker-'));
		const bad = path.join(dir, 'model.onnx');
		fs.writeFileSync(bad, 'not a protobuf model');
		await assert.rejects(WorkerRunner.open({ modelPath: bad, heads: HEADS, log: () => undefined, script: SCRIPT }), /protobuf|parse|load/i);
		fs.rmSync(dir, { recursive: true, force: true });
	});

	it('a worker that dies fails its sequences clearly, and the next one starts a new worker', async () => {
		const seen: string[] = [];
		const runner = await WorkerRunner.open({ modelPath: MODEL, heads: HEADS, log: (m) => seen.push(m), script: SCRIPT });
		const before = runner.start();
		const expected = await local.start().feed(PROMPT, null);
		assertSamePass(await before.feed(PROMPT, null), expected, 'before');
		// Stands in for a crash: the thread ends without being asked to.
		await (runner as unknown as { live: { worker: { terminate(): Promise<number> } } }).live.worker.terminate();
		await assert.rejects(before.feed([7], null), /The model stopped: the model's worker thread exited/);
		assert.ok(seen.some((m) => m.includes("The model's worker thread stopped")), seen.join('\n'));
		assertSamePass(await runner.start().feed(PROMPT, null), expected, 'after the restart');
		assert.ok(seen.includes('Starting the model worker thread again.'), seen.join('\n'));
		await runner.dispose();
	});

	it('after dispose, a feed is a clear error', async () => {
		const other = await WorkerRunner.open({ modelPath: MODEL, heads: HEADS, log: () => undefined, script: SCRIPT });
		const sequence = other.start();
		await sequence.feed(PROMPT.slice(0, 5), null);
		await other.dispose();
		await assert.rejects(sequence.feed([5], null), /unloaded|stopped/);
		await assert.rejects(other.start().feed([5], null), /unloaded/);
	});
});
