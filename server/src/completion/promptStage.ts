/**
 * The prompt stage of an inline completion: the FIM or prefix prompt within
 * the token budget (prompt.ts), the document start before a plain prompt, and
 * the prompt's last token healed when the cursor cut it (tokenHealing.ts).
 * Synchronous over the model's codec, whichever backend runs the model; the
 * host runs it with a llama.cpp server's own tokenizer, which is asked over
 * HTTP (ModelHost.tokenized, serverTokenizer.ts).
 */
import { healLastToken } from '../engine';
import type { LoadedModel } from '../modelLoader';
import { buildCompletionPrompt } from '../prompt';
import type { HealedPrompt } from '../tokenHealing';

export function completionPrompt(loaded: LoadedModel, prefix: string, suffix: string, budget: number): HealedPrompt {
	const useFim = loaded.family.fimCompletions === false ? null : loaded.fim;
	const prompt = buildCompletionPrompt(prefix, suffix, budget, useFim, (t) => loaded.codec.encode(t), loaded.family.fimSuffixTokens);
	const full = prompt.fim ? prompt.ids : [...loaded.startIds, ...prompt.ids];
	// The cursor often ends inside what would be one token in running text; let the model re-spell it.
	return prompt.endsWithPrefix && prompt.prefixTokens > 1 ? healLastToken(loaded, full) : { ids: full, healed: '' };
}
