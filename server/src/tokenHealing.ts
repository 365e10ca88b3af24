/**
 * Token healing. A prompt cut at the cursor often ends inside what would
 * be one token in running text (`resu|`, an indentation of four spaces, a
 * space before a word), a split the model rarely saw in training, so it
 * answers badly. Healing removes the prompt's last token and lets the model
 * spell that text again, its own way: for as many steps as it takes, each
 * generated token must either start with the text still to re-spell (and may
 * go on past it) or be a prefix of it that stops before whitespace (running
 * text splits `\n    if` as `\n   ` + ` if`: the last space goes with the
 * word; a split inside a word, `a` + `next` for `an`, only makes new words).
 * The re-spelled text is not shown: the user already typed it.
 *
 * Never healed: a control token (<fim_middle> ends a FIM prompt), and a token
 * that is a fragment of a multi-byte character (byte-level vocabularies
 * split emoji and CJK into byte tokens that decode to U+FFFD on their own;
 * "re-spelling" one lets the model start a different character).
 */
import type { TokenCodec } from './tokenCodec';

export interface HealedPrompt {
	ids: number[];
	/** Text of the removed token, to re-spell ('' when nothing was removed). */
	healed: string;
}

/** The tokenizer operations healing needs (TokenCodec has them). */
export type HealingCodec = Pick<TokenCodec, 'tokenText' | 'tokensStartingWith' | 'tokensEqualTo'>;

/**
 * Remove the prompt's last token when it can be healed. `isControl` tells
 * control tokens (stop tokens, FIM markers); a prompt of one token is left alone.
 */
export function healPrompt(codec: Pick<HealingCodec, 'tokenText'>, ids: readonly number[], isControl: (id: number) => boolean): HealedPrompt {
	const last = ids[ids.length - 1];
	if (ids.length < 2 || last === undefined || isControl(last)) {
		return { ids: [...ids], healed: '' };
	}
	const text = codec.tokenText(last);
	if (text === '' || text.includes('\uFFFD')) {
		return { ids: [...ids], healed: '' };
	}
	return { ids: ids.slice(0, -1), healed: text };
}

/**
 * The tokens allowed while `needed` (the healed text not yet re-spelled) is
 * not empty, ascending: those whose text starts with it, and those whose text
 * is a proper prefix of it and leaves a remainder that can still be spelled.
 */
export function healingChoices(codec: HealingCodec, needed: string): number[] {
	const respellable = new Map<string, boolean>();
	const canSpell = (text: string): boolean => {
		let known = respellable.get(text);
		if (known === undefined) {
			respellable.set(text, false); // no cycles: every step consumes characters
			known = codec.tokensStartingWith(text).length > 0 || prefixTokens(codec, text).some((p) => canSpell(text.slice(p.length)));
			respellable.set(text, known);
		}
		return known;
	};
	const ids = new Set(codec.tokensStartingWith(needed));
	for (const prefix of prefixTokens(codec, needed)) {
		if (canSpell(needed.slice(prefix.length))) {
			codec.tokensEqualTo(prefix).forEach((id) => ids.add(id));
		}
	}
	return [...ids].sort((a, b) => a - b);
}

/** Proper prefixes of `text` that are the whole text of some token and end before whitespace, shortest first. */
function prefixTokens(codec: HealingCodec, text: string): string[] {
	const found: string[] = [];
	for (let k = 1; k < text.length; k++) {
		if (!/\s/.test(text.charAt(k))) {
			continue;
		}
		const prefix = text.slice(0, k);
		if (codec.tokensEqualTo(prefix).length > 0) {
			found.push(prefix);
		}
	}
	return found;
}

/**
 * Whether a token with text `piece` may come next while `needed` is still to re-spell, by the
 * rule of healingChoices: it starts with `needed`, or it is a proper prefix of it that stops
 * before whitespace. For an inference server's tokens, where Glassbox sees only the few the
 * server reports (whether the rest of `needed` can still be spelled is not checked).
 */
export function healingAllows(piece: string, needed: string): boolean {
	if (piece === '' || piece.includes('\uFFFD')) {
		return false;
	}
	return piece.startsWith(needed) || (needed.startsWith(piece) && /\s/.test(needed.charAt(piece.length)));
}

/** What is left to re-spell after a token with text `piece` was chosen. */
export function remainingAfter(needed: string, piece: string): string {
	if (piece.startsWith(needed)) {
		return '';
	}
	return needed.startsWith(piece) ? needed.slice(piece.length) : '';
}

/**
 * The output the user sees: the decoded text without the healed part. While
 * the healed text is still being re-spelled there is nothing to show; output
 * that went another way (a stop token mid-way) shows nothing.
 */
export function visibleText(decoded: string, healed: string): string {
	if (healed === '') {
		return decoded;
	}
	return decoded.startsWith(healed) ? decoded.slice(healed.length) : '';
}
