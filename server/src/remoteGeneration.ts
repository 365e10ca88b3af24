/**
 * The decoding loop for a model on an inference server, beside the local one
 * (engine.ts) and producing the same records: one TokenStep per token the
 * server streams (its probability, the top alternatives the server reported,
 * the entropy estimated from them), the stop strings and the completion's stop
 * rule applied to the text so far, and the HTTP stream closed as soon as one
 * fires, or when `job.token` is cancelled. `job.beforeStep` holds the loop
 * before a step as it holds the local one: step i is the request that brings
 * token i, or reading token i from the open stream.
 *
 * Token healing (job.healed: the prompt's last token was removed): the prompt
 * goes without it and the first tokens must re-spell its text by the rule of
 * tokenHealing.ts (start with the text still to re-spell, or be a prefix of it
 * that stops before whitespace). Greedy, the server's tokens are the model's
 * best, so whenever healing allows them they are what the constrained local
 * choice gives. When the server writes something else, the stream is closed,
 * and then:
 * - llama.cpp (token ids): one request of one token per healed step, with the
 *   top HEAL_TOP_K alternatives; the best one that healing allows is appended
 *   to the prompt, the server's prompt cache keeping each request to one model
 *   step. When none of them is allowed, the prompt is not healed: its last
 *   token goes back.
 * - text servers: the prompt is sent again unhealed (text cannot carry a
 *   chosen token: the server would tokenize it again with what precedes it).
 */
import { randomUUID } from 'crypto';
import type { StopReason, TokenAlternative, TokenStep } from '../../protocol/generation';
import { BackendError, type RemoteAlternative, type RemotePromptFacts, type RemoteRequest, type RemoteStream, type RemoteToken } from './backends';
import type { GenerationJob, GenerationOutcome } from './engine';
import type { RemoteModel } from './remoteModel';
import { ServerTokenizer } from './serverTokenizer';
import { cutAtStopString, stepsFor } from './stopText';
import { healingAllows, remainingAfter, visibleText } from './tokenHealing';

/** Alternatives kept per step, as the local engine keeps. */
const TOP_ALTERNATIVES = 8;
/** OpenAI's legacy Completions API allows at most 5 (vLLM and others more). */
const OPENAI_TOP_ALTERNATIVES = 5;
/** Alternatives a healing step looks through for one that re-spells the healed text. */
const HEAL_TOP_K = 40;
/** Breaks a control token's text where it appears in a document, so a text server reads it as text. */
const WORD_JOINER = '\u2060';

class Cancelled extends Error {}
class HealingDiverged extends Error {}

/**
 * Runs `job` on the server of `model`. Resolves like engine.ts's generate (stopReason
 * 'cancelled' when `job.token` fired; attention is always null); rejects with the
 * BackendError of a server that failed.
 */
export async function generateRemote(model: RemoteModel, job: GenerationJob, modelSetting: string): Promise<GenerationOutcome> {
	const run = new RemoteRun(model, job);
	try {
		await run.execute();
	} finally {
		run.dispose();
	}
	return run.outcome(modelSetting);
}

class RemoteRun {
	private readonly started = performance.now();
	private readonly abort = new AbortController();
	private readonly listener: { dispose(): void };
	private readonly limit: number;
	private steps: TokenStep[] = [];
	/** Steps not yet given to job.onSteps: healing may still be undone. */
	private unsent: TokenStep[] = [];
	private decoded = '';
	private healed = '';
	/** Steps already held before (job.beforeStep is asked once per step). */
	private heldUpTo = -1;
	private promptIds: number[];
	private promptTokens: string[];
	private stopReason: StopReason = 'maxTokens';
	private cut: string | undefined;
	private firstTokenMs = 0;
	/** What the server said about the last request's prompt. */
	private prompt: RemotePromptFacts | undefined;
	private received = 0;
	private receivedAtCancel: number | null = null;

