/**
 * The decoding loop. Each step runs the model once (the prompt in one pass,
 * then one token at a time against the KV cache), turns the logits into the
 * step the inspector shows (probability, entropy, top alternatives), chooses
 * the next token, and checks cancellation and the stop rules before the next
 * step, so a cancelled request stops within one model step.
 */
import { randomUUID } from 'crypto';
import type { CancellationToken } from 'vscode-languageserver';
import type { GenerationKind, GenerationRecord, SamplingOptions, StopReason, TokenStep } from '../../protocol/generation';
import type { GenerationStats } from '../../protocol/lsp';
import { AttentionCapture } from './attention';
import type { StopVerdict } from './completionRules';
import type { LoadedModel } from './modelLoader';
import type { NextGuess } from './modelRunner';
import { argmaxAllowed, chooseToken, describeStep, inspectLogits, penalizeRepeats, seededRandom, type StepDistribution } from './sampling';
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
	/**
	 * Token healing: the prompt's last token was removed and its text is given
	 * here; the first generated token must start with it, and it is not part of
	 * the output (the user already typed it).
	 */
	healed?: string;
	onSteps?: (steps: TokenStep[]) => void;
	/**
	 * Attention to capture while generating, when the model has attention outputs: the prompt's
	 * last `promptRows` rows (Infinity: all) and every generated token's row. 'later': none while
	 * generating; the outcome says how to compute the generated tokens' rows in one pass if the
	 * user asks (inline completions, which would otherwise copy rows out on every step of every
	 * keystroke's completion, for a view few of them are shown in).
	 */
	attention: { promptRows: number } | 'later';
	token: CancellationToken;
}

/** How to compute a generation's attention after the fact: one pass over `ids`, rows from `rowStart`. */
export interface DeferredAttention {
	ids: number[];
	rowStart: number;
}

export interface GenerationOutcome {
	record: GenerationRecord;
	attention: AttentionCapture | null;
	/** Set instead of `attention` for jobs with attention 'later' (record.attention describes the rows). */
	deferredAttention: DeferredAttention | null;
	stats: GenerationStats;
}

/** Alternatives shown per step. */
const TOP_ALTERNATIVES = 8;

/**
 * The next token. The inspector shows the model's own distribution, but
 * control tokens (FIM markers) are never chosen: a small model sometimes
 * ranks them first where they mean nothing.
 */
function pickToken(
	logits: Float32Array,
	dist: StepDistribution,
	job: GenerationJob,
	generated: number[],
	banned: ReadonlySet<number>,
	random: () => number,
): number {
	const greedy = job.sampling.greedy || job.sampling.temperature <= 0;
	if (greedy && job.repetitionPenalty === 1) {
		const best = dist.top.find((c) => !banned.has(c.id));
		if (best) {
			return best.id;
		}
	}
	const adjusted = penalizeRepeats(logits, generated, job.repetitionPenalty);
	const masked = adjusted === logits && banned.size > 0 ? Float32Array.from(logits) : adjusted;
	for (const id of banned) {
		masked[id] = -Infinity;
	}
	return chooseToken(masked, job.sampling, random);
}

/**
 * Token healing for a prompt that ends in ordinary text: drop its last token and
 * return that token's text as GenerationJob.healed. A prompt ending in a control
 * token (<fim_middle>, a stop token) is left alone.
 */
