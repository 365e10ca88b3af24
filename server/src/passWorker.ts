/**
 * Worker thread that owns a CPU model's ONNX session and the KV caches of its
 * sequences. Running the passes here keeps the caches (megabytes of new
 * buffers per step, since onnxruntime-node copies every output out) off the
 * main thread's heap: there each collection walks the tokenizer, documents and
 * generation records too, and garbage collection was the main cost of a
 * completion beyond the model itself. Only the last row of logits and the
 * requested attention rows cross over. The main thread stays free to read
 * LSP messages (cancellations) while a long prompt is computed.
 *
 * Working ahead: when a feed says how the next token will likely be chosen
 * (NextGuess), the worker runs that token's pass right after answering, while
 * the main thread turns the logits into the step the user sees and checks its
 * stop rules. When the main thread's choice matches, the pass is already done
 * (or under way); when not, the cache is rewound and the right pass runs.
 *
 * Reusing prompts: a released sequence's cache is parked with the ids it
 * holds (prefixCache.ts), including a token run ahead. A new sequence's first
 * feed takes over the parked cache with the longest common prefix, cut back
 * to it, and computes only the ids after it: the next keystroke's prompt
 * shares all but its last few tokens with the last one. Rows of attention
 * asked for cannot come from a cache, so reuse stops at the first such row,
 * and at least the last id is always computed, for its logits.
 */
import { parentPort, receiveMessageOnPort } from 'worker_threads';
import { InferenceSession } from 'onnxruntime-node';
import { guessNext, ModelRunner, type Checkpoint, type PassResult, type Sequence } from './modelRunner';
import type { FeedMessage, FromPassWorker, OpenMessage, ToPassWorker } from './passWorkerProtocol';
import { PrefixCache } from './prefixCache';

const port = parentPort;
if (!port) {
	throw new Error('passWorker.js runs as a worker thread of the language server.');
}

/** A pass run ahead of its feed, on the guessed token. */
interface Ahead {
	token: number;
	attentionFrom: number | null;
	/** The cache before the pass, to rewind to when the guess was wrong. */
	checkpoint: Checkpoint;
	/** undefined when the pass failed (the feed then runs it again and reports the error). */
	pass: Promise<PassResult | undefined>;
}

interface Pipeline {
	/** Created by the first feed. */
	sequence: Sequence | undefined;
	ahead: Ahead | undefined;
	/** The feed under way: a released sequence is parked only after it. */
	busy: Promise<void>;
}

let runner: ModelRunner | undefined;
let parked = new PrefixCache(0);
const pipelines = new Map<number, Pipeline>();
/** Releases parking their caches (after the pass each ran ahead), in order; a new sequence waits for them. */
let parking: Promise<void> = Promise.resolve();

function post(message: FromPassWorker, transfer: ArrayBuffer[] = []): void {
	port!.postMessage(message, transfer);
}

function errorText(e: unknown): string {
	return e instanceof Error ? e.message : String(e);
}

async function open(message: OpenMessage): Promise<void> {
	try {
		// The same options transformers.js gives a CPU session (its log level is warnings).
		const session = await InferenceSession.create(message.modelPath, { executionProviders: ['cpu'], logSeverityLevel: 2 });
		const decoder =
			session.inputNames.includes('input_ids') &&
			session.inputNames.some((n) => n.startsWith('past_key_values.')) &&
			session.outputNames.includes('logits');
		if (!decoder) {
			await session.release();
			post({
				kind: 'openFailed',
				message: `${message.modelPath} is not a decoder-only language model with a KV cache (it needs input_ids and past_key_values.* inputs and a logits output).`,
			});
			return;
		}
		runner = new ModelRunner(session, message.heads, () => session.release());
		parked = new PrefixCache(message.parkBytes);
		post({ kind: 'opened', attentionLayers: runner.attentionLayers });
	} catch (e) {
		post({ kind: 'openFailed', message: errorText(e) });
	}
}