	constructor(
		private readonly model: RemoteModel,
		private readonly job: GenerationJob,
	) {
		this.listener = job.token.onCancellationRequested(() => {
			this.receivedAtCancel ??= this.received;
			this.abort.abort();
		});
		this.limit = !model.info.logprobs ? 0 : model.client.kind === 'openai' ? OPENAI_TOP_ALTERNATIVES : TOP_ALTERNATIVES;
		this.promptIds = [...job.promptIds];
		this.promptTokens = this.promptIds.map((id) => model.codec.tokenText(id));
	}

	dispose(): void {
		this.listener.dispose();
	}

	async execute(): Promise<void> {
		try {
			if (this.job.token.isCancellationRequested) {
				throw new Cancelled();
			}
			if (this.job.messages) {
				this.promptIds = [];
				this.promptTokens = this.job.messages.map((m) => `${m.role}: ${m.content}`);
				await this.consume(this.model.client.chat({ ...this.request(this.job.sampling.maxNewTokens), messages: this.job.messages }, this.abort.signal), '');
			} else if (this.model.tokenizer === 'server') {
				await this.generateFromIds();
			} else {
				await this.generateFromText();
			}
		} catch (e) {
			if (e instanceof Cancelled || (e instanceof BackendError && e.kind === 'cancelled')) {
				this.stopReason = 'cancelled';
				return;
			}
			throw e;
		}
	}

	private async generateFromIds(): Promise<void> {
		let ids = [...this.job.promptIds];
		const healed = this.job.healed ?? '';
		if (healed !== '') {
			// Greedy, the server's first tokens are the model's best: when healing allows them they are
			// what the constrained local choice gives, and one request does it all.
			try {
				this.healed = healed;
				await this.consume(this.model.client.stream({ ...this.request(this.job.sampling.maxNewTokens), prompt: ids }, this.abort.signal), healed);
				return;
			} catch (e) {
				if (!(e instanceof HealingDiverged)) {
					throw e;
				}
				this.reset();
			}
			const extended = await this.healBySteps(ids, healed);
			if (extended) {
				// The healing tokens are steps of the output, not part of the prompt.
				ids = extended;
				this.healed = healed;
			} else {
				this.reset();
				const codec = this.model.codec as ServerTokenizer;
				ids = [...ids, ...(await codec.run(() => codec.encode(healed), this.abort.signal))];
				this.setPrompt(ids);
			}
		}
		const left = this.job.sampling.maxNewTokens - this.steps.length;
		if (left > 0 && this.stopReason === 'maxTokens') {
			await this.consume(this.model.client.stream({ ...this.request(left), prompt: ids }, this.abort.signal), '');
		}
	}

	private async generateFromText(): Promise<void> {
		const healed = this.job.healed ?? '';
		const text = this.textOf(this.job.promptIds);
		this.healed = healed;
		try {
			await this.consume(this.model.client.stream({ ...this.request(this.job.sampling.maxNewTokens), prompt: text }, this.abort.signal), healed);
		} catch (e) {
			if (!(e instanceof HealingDiverged)) {
				throw e;
			}
			this.reset();
			this.setPrompt([...this.job.promptIds, ...this.model.codec.encode(healed)]);
			await this.consume(this.model.client.stream({ ...this.request(this.job.sampling.maxNewTokens), prompt: text + healed }, this.abort.signal), '');
		}
	}

	/** The request's sampling fields; greedy is temperature 0 everywhere. */
	private request(maxTokens: number): Omit<RemoteRequest, 'prompt'> {
		const s = this.job.sampling;
		const greedy = s.greedy || s.temperature <= 0;
		return {
			maxTokens,
			temperature: greedy ? 0 : s.temperature,
			topK: greedy ? 0 : s.topK,
			topP: greedy ? 1 : s.topP,
			seed: s.seed,
			topLogprobs: this.limit,
			stop: [],
			bannedTokens: [...this.model.bannedIds],
			cachePrompt: true,
			repetitionPenalty: this.job.repetitionPenalty,
		};
	}