export function healLastToken(loaded: LoadedModel, ids: number[]): { ids: number[]; healed: string } {
	const last = ids[ids.length - 1];
	if (ids.length < 2 || last === undefined || loaded.bannedIds.has(last) || loaded.stopIds.has(last)) {
		return { ids, healed: '' };
	}
	return { ids: ids.slice(0, -1), healed: loaded.codec.tokenText(last) };
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
	const plan = job.attention;
	const capture =
		loaded.hasAttention && plan !== 'later'
			? new AttentionCapture(loaded.layers, loaded.heads, Math.max(0, promptLength - plan.promptRows))
			: null;

	let modelSteps = 0;
	let stepsAtCancel: number | null = null;
	const listener = job.token.onCancellationRequested(() => {
		stepsAtCancel ??= modelSteps;
	});
	if (job.token.isCancellationRequested) {
		stepsAtCancel = 0;
	}

	const healed = job.healed ?? '';
	const visible = (t: string): string => (t.startsWith(healed) ? t.slice(healed.length) : t);
	let stopReason: StopReason = 'maxTokens';
	let text: string | undefined;
	let firstTokenMs = 0;
	let promptReused = 0;
	let parkedBytes = 0;
	const sequence = loaded.runner.start();
	let input = job.promptIds;
	const healing = healed !== '' ? codec.tokensStartingWith(healed) : [];
	// Greedy choices can be guessed, so the runner may work a pass ahead (see NextGuess).
	const guessable = (job.sampling.greedy || job.sampling.temperature <= 0) && job.repetitionPenalty === 1;
	const banned = [...loaded.bannedIds];
	const stops = [...loaded.stopIds];
	try {
		for (let i = 0; i < job.sampling.maxNewTokens; i++) {
			if (job.token.isCancellationRequested) {
				stopReason = 'cancelled';
				break;
			}
			const firstRow = sequence.length;
			const healingNow = i === 0 && healing.length > 0;
			const next: NextGuess | undefined =
				guessable && i + 1 < job.sampling.maxNewTokens
					? { banned, stops, allowed: healingNow ? healing : undefined, attentionFrom: capture ? 0 : null }
					: undefined;
			// Rows before the capture's first are not copied out at all (64 MB for a 1,000-token prompt).
			const from = capture ? Math.max(0, capture.rowStart - firstRow) : 0;
			const attentionFrom = capture && from < input.length ? from : null;
			const pass = await sequence.feed(input, attentionFrom, next);
			modelSteps++;
			if (i === 0) {
				promptReused = pass.reused;
				parkedBytes = pass.parkedBytes;
			}
			if (capture && attentionFrom !== null && pass.attention) {
				capture.add(pass.attention, firstRow + attentionFrom);
			}

			const dist = inspectLogits(pass.logits, TOP_ALTERNATIVES);
			// Healing takes the most likely of the tokens that re-spell the healed text (greedy).
			const id = healingNow ? argmaxAllowed(pass.logits, healing, []) : pickToken(pass.logits, dist, job, generated, loaded.bannedIds, random);
			if (i === 0) {
				firstTokenMs = performance.now() - started;
			}
			if (loaded.stopIds.has(id)) {
				stopReason = 'eos';
				break;
			}
			generated.push(id);
			const step: TokenStep = { id, text: decoder.push(id), ...describeStep(dist, id, (t) => codec.tokenText(t)) };
			steps.push(step);
			job.onSteps?.([step]);

			const sofar = visible(decoder.text);
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
		sequence.release();
	}

	// A cancelled generation keeps what it produced: the panel shows it; completions drop it.
	const finalText = text ?? visible(decoder.text);
	const keptSteps = text === undefined ? steps : stepsFor(steps, healed + finalText);
	const elapsedMs = performance.now() - started;
	const deferredAttention =
		plan === 'later' && loaded.hasAttention && keptSteps.length > 0
			? { ids: [...job.promptIds, ...keptSteps.map((s) => s.id)], rowStart: promptLength }
			: null;
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
			: deferredAttention
				? { layers: loaded.layers, heads: loaded.heads, totalTokens: deferredAttention.ids.length, rowStart: deferredAttention.rowStart }
				: null,
		createdAt: Date.now(),
	};
	return {
		record,
		attention: capture,
		deferredAttention,
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
			promptReused,
			promptComputed: modelSteps > 0 ? promptLength - promptReused : 0,
			parkedBytes,
		},
	};
}
