/**
 * How fast the user types and how fast the model answers, the debounce that
 * follows from them (completionGate.ts waits it out), and the words the status
 * bar uses for the last completion's timing. No editor API here, so the policy
 * is unit-tested as it is.
 *
 * The policy: wait the configured debounce after a keystroke, but when the
 * model answers slower than the user types, wait for a pause in the typing
 * instead (three times the usual interval, up to a second: gaps within a burst
 * vary, and one of twice the median is common): a request sent mid-burst
 * would be cancelled by the next keystroke before its answer arrived, after
 * taking CPU time from the one that will be shown. So a burst of typing costs
 * at most the request of its first keystroke and the one after it ends.
 */
import type { GenerationStats } from '../../protocol/lsp';

/** A gap between keystrokes longer than this is a pause: the next keystroke starts a new burst. */
export const PAUSE_MS = 1000;
/** The longest adaptive wait (a longer configured debounce is kept as it is). */
export const MAX_ADAPTIVE_MS = 1000;
/** A gap this many times the median interval is a pause in the typing. */
const PAUSE_FACTOR = 3;
/** Intervals, and answer times, the medians are taken over. */
const KEPT = 8;

function median(values: readonly number[]): number | undefined {
	if (values.length === 0) {
		return undefined;
	}
	const sorted = [...values].sort((a, b) => a - b);
	const mid = sorted.length >> 1;
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The intervals between the keystrokes of the current burst of typing. */
export class TypingRhythm {
	private last: number | undefined;
	private readonly intervals: number[] = [];

	/** A keystroke (an automatic completion trigger) at `now`, in milliseconds. */
	keystroke(now: number): void {
		if (this.last !== undefined) {
			const gap = now - this.last;
			if (gap > PAUSE_MS || gap < 0) {
				this.intervals.length = 0;
			} else {
				this.intervals.push(gap);
				if (this.intervals.length > KEPT) {
					this.intervals.shift();
				}
			}
		}
		this.last = now;
	}

	/** The median interval of the current burst, in ms; undefined until its second keystroke. */
	get intervalMs(): number | undefined {
		return median(this.intervals);
	}
}

/** The completions the model finished recently, from the server's counters. */
export class ModelPace {
	private readonly times: number[] = [];
	private seen: string | undefined;
	private newest: GenerationStats | undefined;

	/**
	 * Take in the server's recent generations (EngineStats.recent, newest
	 * first). Returns true when it holds a completion not seen before.
	 * Cancelled ones are left out: their time says nothing about an answer's.
	 */
	observe(recent: readonly GenerationStats[]): boolean {
		const fresh: GenerationStats[] = [];
		for (const stats of recent) {
			if (stats.id === this.seen) {
				break;
			}
			if (stats.kind === 'completion' && stats.stopReason !== 'cancelled') {
				fresh.push(stats);
			}
		}
		this.seen = recent[0]?.id ?? this.seen;
		for (const stats of fresh.reverse()) {
			this.times.push(stats.elapsedMs);
			if (this.times.length > KEPT) {
				this.times.shift();
			}
			this.newest = stats;
		}
		return fresh.length > 0;
	}

	/** The median time of the recent completions, in ms; undefined before the first. */
	get answerMs(): number | undefined {
		return median(this.times);
	}

	/** The newest completion the model finished. */
	get last(): GenerationStats | undefined {
		return this.newest;
	}
}

export interface DebounceInput {
	/** glassbox.completion.debounceMs: the shortest wait after a keystroke (0: none at all). */
	baseMs: number;
	/** TypingRhythm.intervalMs: undefined when the keystroke is not part of a burst. */
	typingMs: number | undefined;
	/** ModelPace.answerMs: undefined while unknown. */
	modelMs: number | undefined;
}

/** Milliseconds to wait after an automatic trigger before asking the server; see the module's comment. */
export function debounceDelay({ baseMs, typingMs, modelMs }: DebounceInput): number {
	if (baseMs <= 0 || typingMs === undefined) {
		return Math.max(0, baseMs);
	}
	// An unknown model counts as a slow one: the first answer's time settles it.
	if (modelMs !== undefined && modelMs <= typingMs) {
		return baseMs;
	}
	return Math.max(baseMs, Math.min(MAX_ADAPTIVE_MS, PAUSE_FACTOR * typingMs));
}

const count = (n: number): string => n.toLocaleString('en-US');
const ms = (n: number): string => `${count(Math.round(n))} ms`;

/**
 * The last completion's timing, for the status bar's tooltip: prompt tokens,
 * how many came from the KV cache, time to first token, total time, and the
 * decoding speed (tokens after the first, per second of the time after it).
 */
export function describeCompletion(stats: GenerationStats): string {
	const prompt =
		stats.promptReused > 0
			? `${count(stats.promptTokens)} prompt tokens, ${count(stats.promptReused)} reused from the cache (${count(stats.promptComputed)} computed)`
			: `${count(stats.promptTokens)} prompt tokens, none reused from the cache`;
	const decodeMs = stats.elapsedMs - stats.firstTokenMs;
	const speed = stats.generatedTokens > 1 && decodeMs > 0 ? `, ${count(Math.round(((stats.generatedTokens - 1) * 1000) / decodeMs))} tokens/s` : '';
	const tokens = `${count(stats.generatedTokens)} token${stats.generatedTokens === 1 ? '' : 's'}`;
	return `Last completion: ${prompt}; first token in ${ms(stats.firstTokenMs)}, ${tokens} in ${ms(stats.elapsedMs)}${speed}.`;
}