	/**
	 * Re-spells `healed` one requested token at a time (see the file's comment). Resolves the
	 * prompt with the chosen tokens appended, or undefined when no allowed token was offered.
	 */
	private async healBySteps(ids: number[], healed: string): Promise<number[] | undefined> {
		const prompt = [...ids];
		let needed = healed;
		while (needed !== '') {
			if (this.steps.length >= this.job.sampling.maxNewTokens) {
				return prompt;
			}
			await this.before();
			const stream = this.model.client.stream({ ...this.request(1), prompt, topLogprobs: HEAL_TOP_K }, this.abort.signal);
			let first: RemoteToken | undefined;
			for await (const token of stream) {
				first ??= token;
			}
			this.received++;
			const pick = first?.top.find(
				(a) => a.id !== undefined && !this.model.bannedIds.has(a.id) && !this.model.stopIds.has(a.id) && healingAllows(a.text, needed),
			);
			if (!first || !pick) {
				return undefined;
			}
			this.firstTokenMs ||= performance.now() - this.started;
			this.decoded += pick.text;
			this.record(stepOf(pick.text, pick.id, pick.logprob, first.top, this.limit));
			prompt.push(pick.id!);
			needed = remainingAfter(needed, pick.text);
		}
		this.flush();
		return prompt;
	}

	/**
	 * Reads `stream` to its end or until a stop fires (leaving the loop closes the HTTP stream).
	 * While `needed` (healed text not yet re-spelled) is not empty, each token must re-spell it;
	 * one that does not throws HealingDiverged.
	 */
	private async consume(stream: RemoteStream, needed: string): Promise<void> {
		await this.before();
		for await (const token of stream) {
			this.received++;
			this.prompt = stream.prompt ?? this.prompt;
			await this.before();
			this.firstTokenMs ||= performance.now() - this.started;
			if (token.id !== undefined && this.model.stopIds.has(token.id)) {
				this.stopReason = 'eos';
				return;
			}
			if (needed !== '' && token.text !== '') {
				if (!healingAllows(token.text, needed)) {
					throw new HealingDiverged();
				}
				needed = remainingAfter(needed, token.text);
			}
			this.decoded += token.text;
			this.record(stepOf(token.text, token.id, token.logprob, token.top, this.limit));
			if (needed !== '') {
				continue;
			}
			this.flush();
			if (this.stopped()) {
				return;
			}
		}
		this.prompt = stream.prompt ?? this.prompt;
		this.stopReason = stream.finish?.reason === 'length' ? 'maxTokens' : 'eos';
		this.flush();
	}

	/** Stop strings, then the stop rule, on the text the user would see so far. */
	private stopped(): boolean {
		const sofar = visibleText(this.decoded, this.healed);
		const cut = cutAtStopString(sofar, this.job.stopStrings);
		if (cut !== undefined) {
			this.cut = cut;
			this.stopReason = 'stopRule';
			return true;
		}
		const verdict = this.job.stopRule?.(sofar);
		if (verdict?.stop) {
			this.cut = verdict.text;
			this.stopReason = 'stopRule';
			return true;
		}
		return false;
	}

	/** job.beforeStep for the next step, once; a cancellation that arrived meanwhile ends the run. */
	private async before(): Promise<void> {
		const step = this.steps.length;
		if (step > this.heldUpTo) {
			this.heldUpTo = step;
			const hold = this.job.beforeStep?.(step);
			if (hold) {
				await hold;
			}
		}
		if (this.job.token.isCancellationRequested) {
			throw new Cancelled();
		}
	}

	private record(step: TokenStep): void {
		this.steps.push(step);
		this.unsent.push(step);
	}

	private flush(): void {
		if (this.unsent.length > 0) {
			this.job.onSteps?.(this.unsent);
			this.unsent = [];
		}
	}

	/** Forget the steps of a healing that was undone (none of them was sent on). */
	private reset(): void {
		this.steps = [];
		this.unsent = [];
		this.decoded = '';
		this.healed = '';
		this.heldUpTo = -1;
	}

	private setPrompt(ids: number[]): void {
		this.promptIds = ids;
		this.promptTokens = ids.map((id) => this.model.codec.tokenText(id));
	}

