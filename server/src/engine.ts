/**
 * The decoding loop. Each step runs the model once (the prompt in one pass,
 * then one token at a time against the KV cache), turns the logits into the
 * step the inspector shows (probability, entropy, top alternatives), chooses
 * the next token, and checks cancellation and the stop rules before the next
 * step, so a cancelled request stops within one model step.
 */
import { randomUUID } from 'crypto';
import { Tensor } from '@huggingface/transformers';
import type { CancellationToken } from 'vscode-languageserver';
import type { GenerationKind, GenerationRecord, SamplingOptions, StopReason, TokenStep } from '../../protocol/generation';
import type { GenerationStats } from '../../protocol/lsp';
import { AttentionCapture, type AttentionTensor } from './attention';
import type { StopVerdict } from './completionRules';
import type { LoadedModel } from './modelLoader';
import { chooseToken, describeStep, penalizeRepeats, seededRandom, softmax } from './sampling';
import { IncrementalDecoder } from './tokenCodec';

export interface GenerationJob {
	kind: GenerationKind;
	title: string;
	promptIds: number[];
	sampling: SamplingOptions;
	repetitionPenalty: number;
	/** Cut the output before the first of these strings and stop. */
	stopStrings: string[];
	/** Completion rules, called with the text so far after each step. */
	stopRule?: (text: string) => StopVerdict;
	onSteps?: (steps: TokenStep[]) => void;
	/** Prompt rows of attention to keep (0: none; Infinity: all). */
	attentionPromptRows: number;
	token: CancellationToken;
}

export interface GenerationOutcome {
	record: GenerationRecord;
	attention: AttentionCapture | null;
	stats: GenerationStats;
}

/** Alternatives shown per step. */
const TOP_ALTERNATIVES = 8;

type OrtLikeTensor = { data: ArrayLike<number>; dims: number[]; type: string; dispose?: () => void; location?: string };

/** IEEE half → float, for models whose logits come back as float16. */
function halfToFloat(h: number): number {
	const s = h & 0x8000 ? -1 : 1;
	const e = (h >> 10) & 0x1f;
	const f = h & 0x03ff;
	if (e === 0) {
		return s * 2 ** -14 * (f / 1024);
	}
	if (e === 31) {
		return f ? NaN : s * Infinity;
	}
	return s * 2 ** (e - 15) * (1 + f / 1024);
}

function lastRow(logits: OrtLikeTensor): Float32Array {
	const [, seq, vocab] = logits.dims;
	const start = (seq - 1) * vocab;
	if (logits.data instanceof Float32Array) {
		return logits.data.subarray(start, start + vocab);
	}
	const out = new Float32Array(vocab);
	const half = logits.type === 'float16';
	for (let i = 0; i < vocab; i++) {
		const v = logits.data[start + i];
		out[i] = half ? halfToFloat(v) : v;
	}
	return out;
}

function int64(values: number[] | bigint[], dims: number[]): Tensor {
	const data = new BigInt64Array(values.length);
	for (let i = 0; i < values.length; i++) {
		data[i] = BigInt(values[i]);
	}
	return new Tensor('int64', data, dims);
}

function cutAtStopString(text: string, stops: string[]): string | undefined {
	let cut = -1;
	for (const s of stops) {
		const at = text.indexOf(s);
		if (at >= 0 && (cut < 0 || at < cut)) {
			cut = at;
		}
	}
	return cut >= 0 ? text.slice(0, cut) : undefined;
}

/** Keep the steps that make up `text` (the last one may be cut inside). */
function stepsFor(steps: TokenStep[], text: string): TokenStep[] {
	let length = 0;
	let n = 0;
	while (n < steps.length && length < text.length) {
		length += steps[n].text.length;
		n++;
	}
	return steps.slice(0, n);
}

