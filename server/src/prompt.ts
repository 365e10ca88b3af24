/**
 * Prompts for inline completion: fill-in-the-middle when the model declares
 * FIM tokens (prefix and suffix around the cursor within a token budget), the
 * plain prefix otherwise. Truncation prefers whole lines so the model does not
 * start from half an identifier.
 *
 * Completion prompts are append-only while the user types: the prefix's cut
 * moves in large steps (encodeTail with stepChars), and the suffix depends on
 * the text after the cursor only, so consecutive keystrokes' prompts share all
 * but their last tokens and the pass worker reuses the KV cache of the last
 * one (prefixCache.ts).
 */
import { lineStartAfter } from './documentGuard';


export interface FimTokenIds {
	prefix: number;
	suffix: number;
	middle: number;
	/**
	 * psm: <pre>PREFIX<suf>SUFFIX<mid> (most models). spm: <pre><suf>SUFFIX<mid>PREFIX,
	 * where the middle continues the prefix directly (the embedded model).
	 */
	order: 'psm' | 'spm';
}

export interface CompletionPrompt {
	ids: number[];
	prefixTokens: number;
	suffixTokens: number;
	fim: boolean;
	/** The prompt's last tokens are the prefix (plain or SPM), so its last token can be healed. */
	endsWithPrefix: boolean;
}

/** Most of the budget goes to the prefix: it predicts the next tokens best. */
export const SUFFIX_SHARE = 0.25;

type Encode = (text: string) => number[];

/**
 * Characters that usually hold a token budget (code averages three to four
 * a token); tokenizing only that much, and widening when it was not enough,
 * keeps a 1,000-token prompt from costing a tokenizer pass over 8,000
 * characters.
 */
const CHARS_PER_TOKEN_GUESS = 4;

/** The prefix's cut moves in steps of a quarter of the budget (see encodeTail). */
const CUT_STEPS = 4;

/**
 * The last `budget` tokens of `text`, cut at a line start when text had to go.
 *
 * With `stepChars` the cut is anchored, for KV-cache reuse: it is the first of
 * the line starts taken every `stepChars` characters from the text's start
 * (lineStartAfter) whose tail fits the budget. Text appended at the end
 * (typing) leaves the cut where it was until the tail overflows the budget,
 * then the cut jumps a step: the prompt's tokens stay the same but for the
 * last ones. The tail then uses the budget less about a step's tokens, at
 * least. Without `stepChars` the tail uses all of the budget it can.
 */
export function encodeTail(text: string, budget: number, encode: Encode, stepChars = 0): number[] {
	if (budget <= 0 || text === '') {
		return [];
	}
	if (stepChars > 0) {
		return anchoredTail(text, budget, encode, Math.ceil(stepChars));
	}
	let chars = Math.min(text.length, budget * CHARS_PER_TOKEN_GUESS);
	let ids = encode(text.slice(text.length - chars));
	while (ids.length < budget && chars < text.length) {
		chars = Math.min(text.length, chars * 2);
		ids = encode(text.slice(text.length - chars));
	}
	if (ids.length <= budget) {
		return ids;
	}
	// Estimate how many characters to drop, then move to the next line start.
	const window = text.slice(text.length - chars);
	const charsPerToken = window.length / ids.length;
	let cut = Math.min(window.length - 1, Math.ceil((ids.length - budget) * charsPerToken));
	const nl = window.indexOf('\n', cut);
	if (nl >= 0 && nl - cut < 400) {
		cut = nl + 1;
	}
	ids = encode(window.slice(cut));
	return ids.length <= budget ? ids : ids.slice(ids.length - budget);
}

/** Cut points for encodeTail's anchored mode: a line start in each step of `stepChars` characters (or the step's start). */
function anchoredCuts(text: string, stepChars: number): number[] {
	const cuts: number[] = [];
	for (let at = 0; at < text.length; at += stepChars) {
		cuts.push(lineStartAfter(text, at, Math.min(text.length, at + stepChars)));
	}
	return cuts;
}

/** Index of the first cut leaving at most `chars` characters of `length` (the last cut when none does). */
function firstCutWithin(cuts: readonly number[], length: number, chars: number): number {
	const i = cuts.findIndex((c) => length - c <= chars);
	return i < 0 ? cuts.length - 1 : i;
}

/**
 * encodeTail's anchored mode. The cut points' step is `stepChars` for text of
 * CHARS_PER_TOKEN_GUESS characters a token; denser text (a small vocabulary,
 * non-Latin scripts, minified code) would make a step most of the budget, so
 * the step shrinks by the text's density rounded to a power of two, which
 * typing hardly ever changes. Usually two or three tokenizer calls: one that
 * measures the density, one at the estimated cut, one at its neighbour.
 */
