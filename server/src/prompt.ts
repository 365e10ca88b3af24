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
}

export interface CompletionPrompt {
	ids: number[];
	prefixTokens: number;
	suffixTokens: number;
	fim: boolean;
}

/** Most of the budget goes to the prefix: it predicts the next tokens best. */
export const SUFFIX_SHARE = 0.25;

type Encode = (text: string) => number[];

/** The last `budget` tokens of `text`, cut at a line start when text had to go. */
export function encodeTail(text: string, budget: number, encode: Encode): number[] {
	if (budget <= 0 || text === '') {
		return [];
	}
	let ids = encode(text);
	if (ids.length <= budget) {
		return ids;
	}
	// Estimate how many characters to drop, then move to the next line start.
	const charsPerToken = text.length / ids.length;
	let cut = Math.min(text.length - 1, Math.ceil((ids.length - budget) * charsPerToken));
	const nl = text.indexOf('\n', cut);
	if (nl >= 0 && nl - cut < 400) {
		cut = nl + 1;
	}
	ids = encode(text.slice(cut));
	return ids.length <= budget ? ids : ids.slice(ids.length - budget);
}

/** The first `budget` tokens of `text`, cut at a line end when text had to go. */
export function encodeHead(text: string, budget: number, encode: Encode): number[] {
	if (budget <= 0 || text === '') {
		return [];
	}
	let ids = encode(text);
	if (ids.length <= budget) {
		return ids;
	}
	const charsPerToken = text.length / ids.length;
	let cut = Math.max(1, Math.floor(budget * charsPerToken));
	const nl = text.lastIndexOf('\n', cut);
	if (nl > 0 && cut - nl < 400) {
		cut = nl + 1;
	}
	ids = encode(text.slice(0, cut));
	return ids.length <= budget ? ids : ids.slice(0, budget);
}

export function buildCompletionPrompt(
	prefix: string,
	suffix: string,
	budget: number,
	fim: FimTokenIds | null,
	encode: Encode,
): CompletionPrompt {
	if (!fim) {
		const ids = encodeTail(prefix, budget, encode);
		return { ids, prefixTokens: ids.length, suffixTokens: 0, fim: false };
	}
	const room = Math.max(0, budget - 3);
	const suffixIds = encodeHead(suffix, Math.floor(room * SUFFIX_SHARE), encode);
	const prefixIds = encodeTail(prefix, room - suffixIds.length, encode);
	return {
		ids: [fim.prefix, ...prefixIds, fim.suffix, ...suffixIds, fim.middle],
		prefixTokens: prefixIds.length,
		suffixTokens: suffixIds.length,
		fim: true,
	};
}