export async function generate(loaded: LoadedModel, job: GenerationJob, modelSetting: string): Promise<GenerationOutcome> {
	const started = performance.now();
	const { codec } = loaded;
	const random = seededRandom(job.sampling.seed);
	const decoder = new IncrementalDecoder(codec);
	const steps: TokenStep[] = [];
	const generated: number[] = [];
	const promptLength = job.promptIds.length;
	const capture =
		loaded.hasAttention && job.attentionPromptRows > 0
			? new AttentionCapture(loaded.layers, loaded.heads, Math.max(0, promptLength - job.attentionPromptRows))
			: null;

	let modelSteps = 0;
	let stepsAtCancel: number | null = null;
	const listener = job.token.onCancellationRequested(() => {
		stepsAtCancel ??= modelSteps;
	});
	if (job.token.isCancellationRequested) {
		stepsAtCancel = 0;
	}

	let stopReason: StopReason = 'maxTokens';
	let text: string | undefined;
	let firstTokenMs = 0;
	let past: Record<string, OrtLikeTensor> | undefined;
	let input = job.promptIds;
	let position = 0;
	try {
		for (let i = 0; i < job.sampling.maxNewTokens; i++) {
			if (job.token.isCancellationRequested) {
				stopReason = 'cancelled';
				break;
			}
			const inputs: Record<string, unknown> = {
				input_ids: int64(input, [1, input.length]),
				attention_mask: int64(new Array<number>(position + input.length).fill(1), [1, position + input.length]),
			};
			if (past) {
				inputs.past_key_values = past;
			}
			if (loaded.takesLogitsToKeep) {
				inputs.num_logits_to_keep = int64([1], []);
			}
			const outputs = (await loaded.model.forward(inputs)) as Record<string, OrtLikeTensor>;
			modelSteps++;

			const next: Record<string, OrtLikeTensor> = {};
			const attention: AttentionTensor[] = [];
			for (const [name, tensor] of Object.entries(outputs)) {
				if (name.startsWith('present')) {
					next[name.replace('present', 'past_key_values')] = tensor;
				} else if (name.startsWith('decoder_attentions.')) {
					attention[Number(name.slice('decoder_attentions.'.length))] = tensor;
				}
			}
			releaseGpuTensors(past);
			past = next;
			if (capture && attention.length === loaded.layers) {
				capture.add(attention, position);
			}
			position += input.length;

			const logits = lastRow(outputs.logits);
			const probs = softmax(logits);
			const penalized = penalizeRepeats(logits, generated, job.repetitionPenalty);
			const id = chooseToken(penalized, job.sampling, random);
			if (i === 0) {
				firstTokenMs = performance.now() - started;
			}
			if (loaded.stopIds.has(id)) {
				stopReason = 'eos';
				break;
			}
			generated.push(id);
			const step: TokenStep = { id, text: decoder.push(id), ...describeStep(probs, id, TOP_ALTERNATIVES, (t) => codec.tokenText(t)) };
			steps.push(step);
			job.onSteps?.([step]);

			const sofar = decoder.text;
			const cut = cutAtStopString(sofar, job.stopStrings);
			if (cut !== undefined) {
				text = cut;
				stopReason = 'stopRule';
				break;
			}
			if (job.stopRule) {
				const verdict = job.stopRule(sofar);
				if (verdict.stop) {
					text = verdict.text;
					stopReason = 'stopRule';
					break;
				}
			}
			input = [id];
		}
	} finally {
		listener.dispose();
		releaseGpuTensors(past);
	}

	// A cancelled generation keeps what it produced: the panel shows it; completions drop it.
	const finalText = text ?? decoder.text;
	const keptSteps = text === undefined ? steps : stepsFor(steps, finalText);
	const elapsedMs = performance.now() - started;
	const record: GenerationRecord = {
		id: randomUUID(),
		kind: job.kind,
		model: modelSetting,
		title: job.title,
		promptTokens: job.promptIds.map((t) => codec.tokenText(t)),
		promptIds: [...job.promptIds],
		steps: keptSteps,
		text: finalText,
		stopReason,
		elapsedMs,
		attention: capture
			? { layers: capture.layers, heads: capture.heads, totalTokens: capture.totalTokens, rowStart: capture.rowStart }
			: null,
		createdAt: Date.now(),
	};
	return {
		record,
		attention: capture,
		stats: {
			id: record.id,
			kind: job.kind,
			stopReason,
			promptTokens: promptLength,
			generatedTokens: steps.length,
			modelSteps,
			stepsAfterCancel: stepsAtCancel === null ? null : modelSteps - stepsAtCancel,
			elapsedMs,
			firstTokenMs,
		},
	};
}

/** CPU tensors are garbage collected; GPU buffers must be released by hand. */
function releaseGpuTensors(tensors: Record<string, OrtLikeTensor> | undefined): void {
	if (!tensors) {
		return;
	}
	for (const t of Object.values(tensors)) {
		if (t.location && t.location !== 'cpu') {
			t.dispose?.();
		}
	}
}
