/**
 * The numbers of one decoding step: the model's distribution over the
 * vocabulary, its entropy and best candidates, and the choice of the next
 * token (greedy or sampled with temperature, top-k and top-p, from a seeded
 * generator so a run can be repeated).
 */
import type { SamplingOptions, TokenAlternative } from '../../protocol/generation';

/** Softmax of `logits` into `out` (numerically stable). */
export function softmax(logits: ArrayLike<number>, out: Float32Array = new Float32Array(logits.length)): Float32Array {
	let max = -Infinity;
	for (let i = 0; i < logits.length; i++) {
		if (logits[i] > max) {
			max = logits[i];
		}
	}
	let sum = 0;
	for (let i = 0; i < logits.length; i++) {
		const e = Math.exp(logits[i] - max);
		out[i] = e;
		sum += e;
	}
	const inv = 1 / sum;
	for (let i = 0; i < logits.length; i++) {
		out[i] *= inv;
	}
	return out;
}

/** Shannon entropy in nats. */
export function entropy(probs: ArrayLike<number>): number {
	let h = 0;
	for (let i = 0; i < probs.length; i++) {
		const p = probs[i];
		if (p > 0) {
			h -= p * Math.log(p);
		}
	}
	return h;
}

/** The k most probable ids, best first (one pass, k small). */
export function topK(probs: ArrayLike<number>, k: number): { id: number; prob: number }[] {
	const best: { id: number; prob: number }[] = [];
	for (let i = 0; i < probs.length; i++) {
		const p = probs[i];
		if (best.length === k && p <= best[k - 1].prob) {
			continue;
		}
		let at = best.length;
		while (at > 0 && best[at - 1].prob < p) {
			at--;
		}
		best.splice(at, 0, { id: i, prob: p });
		if (best.length > k) {
			best.pop();
		}
	}
	return best;
}

export function argmax(values: ArrayLike<number>): number {
	let best = 0;
	for (let i = 1; i < values.length; i++) {
		if (values[i] > values[best]) {
			best = i;
		}
	}
	return best;
}

/**
 * The most likely id among `allowed` (every id when absent) that is not `banned`,
 * ties to the first; -1 when none is left. `banned` is short (control tokens) and
 * is consulted only for a new best, since this runs between two model passes.
 */
export function argmaxAllowed(logits: ArrayLike<number>, allowed: readonly number[] | undefined, banned: readonly number[]): number {
	let best = -1;
	let bestLogit = -Infinity;
	const count = allowed ? allowed.length : logits.length;
	for (let k = 0; k < count; k++) {
		const id = allowed ? allowed[k] : k;
		const x = logits[id];
		if ((x > bestLogit || best < 0) && !banned.includes(id)) {
			best = id;
			bestLogit = x;
		}
	}
	return best;
}

/** Small fast PRNG (mulberry32): same seed, same sequence. */
export function seededRandom(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/**
 * Penalise tokens already generated (the CTRL paper's rule, as in Hugging Face):
 * positive logits are divided by `penalty`, negative ones multiplied. Small
 * models otherwise loop on the same phrase. Works on a copy.
 */
export function penalizeRepeats(logits: Float32Array, seen: Iterable<number>, penalty: number): Float32Array {
	if (penalty === 1) {
		return logits;
	}
	const out = Float32Array.from(logits);
	for (const id of new Set(seen)) {
		const v = out[id];
		out[id] = v > 0 ? v / penalty : v * penalty;
	}
	return out;
}

/**
 * Choose the next token. Greedy takes the argmax; otherwise the logits are
 * scaled by the temperature, cut to the top-k and then to the smallest set
 * whose probability reaches top-p, renormalised, and sampled.
 */
export function chooseToken(logits: Float32Array, options: SamplingOptions, random: () => number): number {
	if (options.greedy || options.temperature <= 0) {
		return argmax(logits);
	}
	const scaled = new Float32Array(logits.length);
	const invT = 1 / options.temperature;
	for (let i = 0; i < logits.length; i++) {
		scaled[i] = logits[i] * invT;
	}
	const probs = softmax(scaled);
	const k = options.topK > 0 ? Math.min(options.topK, probs.length) : probs.length;
	let candidates: { id: number; prob: number }[];
	if (k < probs.length) {
		candidates = topK(probs, k);
	} else {
		candidates = Array.from(probs, (prob, id) => ({ id, prob })).sort((a, b) => b.prob - a.prob);
	}
	if (options.topP < 1) {
		let cumulative = 0;
		let cut = candidates.length;
		for (let i = 0; i < candidates.length; i++) {
			cumulative += candidates[i].prob;
			if (cumulative >= options.topP) {
				cut = i + 1;
				break;
			}
		}
		candidates = candidates.slice(0, Math.max(1, cut));
	}
	const total = candidates.reduce((s, c) => s + c.prob, 0);
	let r = random() * total;
	for (const c of candidates) {
		r -= c.prob;
		if (r <= 0) {
			return c.id;
		}
	}
	return candidates[candidates.length - 1].id;
}

/** The model's distribution at one step, computed in two passes over the logits. */
export interface StepDistribution {
	/** Most likely ids, best first, with their logits. */
	top: { id: number; logit: number }[];
	/** Entropy in nats. */
	entropy: number;
	/** Natural-log probability of any id. */
	logprob(id: number): number;
}

/**
 * Softmax, entropy and top-k at once, without materialising the normalised
 * distribution: with m = max logit and Z = Σ exp(x - m), p_i = exp(x_i - m) / Z
 * and H = log Z - Σ p_i (x_i - m). This runs on every step of every
 * completion, so it avoids the five separate passes the textbook way takes.
 */
export function inspectLogits(logits: Float32Array, k: number): StepDistribution {
	let max = -Infinity;
	for (let i = 0; i < logits.length; i++) {
		if (logits[i] > max) {
			max = logits[i];
		}
	}
	let z = 0;
	let weighted = 0;
	const top: { id: number; logit: number }[] = [];
	let floor = -Infinity;
	for (let i = 0; i < logits.length; i++) {
		const x = logits[i];
		const d = x - max;
		const e = Math.exp(d);
		z += e;
		weighted += e * d;
		if (x > floor || top.length < k) {
			let at = top.length;
			while (at > 0 && top[at - 1].logit < x) {
				at--;
			}
			top.splice(at, 0, { id: i, logit: x });
			if (top.length > k) {
				top.pop();
			}
			floor = top.length === k ? top[k - 1].logit : -Infinity;
		}
	}
	const logZ = Math.log(z);
	return {
		top,
		entropy: Math.max(0, logZ - weighted / z),
		logprob: (id: number) => logits[id] - max - logZ,
	};
}

/** What the inspector shows for one step, from the model's own distribution. */
export function describeStep(
	dist: StepDistribution,
	chosen: number,
	tokenText: (id: number) => string,
): { prob: number; logprob: number; entropy: number; top: TokenAlternative[] } {
	const logprob = dist.logprob(chosen);
	return {
		prob: Math.exp(logprob),
		logprob,
		entropy: dist.entropy,
		top: dist.top.map((c) => ({ id: c.id, prob: Math.exp(dist.logprob(c.id)), text: tokenText(c.id) })),
	};
}
