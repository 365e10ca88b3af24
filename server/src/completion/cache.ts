/**
 * Answers by what decides them, in a least-recently-used cache (lru-cache),
 * so the model runs once per state of the text around the cursor:
 * - the key is everything that reaches the prompt and the filters: the model
 *   request, the settings that change the answer, the language, the suggest
 *   widget's selected item (AnswerCache.parts) and the cursor window's prefix
 *   and suffix, whole (the prompt reads nothing outside them; the line mode
 *   follows from them and the multiline setting);
 * - forwarding entries: once a suggestion is shown, each state the user
 *   reaches by typing its first characters maps to its rest (Tabby's
 *   forwarding entries), so typing along it needs no model call;
 * - the answers to explicit requests (the greedy suggestion and its sampled
 *   alternatives) are kept apart from the greedy answer alone.
 * Bounded by entries and by the characters held.
 */
import { createHash, type Hash } from 'crypto';
import { LRUCache } from 'lru-cache';
import { typedWindow, type CursorWindow } from '../documentGuard';

/** One cached answer: its suggestions (the greedy one first) and the generation they came from, for Inspect Last Suggestion. */
export interface CachedAnswer {
	texts: readonly string[];
	recordId: string | null;
}

/** Which answer: the greedy suggestion, or the list an explicit request shows (greedy plus alternatives). */
export type AnswerKind = 'greedy' | 'alternatives';

const MAX_ENTRIES = 8192;
/** Characters of suggestions held, over all entries (a few megabytes). */
const MAX_CHARS = 2_000_000;
/** Forwarding entries cover a suggestion's first characters up to this many. */
export const FORWARD_CHARS = 256;
/** Each entry's own cost besides its text: its key and record. */
const ENTRY_OVERHEAD = 64;

export class AnswerCache {
	private readonly entries = new LRUCache<string, CachedAnswer>({
		max: MAX_ENTRIES,
		maxSize: MAX_CHARS,
		sizeCalculation: (answer) => ENTRY_OVERHEAD + answer.texts.reduce((n, t) => n + t.length, 0),
	});

	/** The parts of a key besides the text: a string, the same for every state of one request's settings. */
	static parts(values: readonly unknown[]): string {
		return JSON.stringify(values);
	}

	/** The key of an answer for `parts` (AnswerCache.parts) at the cursor window `prefix`/`suffix`. */
	static key(kind: AnswerKind, parts: string, prefix: string, suffix: string): string {
		return keyHash(kind, parts, suffix).update(prefix).digest('hex');
	}

	get(key: string): CachedAnswer | undefined {
		return this.entries.get(key);
	}

	set(key: string, answer: CachedAnswer): void {
		this.entries.set(key, answer);
	}

	/**
	 * Forwarding entries for `text` shown at `window` (cursorWindow with
	 * `beforeChars`): for each of its first characters typed (up to
	 * FORWARD_CHARS, not the whole of it), the greedy answer is its rest.
	 * Newer entries replace older ones for the same state.
	 */
	forward(parts: string, window: CursorWindow, beforeChars: number, text: string, recordId: string | null): void {
		const base = keyHash('greedy', parts, window.suffix).update(window.prefix);
		const last = Math.min(text.length - 1, FORWARD_CHARS);
		for (let n = 1; n <= last; n++) {
			const typed = text.slice(0, n);
			const moved = typedWindow(window, typed, beforeChars);
			// While the window's start stays, the typed state's key extends this one's hash.
			const key = moved.start === window.start ? base.copy().update(typed).digest('hex') : AnswerCache.key('greedy', parts, moved.prefix, moved.suffix);
			this.entries.set(key, { texts: [text.slice(n)], recordId });
		}
	}

	get size(): number {
		return this.entries.size;
	}

	clear(): void {
		this.entries.clear();
	}
}

/** The hash of a key up to its prefix (appended last, so typed text extends it). */
function keyHash(kind: AnswerKind, parts: string, suffix: string): Hash {
	// Lengths first, so that no two (parts, suffix, prefix) triples hash the same text.
	return createHash('sha1').update(`${kind}\u0000${parts.length}:${parts}\u0000${suffix.length}:${suffix}\u0000`);
}
