/**
 * The pass worker (dist/server/passWorker.js) on the embedded model, against
 * the same passes run on this thread with onnxruntime-node: working ahead on
 * a guess, rewinding after a wrong one, and starting from a parked KV cache
 * never change a result.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InferenceSession } from 'onnxruntime-node';
import { guessNext, ModelRunner, type NextGuess, type PassResult, type PassSequence } from '../../server/src/modelRunner';
import { MIN_REUSE } from '../../server/src/prefixCache';
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

/**
 * Tolerance for logits computed from a parked cache against a cold pass: the
 * cached positions were computed in a pass of another length, whose matrix
 * products sum in another order. Seen: at most 1e-5 on logits up to 16 in size.
 */
const REUSE_TOLERANCE = 1e-4;
/** Bytes one position of the embedded model's cache takes: 4 layers × key and value × 4 heads × 64 floats. */
const BYTES_PER_POSITION = 4 * 2 * 4 * 64 * 4;

/** Distinct prompts per test, so what one test parks never meets another's ids. */
function promptFrom(seed: number, length = 40): number[] {
	return Array.from({ length }, (_, i) => 300 + ((i * 97 + seed * 31) % 3000));
}

/** Greedy decoding for `steps` tokens after a first pass; the chosen ids and every step's logits. */
async function greedy(sequence: PassSequence, first: PassResult, steps: number): Promise<{ ids: number[]; logits: Float32Array[] }> {
	const ids: number[] = [];
	const logits = [first.logits];
	let last = first;
	for (let i = 0; i < steps; i++) {
		const id = guessNext(last.logits, GUESS)!;
		ids.push(id);
		last = await sequence.feed([id], null, GUESS);
		logits.push(last.logits);
	}
	return { ids, logits };
}

