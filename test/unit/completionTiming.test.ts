import * as assert from 'assert';
import {
	debounceDelay,
	describeCompletion,
	MAX_ADAPTIVE_MS,
	ModelPace,
	PAUSE_MS,
	TypingRhythm,
	type DebounceInput,
} from '../../client/src/completionTiming';
import type { GenerationStats } from '../../protocol/lsp';

function stats(id: string, elapsedMs: number, extra: Partial<GenerationStats> = {}): GenerationStats {
	return {
		id,
		kind: 'completion',
		stopReason: 'eos',
		promptTokens: 1023,
		generatedTokens: 32,
		modelSteps: 33,
		stepsAfterCancel: null,
		elapsedMs,
		firstTokenMs: 10,
		promptReused: 1019,
		promptComputed: 4,
		parkedBytes: 0,
		...extra,
	};
}

/**
 * Requests that would start for keystrokes at `times` (ms), with the model
 * answering in `modelMs`: each keystroke's wait ends before the next
 * keystroke, or not (then VS Code cancels it). The model's pace becomes known
 * once a request has been answered, as the gate learns it.
 */
function requestsFor(times: number[], baseMs: number, modelMs: number): number {
	const typing = new TypingRhythm();
	let known: number | undefined;
	let started = 0;
	times.forEach((t, i) => {
		typing.keystroke(t);
		const wait = debounceDelay({ baseMs, typingMs: typing.intervalMs, modelMs: known });
		const next = times[i + 1] ?? Number.POSITIVE_INFINITY;
		if (t + wait < next) {
			started++;
			known = modelMs;
		}
	});
	return started;
}

describe('completion timing', () => {
	describe('typing rhythm', () => {
		it('is the median interval of the current burst', () => {
			const r = new TypingRhythm();
			assert.strictEqual(r.intervalMs, undefined);
			for (const t of [0, 100, 180, 300, 390]) {
				r.keystroke(t);
			}
			assert.strictEqual(r.intervalMs, 95); // intervals 100, 80, 120, 90
		});
		it('starts a new burst after a pause', () => {
			const r = new TypingRhythm();
			r.keystroke(0);
			r.keystroke(50);
			r.keystroke(50 + PAUSE_MS + 1);
			assert.strictEqual(r.intervalMs, undefined);
			r.keystroke(PAUSE_MS + 251);
			assert.strictEqual(r.intervalMs, 200);
		});
	});

	describe('debounce policy', () => {
		const at = (input: Partial<DebounceInput>): number => debounceDelay({ baseMs: 150, typingMs: undefined, modelMs: undefined, ...input });
		it('waits the configured debounce outside a burst of typing', () => {
			assert.strictEqual(at({}), 150);
			assert.strictEqual(at({ modelMs: 5000 }), 150);
		});
		it('waits the configured debounce while the model answers faster than the user types', () => {
			assert.strictEqual(at({ typingMs: 300, modelMs: 80 }), 150);
		});
		it('waits for a pause while the user types faster than the model answers', () => {
			assert.strictEqual(at({ typingMs: 200, modelMs: 700 }), 600);
			assert.strictEqual(at({ typingMs: 200, modelMs: undefined }), 600, 'an unknown model counts as slow');
		});
		it('stays within its bounds', () => {
			assert.strictEqual(at({ typingMs: 40, modelMs: 600 }), 150, 'never under the configured debounce');
			assert.strictEqual(at({ typingMs: 900, modelMs: 5000 }), MAX_ADAPTIVE_MS);
			assert.strictEqual(at({ baseMs: 1500, typingMs: 900, modelMs: 5000 }), 1500, 'a longer configured debounce is kept');
			assert.strictEqual(at({ baseMs: 0, typingMs: 200, modelMs: 600 }), 0, 'no debounce when configured so');
		});
		it('20 keystrokes 60 ms apart start at most 2 requests, even with a short debounce', () => {
			const burst = Array.from({ length: 20 }, (_, i) => i * 60);
			assert.ok(requestsFor(burst, 50, 200) <= 2, String(requestsFor(burst, 50, 200)));
			assert.strictEqual(requestsFor(burst, 150, 200), 1);
		});
		it('a burst with uneven gaps (some twice the usual) sends no request before it ends', () => {
			// 60 ms apart, every fifth gap 130 ms: as a busy page delivered them in `npm run bench:burst`.
			const uneven: number[] = [0];
			for (let i = 1; i < 20; i++) {
				uneven.push(uneven[i - 1] + (i % 5 === 0 ? 130 : 60));
			}
			assert.ok(requestsFor(uneven, 50, 200) <= 2, String(requestsFor(uneven, 50, 200)));
			assert.strictEqual(requestsFor(uneven, 150, 200), 1);
		});
		it('a slow typist with a slow model sends no request that the next keystroke would cancel', () => {
			const slow = Array.from({ length: 20 }, (_, i) => i * 250);
			// A fixed 150 ms wait: a request for nearly every keystroke, each cancelled 100 ms later.
			const fixed = slow.filter((t, i) => t + 150 < (slow[i + 1] ?? Infinity)).length;
			assert.strictEqual(fixed, 20);
			assert.ok(requestsFor(slow, 150, 800) <= 2);
		});
		it('a model that keeps up answers every keystroke of a slow typist', () => {
			const slow = Array.from({ length: 20 }, (_, i) => i * 250);
			assert.strictEqual(requestsFor(slow, 150, 60), 20);
		});
	});

	describe('model pace', () => {
		it('takes the completions it has not seen, not cancelled ones or other kinds', () => {
			const pace = new ModelPace();
			assert.strictEqual(pace.observe([stats('b', 200), stats('a', 100)]), true);
			assert.strictEqual(pace.answerMs, 150);
			assert.strictEqual(pace.last?.id, 'b');
			assert.strictEqual(pace.observe([stats('b', 200), stats('a', 100)]), false, 'nothing new');
			assert.strictEqual(
				pace.observe([stats('e', 1, { kind: 'prompt' }), stats('d', 5, { stopReason: 'cancelled' }), stats('c', 300), stats('b', 200)]),
				true,
			);
			assert.strictEqual(pace.answerMs, 200);
			assert.strictEqual(pace.last?.id, 'c');
			assert.strictEqual(pace.observe([stats('f', 1, { kind: 'summarize' }), stats('e', 1, { kind: 'prompt' })]), false);
		});
	});

	it('describes the last completion for the status bar', () => {
		assert.strictEqual(
			describeCompletion(stats('a', 72)),
			'Last completion: 1,023 prompt tokens, 1,019 reused from the cache (4 computed); first token in 10 ms, 32 tokens in 72 ms, 500 tokens/s.',
		);
		assert.strictEqual(
			describeCompletion(stats('b', 210, { promptReused: 0, promptComputed: 1023, generatedTokens: 1, firstTokenMs: 205 })),
			'Last completion: 1,023 prompt tokens, none reused from the cache; first token in 205 ms, 1 token in 210 ms.',
		);
	});
});