/** A float32 array that owns its whole buffer, so the buffer can be transferred. */
function owned(data: Float32Array): Float32Array {
	return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

/** A sequence's first pass: from the parked cache sharing the most leading ids, or from nothing. */
async function begin(model: ModelRunner, pipeline: Pipeline, message: FeedMessage): Promise<PassResult> {
	await parking;
	const { ids, attentionFrom } = message;
	const limit = Math.min(ids.length - 1, attentionFrom ?? Number.POSITIVE_INFINITY);
	let taken;
	try {
		taken = parked.take(ids, limit);
	} catch (e) {
		// A cache of an unexpected layout: compute everything, which is always right.
		console.error(`A parked KV cache could not be reused: ${errorText(e)}`);
	}
	const reused = taken?.reused ?? 0;
	const sequence = taken ? model.start({ past: taken.past, ids: ids.slice(0, reused) }) : model.start();
	pipeline.sequence = sequence;
	const result = await sequence.feed(reused > 0 ? ids.slice(reused) : ids, attentionFrom === null ? null : attentionFrom - reused);
	return { ...result, reused };
}

/** The pass for `message`: the one run ahead when it guessed right, else a new one. */
async function pass(model: ModelRunner, pipeline: Pipeline, message: FeedMessage): Promise<PassResult> {
	const sequence = pipeline.sequence;
	if (!sequence) {
		return begin(model, pipeline, message);
	}
	const ahead = pipeline.ahead;
	pipeline.ahead = undefined;
	if (ahead) {
		const done = await ahead.pass;
		if (done && message.ids.length === 1 && message.ids[0] === ahead.token && message.attentionFrom === ahead.attentionFrom) {
			return done;
		}
		sequence.rewind(ahead.checkpoint);
	}
	return sequence.feed(message.ids, message.attentionFrom);
}

async function feed(message: FeedMessage): Promise<void> {
	let result: PassResult;
	let pipeline: Pipeline | undefined;
	try {
		if (!runner) {
			throw new Error('The model session is not open.');
		}
		pipeline = pipelines.get(message.sequence);
		if (!pipeline) {
			pipeline = { sequence: undefined, ahead: undefined, busy: Promise.resolve() };
			pipelines.set(message.sequence, pipeline);
		}
		const running = pass(runner, pipeline, message);
		pipeline.busy = running.then(
			() => undefined,
			() => undefined,
		);
		result = await running;
	} catch (e) {
		post({ kind: 'passFailed', request: message.request, message: errorText(e) });
		return;
	}
	// Guess before answering: the answer hands the logits' buffer over.
	const next = message.next ? guessNext(result.logits, message.next) : undefined;
	const logits = owned(result.logits);
	const attention = result.attention?.map((a) => ({ data: owned(a.data), dims: [...a.dims] })) ?? null;
	post({ kind: 'pass', request: message.request, logits, attention, reused: result.reused, computed: result.computed, parkedBytes: parked.bytes }, [logits.buffer as ArrayBuffer, ...(attention ?? []).map((a) => a.data.buffer as ArrayBuffer)]);
	const sequence = pipeline.sequence;
	if (next !== undefined && message.next && sequence && pipelines.get(message.sequence) === pipeline) {
		pipeline.ahead = {
			token: next,
			attentionFrom: message.next.attentionFrom,
			checkpoint: sequence.checkpoint(),
			pass: sequence.feed([next], message.next.attentionFrom).then(
				(result) => {
					queueMicrotask(takeWaitingMessage);
					return result;
				},
				() => undefined,
			),
		};
	}
}

/**
 * After a pass run ahead, the main thread's next feed (the one it confirms) is
 * usually already waiting: take it now rather than a turn of the event loop
 * later, which on a small model is a tenth of a step.
 */
function takeWaitingMessage(): void {
	const waiting = receiveMessageOnPort(port!);
	if (waiting) {
		dispatch(waiting.message as ToPassWorker);
	}
}

function dispatch(message: ToPassWorker): void {
	switch (message.kind) {
		case 'open':
			void open(message);
			break;
		case 'feed':
			void feed(message);
			break;
		case 'release':
			release(message.sequence);
			break;
		case 'dropParked':
			afterParking(() => parked.clear());
			break;
		case 'close':
			void close();
			break;
	}
}

/** Wait for every pass under way (feeds, passes run ahead, parking), then free the session. */
async function close(): Promise<void> {
	const model = runner;
	runner = undefined; // feeds from now on fail clearly
	await Promise.all([...pipelines.values()].flatMap((p) => [p.busy, p.ahead?.pass]));
	pipelines.clear();
	await parking;
	parked.clear();
	try {
		await model?.dispose();
	} catch (e) {
		console.error(`Freeing the model session failed: ${errorText(e)}`);
	}
	post({ kind: 'closed' });
}

/**
 * Park a released sequence's cache once its last pass (and the one run ahead of
 * it, whose token then belongs to the parked ids) is done.
 */
function release(id: number): void {
	const pipeline = pipelines.get(id);
	pipelines.delete(id);
	if (!pipeline) {
		return;
	}
	afterParking(async () => {
		await pipeline.busy;
		await pipeline.ahead?.pass;
		const sequence = pipeline.sequence;
		if (sequence) {
			parked.park(sequence.ids, sequence.checkpoint().past);
			sequence.release();
		}
	});
}

/** Queue `step` behind the parking under way; a failed step is logged and never blocks the next sequence. */
function afterParking(step: () => void | Promise<void>): void {
	parking = parking.then(step).catch((e: unknown) => console.error(`Parking a KV cache failed: ${errorText(e)}`));
}

port.on('message', dispatch);