describe('pass worker: KV prefix reuse (embedded model)', function () {
	this.timeout(60_000);
	let local: ModelRunner;
	let worker: WorkerRunner;
	const logs: string[] = [];
	before(async () => {
		const session = await InferenceSession.create(MODEL, { executionProviders: ['cpu'] });
		local = new ModelRunner(session, HEADS, () => session.release());
		worker = await WorkerRunner.open({ modelPath: MODEL, heads: HEADS, log: (m) => logs.push(m), script: SCRIPT });
	});
	beforeEach(() => worker.dropParked());
	after(async () => {
		await worker?.dispose();
		await local?.dispose();
	});

	/** Run `ids` in the worker (released afterwards, so parked) and cold on this thread: greedy tokens must match. */
	async function compareWithCold(ids: number[], steps = 8): Promise<PassResult> {
		const warm = worker.start();
		const warmFirst = await warm.feed(ids, null, GUESS);
		const cold = local.start();
		const coldFirst = await cold.feed(ids, null);
		const a = await greedy(warm, warmFirst, steps);
		const b = await greedy(cold, coldFirst, steps);
		assert.deepStrictEqual(a.ids, b.ids, 'greedy tokens differ from a cold run');
		a.logits.forEach((l, i) => assert.ok(maxDiff(l, b.logits[i]) < REUSE_TOLERANCE, `step ${i}: logits differ by ${maxDiff(l, b.logits[i])}`));
		warm.release();
		cold.release();
		return warmFirst;
	}

	it('a prompt that extends a released sequence computes only its new ids, and decodes as a cold run does', async () => {
		const prompt = promptFrom(1);
		const first = await compareWithCold(prompt);
		assert.deepStrictEqual([first.reused, first.computed], [0, prompt.length], 'the first prompt is computed in full');
		// The parked cache holds the prompt, eight greedy tokens and the one run ahead; these two ids differ from them.
		const grown = [...prompt, 7, 8];
		const second = await compareWithCold(grown);
		assert.deepStrictEqual([second.reused, second.computed], [prompt.length, 2]);
	});

	it('a prompt the parked cache holds in full still computes its last id, for its logits', async () => {
		const prompt = promptFrom(2);
		await compareWithCold(prompt);
		const again = await compareWithCold(prompt);
		assert.deepStrictEqual([again.reused, again.computed], [prompt.length - 1, 1]);
	});

	it('typing along the generated tokens reuses them too', async () => {
		const prompt = promptFrom(3);
		const sequence = worker.start();
		const { ids } = await greedy(sequence, await sequence.feed(prompt, null, GUESS), 6);
		sequence.release();
		const typed = [...prompt, ...ids.slice(0, 4)];
		const result = await compareWithCold([...typed, 9]);
		assert.deepStrictEqual([result.reused, result.computed], [typed.length, 1]);
	});

	it('an edit in the middle of the prompt reuses only the ids before it', async () => {
		const prompt = promptFrom(4);
		await compareWithCold(prompt);
		const edited = [...prompt];
		edited[20] = 11;
		const result = await compareWithCold(edited);
		assert.deepStrictEqual([result.reused, result.computed], [20, prompt.length - 20]);
	});

	it('fewer common ids than MIN_REUSE are computed from scratch', async () => {
		const prompt = promptFrom(5);
		await compareWithCold(prompt);
		const edited = [...prompt];
		edited[MIN_REUSE - 1] = 11;
		const result = await compareWithCold(edited);
		assert.deepStrictEqual([result.reused, result.computed], [0, prompt.length]);
	});

	it('attention rows asked for inside the common prefix are computed, not taken from the cache', async () => {
		const prompt = promptFrom(6);
		await compareWithCold(prompt);
		const grown = [...prompt, 7, 8];
		const warm = await worker.start().feed(grown, 10);
		const cold = await local.start().feed(grown, 10);
		assert.deepStrictEqual([warm.reused, warm.computed], [10, grown.length - 10]);
		assertSamePass(warm, cold, 'attention from row 10');
	});

	it('only a sequence\'s first feed reports reuse; each later one computes its one id', async () => {
		const prompt = promptFrom(7);
		await compareWithCold(prompt);
		const sequence = worker.start();
		const first = await sequence.feed([...prompt, 5], null, GUESS);
		assert.strictEqual(first.reused, prompt.length);
		const next = await sequence.feed([guessNext(first.logits, GUESS)!], null, GUESS);
		assert.deepStrictEqual([next.reused, next.computed], [0, 1]);
		sequence.release();
	});

	it('dropped caches are not reused', async () => {
		const prompt = promptFrom(8);
		await compareWithCold(prompt);
		worker.dropParked();
		const result = await compareWithCold([...prompt, 5]);
		assert.deepStrictEqual([result.reused, result.parkedBytes], [0, 0]);
	});

	it('parked memory stays within its byte budget, the oldest cache going first', async () => {
		// Room for two caches of a 40-id prompt with its greedy tokens, not three.
		const budget = BYTES_PER_POSITION * 110;
		const small = await WorkerRunner.open({ modelPath: MODEL, heads: HEADS, log: () => undefined, script: SCRIPT, parkBytes: budget });
		try {
			const prompts = [promptFrom(9), promptFrom(10), promptFrom(11)];
			for (const prompt of prompts) {
				const sequence = small.start();
				const first = await sequence.feed(prompt, null, GUESS);
				assert.ok(first.parkedBytes <= budget, `${first.parkedBytes} bytes parked, budget ${budget}`);
				await greedy(sequence, first, 4);
				sequence.release();
			}
			const oldest = await small.start().feed([...prompts[0], 5], null);
			assert.strictEqual(oldest.reused, 0, 'the oldest cache was evicted');
			assert.ok(oldest.parkedBytes > 0 && oldest.parkedBytes <= budget, String(oldest.parkedBytes));
			const newest = await small.start().feed([...prompts[2], 5], null);
			assert.strictEqual(newest.reused, prompts[2].length);
		} finally {
			await small.dispose();
		}
	});

	it('a worker that dies takes its parked caches with it; the new one computes from scratch, correctly', async () => {
		const runner = await WorkerRunner.open({ modelPath: MODEL, heads: HEADS, log: () => undefined, script: SCRIPT });
		try {
			const prompt = promptFrom(12);
			const sequence = runner.start();
			await sequence.feed(prompt, null);
			sequence.release();
			const parked = await runner.start().feed([...prompt, 5, 6], null);
			assert.strictEqual(parked.reused, prompt.length, 'reused before the crash');
			runner.start().release();
			// Stands in for a crash (see above); the next sequence starts a new worker.
			await (runner as unknown as { live: { worker: { terminate(): Promise<number> } } }).live.worker.terminate();
			runner.dropParked(); // asking a lost worker to drop its caches is harmless
			const after = await runner.start().feed([...prompt, 5, 6], null);
			const cold = await local.start().feed([...prompt, 5, 6], null);
			assert.deepStrictEqual([after.reused, after.computed, after.parkedBytes], [0, prompt.length + 2, 0]);
			assertSamePass(after, cold, 'after the crash');
		} finally {
			await runner.dispose();
		}
	});
});
