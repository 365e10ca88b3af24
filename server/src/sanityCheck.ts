/**
 * A load-time check that the model's outputs mean something: the next-token
 * logits after a fixed prompt must be finite and must not be spread almost
 * evenly over the vocabulary. A broken export (a quantization that returns
 * near-chance logits, NaN weights, a truncated-but-parseable file) otherwise
 * loads fine and produces silent garbage.
 */

/** Code most models have seen: any working model is fairly sure what follows. */
export const SANITY_PROMPT = 'import os\nimport sys\n\n\ndef main():\n    print("hello, world")\n\n\nif __name__ == "__main__":\n    main()\n';

/**
 * Above this share of the largest possible entropy (a uniform distribution)
 * the logits are taken as noise. Working models sit far below it (real ones
 * around 0.1 to 0.4 after this prompt; the test models below 0.6).
 */
export const UNIFORM_ENTROPY_SHARE = 0.97;

export interface LogitsVerdict {
	ok: boolean;
	/** Entropy of softmax(logits) in nats (NaN when the logits are not finite). */
	entropy: number;
	/** Entropy of the uniform distribution over the same vocabulary, ln(V). */
	maxEntropy: number;
	nonFinite: number;
	/** Why not ok, for the user. */
	problem?: string;
}

/** Judge one row of next-token logits. */
export function judgeLogits(logits: Float32Array): LogitsVerdict {
	const maxEntropy = Math.log(logits.length);
	let nonFinite = 0;
	let max = -Infinity;
	for (const v of logits) {
		if (!Number.isFinite(v)) {
			nonFinite++;
		} else if (v > max) {
			max = v;
		}
	}
	if (nonFinite > 0 || logits.length === 0) {
		return {
			ok: false,
			entropy: NaN,
			maxEntropy,
			nonFinite,
			problem: `${nonFinite} of ${logits.length} next-token logits are not finite (NaN or infinite)`,
		};
	}
	let sum = 0;
	for (const v of logits) {
		sum += Math.exp(v - max);
	}
	let entropy = 0;
	for (const v of logits) {
		const p = Math.exp(v - max) / sum;
		if (p > 0) {
			entropy -= p * Math.log(p);
		}
	}
	const ok = entropy <= UNIFORM_ENTROPY_SHARE * maxEntropy;
	return {
		ok,
		entropy,
		maxEntropy,
		nonFinite,
		problem: ok
			? undefined
			: `its next-token probabilities are nearly uniform (entropy ${entropy.toFixed(2)} of at most ${maxEntropy.toFixed(2)} nats), as if the weights were noise`,
	};
}
