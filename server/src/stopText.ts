/**
 * Where a generation's text ends, shared by the local decoding loop
 * (engine.ts) and the inference servers' (remoteGeneration.ts): the first
 * stop string, and the steps that make up the text that is kept.
 */
import type { TokenStep } from '../../protocol/generation';

/** The text before the first of `stops` in it, or undefined when none occurs. */
export function cutAtStopString(text: string, stops: readonly string[]): string | undefined {
	let cut = -1;
	for (const s of stops) {
		const at = text.indexOf(s);
		if (at >= 0 && (cut < 0 || at < cut)) {
			cut = at;
		}
	}
	return cut >= 0 ? text.slice(0, cut) : undefined;
}

/** Keep the steps that make up `text` (the last one may be cut inside). */
export function stepsFor(steps: TokenStep[], text: string): TokenStep[] {
	let length = 0;
	let n = 0;
	while (n < steps.length && length < text.length) {
		length += steps[n].text.length;
		n++;
	}
	return steps.slice(0, n);
}
