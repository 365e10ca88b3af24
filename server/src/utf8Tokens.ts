/**
 * Keeps generated text valid UTF-8. Byte-level vocabularies (GPT-2's scheme:
 * the embedded model, Qwen, StarCoder, DeepSeek-Coder) and SentencePiece's
 * byte fallback (`<0xE4>`) can spell a character over several tokens, and a
 * small model sometimes picks a byte that no character starts with, or starts
 * one and never finishes it: the user would get U+FFFD in their file. So each
 * step allows only tokens whose bytes continue valid UTF-8 from where the
 * text is (at a character boundary, or inside a character that needs `k` more
 * continuation bytes).
 *
 * Token bytes come from the vocabulary itself: a byte-level vocabulary holds
 * all 256 byte symbols of GPT-2's bytes-to-unicode table as tokens; a
 * byte-fallback vocabulary holds `<0x00>`..`<0xFF>`. Other vocabularies are
 * taken to hold whole characters (no constraint).
 */

/** GPT-2's reversible map from bytes to printable characters (openai/gpt-2 encoder.py, bytes_to_unicode). */
function byteLevelSymbols(): Map<string, number> {
	const printable = (from: string, to: string) => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, i) => from.charCodeAt(0) + i);
	const direct = new Set([...printable('!', '~'), ...printable('\u00a1', '\u00ac'), ...printable('\u00ae', '\u00ff')]);
	const symbols = new Map<string, number>();
	let shifted = 0;
	for (let byte = 0; byte < 256; byte++) {
		symbols.set(String.fromCharCode(direct.has(byte) ? byte : 256 + shifted++), byte);
	}
	return symbols;
}

const BYTE_FALLBACK = /^<0x([0-9A-Fa-f]{2})>$/;

/** Per token: how its bytes sit in UTF-8. */
interface TokenShape {
	/** Continuation bytes (10xxxxxx) the token starts with. */
	leading: number;
	/** Bytes in all. */
	length: number;
	/** The bytes after the leading continuations are a valid UTF-8 prefix (may end inside a character). */
	valid: boolean;
	/** Continuation bytes still needed after the token, when it is valid. */
	endNeed: number;
}

function shapeOf(bytes: readonly number[]): TokenShape {
	let leading = 0;
	while (leading < bytes.length && (bytes[leading] & 0xc0) === 0x80) {
		leading++;
	}
	let need = 0;
	let valid = true;
	for (let i = leading; i < bytes.length && valid; i++) {
		const b = bytes[i];
		if (need > 0) {
			valid = (b & 0xc0) === 0x80;
			need--;
		} else if (b < 0x80) {
			need = 0;
		} else if (b >= 0xc2 && b <= 0xdf) {
			need = 1;
		} else if (b >= 0xe0 && b <= 0xef) {
			need = 2;
		} else if (b >= 0xf0 && b <= 0xf4) {
			need = 3;
		} else {
			valid = false; // a stray continuation, or a byte UTF-8 never uses
		}
	}
	return { leading, length: bytes.length, valid, endNeed: need };
}

export class Utf8Constraint {
	private readonly shapes: (TokenShape | undefined)[];
	/** Tokens never allowed at a character boundary. */
	readonly bannedAtBoundary: readonly number[];
	private readonly allowedInside: number[][] = [];

	private constructor(shapes: (TokenShape | undefined)[]) {
		this.shapes = shapes;
		const banned: number[] = [];
		shapes.forEach((s, id) => {
			if (s && (s.leading > 0 || !s.valid)) {
				banned.push(id);
			}
		});
		this.bannedAtBoundary = banned;
		for (let k = 1; k <= 3; k++) {
			const allowed: number[] = [];
			shapes.forEach((s, id) => {
				if (s && this.fits(s, k)) {
					allowed.push(id);
				}
			});
			this.allowedInside[k] = allowed;
		}
	}

	/**
	 * The constraint for a vocabulary (token string → id, as tokenizers list it), or
	 * undefined when its tokens are whole characters. `special` ids are left out.
	 */
	static forVocabulary(vocab: ReadonlyMap<string, number>, special: ReadonlySet<number>): Utf8Constraint | undefined {
		const levels = byteLevelSymbols();
		const byteLevel = [...levels.keys()].every((symbol) => vocab.has(symbol));
		const fallback = !byteLevel && Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`).every((t) => vocab.has(t));
		if (!byteLevel && !fallback) {
			return undefined;
		}
		const encoder = new TextEncoder();
		const shapes: (TokenShape | undefined)[] = [];
		for (const [token, id] of vocab) {
			if (special.has(id)) {
				continue;
			}
			let bytes: number[];
			if (byteLevel) {
				bytes = [...token].map((c) => levels.get(c) ?? -1);
				if (bytes.includes(-1)) {
					continue; // an added token written as plain text: whole characters
				}
			} else {
				const hex = BYTE_FALLBACK.exec(token);
				bytes = hex ? [parseInt(hex[1], 16)] : [...encoder.encode(token.replace(/\u2581/g, ' '))];
			}
			shapes[id] = shapeOf(bytes);
		}
		return new Utf8Constraint(shapes);
	}

	/** Whether a token fits where `need` continuation bytes are still due (need > 0). */
	private fits(s: TokenShape, need: number): boolean {
		if (s.leading === s.length) {
			return s.length <= need; // only continuation bytes, not more than the character takes
		}
		return s.leading === need && s.valid;
	}

	/** Tokens allowed where `need` continuation bytes are due (need > 0), ascending. */
	allowedWhile(need: number): readonly number[] {
		return this.allowedInside[Math.min(3, need)] ?? [];
	}

	/** Continuation bytes due after `id` was appended where `need` were due. */
	after(need: number, id: number): number {
		const s = this.shapes[id];
		if (!s) {
			return 0; // a special or whole-character token
		}
		if (s.leading === s.length && s.length < need) {
			return need - s.length;
		}
		return s.endNeed;
	}
}
