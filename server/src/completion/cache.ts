/**
 * Recent answers, so the model runs once per context: the same context again
 * comes from a small cache, and typing the first characters of the shown
 * suggestion returns its rest (the suggestion "typed ahead").
 */
import { createHash } from 'crypto';

const CACHE_SIZE = 64;
/** Characters of each side of the cursor that identify a completion context. */
export const KEY_PREFIX_CHARS = 2000;
export const KEY_SUFFIX_CHARS = 500;

interface LastAnswer {
	uri: string;
	prefix: string;
	suffixHead: string;
	text: string;
}

export class AnswerCache {
	private readonly entries = new Map<string, string>();
	private last: LastAnswer | undefined;

	/** The key of a context: everything that decides the answer (`parts`), the prefix's tail and the suffix's head. */
	static key(parts: unknown[], prefix: string, suffix: string): string {
		return createHash('sha1')
			.update(JSON.stringify([...parts, prefix.slice(-KEY_PREFIX_CHARS), suffix.slice(0, KEY_SUFFIX_CHARS)]))
			.digest('hex');
	}

	get(key: string): string | undefined {
		return this.entries.get(key);
	}

	set(key: string, text: string): void {
		this.entries.set(key, text);
		if (this.entries.size > CACHE_SIZE) {
			this.entries.delete(this.entries.keys().next().value as string);
		}
	}

	/** The rest of the last suggestion when the user typed its beginning (and nothing after the cursor changed). */
	typedAhead(uri: string, prefix: string, suffix: string): string | undefined {
		const last = this.last;
		if (!last || last.uri !== uri || prefix.length <= last.prefix.length || !prefix.startsWith(last.prefix)) {
			return undefined;
		}
		const typed = prefix.slice(last.prefix.length);
		if (!last.text.startsWith(typed) || typed.length >= last.text.length || suffix.slice(0, KEY_SUFFIX_CHARS) !== last.suffixHead) {
			return undefined;
		}
		return last.text.slice(typed.length);
	}

	/** The suggestion now shown for this context. */
	remember(uri: string, prefix: string, suffix: string, text: string): void {
		this.last = text === '' ? undefined : { uri, prefix, suffixHead: suffix.slice(0, KEY_SUFFIX_CHARS), text };
	}

	clear(): void {
		this.entries.clear();
		this.last = undefined;
	}
}
