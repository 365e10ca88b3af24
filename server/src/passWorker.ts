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
 */
import { parentPort, receiveMessageOnPort } from 'worker_threads';
import { InferenceSession } from 'onnxruntime-node';
import { guessNext, ModelRunner, type Checkpoint, type PassResult, type Sequence } from './modelRunner';
import type { FeedMessage, FromPassWorker, OpenMessage, ToPassWorker } from './passWorkerProtocol';

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
	sequence: Sequence;
	ahead: Ahead | undefined;
}

let runner: ModelRunner | undefined;
const pipelines = new Map<number, Pipeline>();

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
		post({ kind: 'opened', attentionLayers: runner.attentionLayers });
	} catch (e) {
		post({ kind: 'openFailed', message: errorText(e) });
	}
}

/** A float32 array that owns its whole buffer, so the buffer can be transferred. */
function owned(data: Float32Array): Float32Array {
	return data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice();
}

/** The pass for `message`: the one run ahead when it guessed right, else a new one. */
async function pass(pipeline: Pipeline, message: FeedMessage): Promise<PassResult> {
	const ahead = pipeline.ahead;
	pipeline.ahead = undefined;
	if (ahead) {
		const done = await ahead.pass;
		if (done && message.ids.length === 1 && message.ids[0] === ahead.token && message.attentionFrom === ahead.attentionFrom) {
			return done;
		}
		pipeline.sequence.rewind(ahead.checkpoint);
	}
	return pipeline.sequence.feed(message.ids, message.attentionFrom);
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
			pipeline = { sequence: runner.start(), ahead: undefined };
			pipelines.set(message.sequence, pipeline);
		}
		result = await pass(pipeline, message);
	} catch (e) {
		post({ kind: 'passFailed', request: message.request, message: errorText(e) });
		return;
	}
	// Guess before answering: the answer hands the logits' buffer over.
	const next = message.next ? guessNext(result.logits, message.next) : undefined;
	const logits = owned(result.logits);
	const attention = result.attention?.map((a) => ({ data: owned(a.data), dims: [...a.dims] })) ?? null;
	post({ kind: 'pass', request: message.request, logits, attention }, [logits.buffer as ArrayBuffer, ...(attention ?? []).map((a) => a.data.buffer as ArrayBuffer)]);
	if (next !== undefined && message.next && pipelines.get(message.sequence) === pipeline) {
		const { sequence } = pipeline;
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
			// A pass run ahead finishes on its own; nothing refers to its result after this.
			pipelines.get(message.sequence)?.sequence.release();
			pipelines.delete(message.sequence);
			break;
	}
}

port.on('message', dispatch);
