/**
 * Alternatives for an explicit request (Alt+\, or VS Code asking for more
 * when the user cycles with Alt+] and Alt+[): after the greedy suggestion, up
 * to ALTERNATIVES more, sampled with fixed seeds (so the same state gives the
 * same list), distinct from each other and from the greedy one after
 * post-processing. Each sample's prompt is the greedy one's, so the pass
 * worker's parked KV cache makes its prompt pass nearly free; what remains is
 * its decoding steps. Automatic requests stay greedy and single.
 */
import type { SamplingOptions } from '../../../protocol/generation';

/** Suggestions besides the greedy one. */
export const ALTERNATIVES = 2;
/** Seeds tried in order; fewer alternatives when these give no more distinct ones. */
const SEEDS = [1, 2, 3, 4];

/** Sampling for the alternatives: varied, yet plausible. */
export function alternativeSampling(maxNewTokens: number, seed: number): SamplingOptions {
	return { maxNewTokens, greedy: false, temperature: 0.8, topK: 40, topP: 0.95, seed };
}

/**
 * The alternatives to `greedy`, in seed order. `sample(seed)` runs one
 * sampled generation and returns its post-processed text, or undefined when
 * it lost its turn or was cancelled (then no more are tried).
 */
export async function sampleAlternatives(greedy: string, sample: (seed: number) => Promise<string | undefined>): Promise<string[]> {
	const seen = new Set([greedy]);
	const found: string[] = [];
	for (const seed of SEEDS) {
		if (found.length >= ALTERNATIVES) {
			break;
		}
		const text = await sample(seed);
		if (text === undefined) {
			break;
		}
		if (text.trim() !== '' && !seen.has(text)) {
			seen.add(text);
			found.push(text);
		}
	}
	return found;
}