	/**
	 * The prompt as text for a server that takes text: control tokens spelled out, and their
	 * spellings inside document text broken by a word joiner, so the server's tokenizer cannot
	 * turn a file that contains "<|endoftext|>" into the control token.
	 */
	private textOf(ids: readonly number[]): string {
		const { controls, codec } = this.model;
		const spellings = [...new Set(controls.values())].filter((t) => t.length > 1);
		const neutral = (text: string) => spellings.reduce((t, s) => t.split(s).join(s.charAt(0) + WORD_JOINER + s.slice(1)), text);
		let text = '';
		let run: number[] = [];
		for (const id of ids) {
			const control = controls.get(id);
			if (control === undefined) {
				run.push(id);
				continue;
			}
			text += neutral(codec.decode(run)) + control;
			run = [];
		}
		return text + neutral(codec.decode(run));
	}

	outcome(modelSetting: string): GenerationOutcome {
		const produced = this.cut ?? visibleText(this.decoded, this.healed);
		const steps = this.cut === undefined ? this.steps : stepsFor(this.steps, this.healed + produced);
		const elapsedMs = performance.now() - this.started;
		const estimated = this.model.tokenizer === 'estimate' && !this.job.messages;
		const promptTokens = this.prompt?.promptTokens ?? this.promptIds.length;
		const reused = Math.min(promptTokens, this.prompt?.cachedTokens ?? 0);
		const id = randomUUID();
		return {
			record: {
				id,
				kind: this.job.kind,
				model: modelSetting,
				title: this.job.title,
				// Estimated "tokens" are three-character chunks, not what the model read: the prompt is shown whole.
				promptTokens: estimated ? [this.textOf(this.promptIds)] : this.promptTokens,
				promptIds: estimated ? [] : this.promptIds,
				steps,
				text: produced,
				stopReason: this.stopReason,
				elapsedMs,
				attention: null,
				createdAt: Date.now(),
				server: this.model.description,
			},
			attention: null,
			deferredAttention: null,
			stats: {
				id,
				kind: this.job.kind,
				stopReason: this.stopReason,
				promptTokens,
				generatedTokens: this.steps.length,
				modelSteps: this.received,
				stepsAfterCancel: this.receivedAtCancel === null ? null : this.received - this.receivedAtCancel,
				elapsedMs,
				firstTokenMs: this.firstTokenMs,
				promptReused: reused,
				promptComputed: promptTokens - reused,
				parkedBytes: 0,
			},
		};
	}
}

/**
 * A TokenStep from what a server reported for one token. Its entropy is estimated from the
 * reported alternatives, the rest of the distribution counted as one outcome (a lower bound).
 */
function stepOf(text: string, id: number | undefined, logprob: number | null, top: readonly RemoteAlternative[], limit: number): TokenStep {
	const alternatives: TokenAlternative[] = top.map((a) => ({ id: a.id ?? -1, text: a.text, prob: Math.exp(a.logprob) }));
	const own = logprob ?? top.find((a) => (id !== undefined && a.id !== undefined ? a.id === id : a.text === text))?.logprob ?? null;
	const step: TokenStep =
		own === null
			? { id: id ?? -1, text, prob: 0, logprob: 0, entropy: 0, top: [], unscored: true }
			: { id: id ?? -1, text, prob: Math.exp(own), logprob: own, entropy: topKEntropy(alternatives), top: alternatives.slice(0, limit), entropyEstimated: true };
	if (id === undefined) {
		step.idUnknown = true;
	}
	return step;
}

/** Entropy in nats of the reported alternatives, with the probability they leave counted as one more outcome. */
export function topKEntropy(alternatives: readonly { prob: number }[]): number {
	let entropy = 0;
	let sum = 0;
	for (const { prob } of alternatives) {
		if (prob > 0) {
			entropy -= prob * Math.log(prob);
			sum += prob;
		}
	}
	const rest = 1 - sum;
	return rest > 1e-9 ? entropy - rest * Math.log(rest) : entropy;
}
