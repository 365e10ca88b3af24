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
import type { StopVerdict } from './completion/streamFilters';
import type { LoadedModel } from './modelLoader';
import type { NextGuess } from './modelRunner';
import type { ChatTurn } from './backends';
import { generateRemote } from './remoteGeneration';
import { cutAtStopString, stepsFor } from './stopText';
import { argmaxAllowed, chooseToken, describeStep, inspectLogits, penalizeRepeats, seededRandom, type StepDistribution } from './sampling';
import { IncrementalDecoder } from './tokenCodec';
import { healingChoices, healPrompt, remainingAfter, visibleText, type HealedPrompt } from './tokenHealing';

export interface GenerationJob {
	kind: GenerationKind;
	title: string;
	promptIds: number[];
	/** For an inference server: a chat to send to its chat endpoint instead of promptIds (taskPrompts.ts). */
	messages?: ChatTurn[];
	sampling: SamplingOptions;
	repetitionPenalty: number;
	/** Cut the output before the first of these strings and stop. */
	stopStrings: string[];
	/** Completion rules, called with the text so far after each step. */
	stopRule?: (text: string) => StopVerdict;
	/**
	 * Token healing: the prompt's last token was removed and its text is given
	 * here; the first generated tokens must spell it again (tokenHealing.ts),
	 * and it is not part of the output (the user already typed it).
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
	/**
	 * Called before each model step (0: the prompt's pass); when it returns a promise, the step
	 * waits for it. The test hooks hold a generation at a known step this way (testHooks.ts).
	 */
	beforeStep?: (step: number) => Promise<void> | undefined;
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

/** Which tokens a step may choose: never `banned`; only `allowed` when given (token healing, inside a UTF-8 character). */
interface StepChoices {
	banned: ReadonlySet<number>;
	bannedList: readonly number[];
	allowed?: readonly number[];
}

/**
 * The next token. The inspector shows the model's own distribution, but
 * control tokens (FIM markers) are never chosen: a small model sometimes
 * ranks them first where they mean nothing. -1 when nothing is allowed.
 */
function pickToken(
	logits: Float32Array,
	dist: StepDistribution,
	job: GenerationJob,
	generated: number[],
	choices: StepChoices,
	random: () => number,
): number {
	const greedy = job.sampling.greedy || job.sampling.temperature <= 0;
	if (greedy && choices.allowed) {
		// Constrained steps are greedy: healing re-spells what the user typed, the model's best way.
		return argmaxAllowed(logits, choices.allowed, choices.bannedList);
	}
	if (greedy && job.repetitionPenalty === 1) {
		const best = dist.top.find((c) => !choices.banned.has(c.id));
		if (best) {
			return best.id;
		}
		return argmaxAllowed(logits, undefined, choices.bannedList);
	}
	const adjusted = penalizeRepeats(logits, generated, job.repetitionPenalty);
	let masked: Float32Array;
	if (choices.allowed) {
		masked = new Float32Array(logits.length).fill(-Infinity);
		for (const id of choices.allowed) {
			masked[id] = adjusted[id];
		}
	} else {
		masked = adjusted === logits ? Float32Array.from(logits) : adjusted;
	}
	for (const id of choices.bannedList) {
		masked[id] = -Infinity;
	}
	return chooseToken(masked, job.sampling, random);
}

/**
 * Token healing for a prompt that ends in ordinary text (see tokenHealing.ts); control tokens are
 * left alone. Not on a server whose tokens Glassbox only estimates (remoteModel.ts).
 */
export function healLastToken(loaded: LoadedModel, ids: number[]): HealedPrompt {
	if (loaded.kind === 'remote' && loaded.tokenizer === 'estimate') {
		return { ids: [...ids], healed: '' };
	}
	return healPrompt(loaded.codec, ids, (id) => loaded.bannedIds.has(id) || loaded.stopIds.has(id));
}

/**
 * Runs one generation to its end: at most `job.sampling.maxNewTokens` new
 * tokens after `job.promptIds` (token ids, at most the model's context),
 * streaming each step to `job.onSteps`. It ends at an end token, a stop
 * string, a stop rule, the token budget, or within one model step of
 * `job.token`'s cancellation (stopReason 'cancelled': not an error; the
 * steps so far are kept). `modelSetting` is recorded with the result.
 * Rejects only with what a forward pass throws (onnxruntime, a worker that
 * stopped). A model on an inference server runs remoteGeneration.ts's loop
 * instead, which rejects with a BackendError when the server fails.
 */
export async function generate(loaded: LoadedModel, job: GenerationJob, modelSetting: string): Promise<GenerationOutcome> {
	if (loaded.kind === 'remote') {
		return generateRemote(loaded, job, modelSetting);
	}
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
	const visible = (t: string): string => visibleText(t, healed);
	/** The healed text not yet spelled again; while it is not empty, choices are constrained. */
	let needed = healed;
	let stopReason: StopReason = 'maxTokens';
	let text: string | undefined;
	let firstTokenMs = 0;
	let promptReused = 0;
	let parkedBytes = 0;
	const sequence = loaded.runner.start();
	let input = job.promptIds;
	// Greedy choices can be guessed, so the runner may work a pass ahead (see NextGuess).
	const guessable = (job.sampling.greedy || job.sampling.temperature <= 0) && job.repetitionPenalty === 1;
	const stops = [...loaded.stopIds];
	// Control tokens are never output; at a character boundary, neither are bytes that cannot start one.
	const utf8 = codec.utf8;
	const atBoundary = new Set([...loaded.bannedIds, ...(utf8?.bannedAtBoundary ?? [])]);
	const boundary: StepChoices = { banned: atBoundary, bannedList: [...atBoundary] };
	const insideChar: StepChoices = { banned: loaded.bannedIds, bannedList: [...loaded.bannedIds] };
	/** Continuation bytes the text still owes its last character. */
	let utf8Need = 0;
	try {
		for (let i = 0; i < job.sampling.maxNewTokens; i++) {
			const hold = job.beforeStep?.(i);
			if (hold) {
				await hold;
			}
			if (job.token.isCancellationRequested) {
				stopReason = 'cancelled';
				break;
			}
			const firstRow = sequence.length;
			const choices: StepChoices =
				utf8 && utf8Need > 0
					? { ...insideChar, allowed: utf8.allowedWhile(utf8Need) }
					: needed !== ''
						? { ...boundary, allowed: healingChoices(codec, needed) }
						: boundary;
			const next: NextGuess | undefined =
				guessable && i + 1 < job.sampling.maxNewTokens
					? { banned: choices.bannedList, stops, allowed: choices.allowed, attentionFrom: capture ? 0 : null }
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
			const id = pickToken(pass.logits, dist, job, generated, choices, random);
			if (i === 0) {
				firstTokenMs = performance.now() - started;
			}
			if (id < 0 || loaded.stopIds.has(id)) {
				stopReason = 'eos';
				break;
			}
			if (needed !== '') {
				needed = remainingAfter(needed, codec.tokenText(id));
			}
			utf8Need = utf8 ? utf8.after(utf8Need, id) : 0;
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
	// A generation cut inside a character (token budget) drops the unfinished character.
	const produced = text ?? visible(decoder.text);
	const finalText = utf8Need > 0 ? produced.replace(/\uFFFD+$/, '') : produced;
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