function anchoredTail(text: string, budget: number, encode: Encode, stepChars: number): number[] {
	const tails = new Map<number, number[]>();
	const tail = (at: number): number[] => {
		let ids = tails.get(at);
		if (!ids) {
			ids = encode(text.slice(at));
			tails.set(at, ids);
		}
		return ids;
	};
	const coarse = anchoredCuts(text, stepChars);
	const probeAt = coarse[firstCutWithin(coarse, text.length, budget * CHARS_PER_TOKEN_GUESS)];
	const probe = tail(probeAt);
	if (probeAt === 0 && probe.length <= budget) {
		return probe;
	}
	const density = (text.length - probeAt) / Math.max(1, probe.length);
	const shrink = Math.min(1, Math.max(1 / 64, 2 ** Math.round(Math.log2(density / CHARS_PER_TOKEN_GUESS))));
	const cuts = shrink < 1 ? anchoredCuts(text, Math.max(1, Math.round(stepChars * shrink))) : coarse;

	// The first cut whose tail fits, between `over` (known to overflow: tails are longer in
	// tokens the earlier they start) and `fit` (known to fit; cuts.length: none known).
	let over = -1;
	let fit = cuts.length;
	for (let i = 0; i < cuts.length; i++) {
		if (probe.length > budget && cuts[i] <= probeAt) {
			over = i;
		}
		if (probe.length <= budget && cuts[i] === probeAt) {
			fit = i;
		}
	}
	let k = Math.min(Math.max(over + 1, firstCutWithin(cuts, text.length, budget * density)), fit - 1, cuts.length - 1);
	while (fit - over > 1) {
		const ids = tail(cuts[k]);
		if (ids.length <= budget) {
			fit = k;
			k--;
		} else {
			over = k;
			if (over === cuts.length - 1) {
				// The last step alone overflows (one enormous line): keep its last tokens.
				return ids.slice(ids.length - budget);
			}
			// Jump by this tail's own density rather than one step at a time.
			const charsPerToken = (text.length - cuts[k]) / ids.length;
			k = Math.min(fit - 1, Math.max(k + 1, firstCutWithin(cuts, text.length, budget * charsPerToken)));
		}
	}
	return tail(cuts[fit]);
}

/** The first `budget` tokens of `text`, cut at a line end when text had to go. */
export function encodeHead(text: string, budget: number, encode: Encode): number[] {
	if (budget <= 0 || text === '') {
		return [];
	}
	let chars = Math.min(text.length, budget * CHARS_PER_TOKEN_GUESS);
	let ids = encode(text.slice(0, chars));
	while (ids.length < budget && chars < text.length) {
		chars = Math.min(text.length, chars * 2);
		ids = encode(text.slice(0, chars));
	}
	if (ids.length <= budget) {
		return ids;
	}
	const window = text.slice(0, chars);
	const charsPerToken = window.length / ids.length;
	let cut = Math.max(1, Math.floor(budget * charsPerToken));
	const nl = window.lastIndexOf('\n', cut);
	if (nl > 0 && cut - nl < 400) {
		cut = nl + 1;
	}
	ids = encode(window.slice(0, cut));
	return ids.length <= budget ? ids : ids.slice(0, budget);
}

/**
 * The prompt for an inline completion, in token ids: with FIM tokens, the
 * suffix's head (at most SUFFIX_SHARE of the budget, and `maxSuffixTokens`)
 * and the prefix's tail around the hole in the model's order; without, the
 * prefix's tail alone. `budget` counts tokens, the FIM tokens included.
 * Does not throw (beyond what `encode` throws).
 */
export function buildCompletionPrompt(
	prefix: string,
	suffix: string,
	budget: number,
	fim: FimTokenIds | null,
	encode: Encode,
	/** A model trained on short FIM examples bridges only a short suffix (registry: fimSuffixTokens). */
	maxSuffixTokens = Number.POSITIVE_INFINITY,
): CompletionPrompt {
	// The prefix's cut moves in steps of about a quarter of the budget, whatever the suffix's length,
	// so a changed suffix does not move it too (what PSM models keep, see below).
	if (!fim) {
		const ids = encodeTail(prefix, budget, encode, anchorStep(budget));
		return { ids, prefixTokens: ids.length, suffixTokens: 0, fim: false, endsWithPrefix: true };
	}
	const room = Math.max(0, budget - 3);
	const suffixIds = encodeHead(suffix, Math.floor(Math.min(room * SUFFIX_SHARE, maxSuffixTokens)), encode);
	// SPM (<pre><suf>SUFFIX<mid>PREFIX): typing appends to the prompt, so all but its last tokens
	// are reused. PSM (<pre>PREFIX<suf>SUFFIX<mid>): typing changes the middle of the prompt, so the
	// cache is reused up to the cursor only, the prefix (three quarters of the budget or more);
	// the suffix and <mid> after it (up to a quarter) are computed again on every keystroke.
	const prefixIds = encodeTail(prefix, room - suffixIds.length, encode, anchorStep(room));
	return {
		ids: fimIds(fim, prefixIds, suffixIds),
		prefixTokens: prefixIds.length,
		suffixTokens: suffixIds.length,
		fim: true,
		endsWithPrefix: fim.order === 'spm',
	};
}

/** Characters per step of the prefix's anchored cut for a budget of `tokens`: about a quarter of them. */
function anchorStep(tokens: number): number {
	return Math.max(1, Math.ceil((tokens * CHARS_PER_TOKEN_GUESS) / CUT_STEPS));
}

/** Arrange prefix and suffix around the model's FIM tokens in its order. */
export function fimIds(fim: FimTokenIds, prefixIds: readonly number[], suffixIds: readonly number[]): number[] {
	return fim.order === 'spm'
		? [fim.prefix, fim.suffix, ...suffixIds, fim.middle, ...prefixIds]
		: [fim.prefix, ...prefixIds, fim.suffix, ...suffixIds, fim.middle];
}
