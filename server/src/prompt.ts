/**
 * Prompts for inline completion: fill-in-the-middle when the model declares
 * FIM tokens (prefix and suffix around the cursor within a token budget), the
 * plain prefix otherwise. Truncation prefers whole lines so the model does not
 * start from half an identifier.
 */

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

/** The last `budget` tokens of `text`, cut at a line start when text had to go. */
export function encodeTail(text: string, budget: number, encode: Encode): number[] {
	if (budget <= 0 || text === '') {
		return [];
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
	if (!fim) {
		const ids = encodeTail(prefix, budget, encode);
		return { ids, prefixTokens: ids.length, suffixTokens: 0, fim: false, endsWithPrefix: true };
	}
	const room = Math.max(0, budget - 3);
	const suffixIds = encodeHead(suffix, Math.floor(Math.min(room * SUFFIX_SHARE, maxSuffixTokens)), encode);
	const prefixIds = encodeTail(prefix, room - suffixIds.length, encode);
	return {
		ids: fimIds(fim, prefixIds, suffixIds),
		prefixTokens: prefixIds.length,
		suffixTokens: suffixIds.length,
		fim: true,
		endsWithPrefix: fim.order === 'spm',
	};
}

/** Arrange prefix and suffix around the model's FIM tokens in its order. */
export function fimIds(fim: FimTokenIds, prefixIds: readonly number[], suffixIds: readonly number[]): number[] {
	return fim.order === 'spm'
		? [fim.prefix, fim.suffix, ...suffixIds, fim.middle, ...prefixIds]
		: [fim.prefix, ...prefixIds, fim.suffix, ...suffixIds, fim.middle];
}
