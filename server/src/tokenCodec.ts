/**
 * Text ⇄ token ids for one model, with the two guarantees the rest of the
 * server relies on: document text never turns into control tokens (a file
 * that contains the literal string `<|endoftext|>` must not end the prompt),
 * and decoding is exact (no clean-up of spaces around punctuation, which
 * would corrupt code).
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { Utf8Constraint } from './utf8Tokens';

export interface ChatMessage {
	role: 'system' | 'user' | 'assistant';
	content: string;
}

/** Leading and repeated spaces, indentation, newlines and punctuation: where decoders add or drop text. */
const PIECES_PROBE = ' def  f(x):\n\treturn x + 1  # ok, done;\n  }\n';

/**
 * The tokenizer's added tokens. Qwen2.5's tokenizer marks its FIM and repository
 * tokens (<|fim_prefix|>, <|file_sep|>, ...) as not special, so
 * all_special_tokens misses them; they are control tokens all the same, and a
 * document that contains their text must not produce them.
 */
function controlTokens(tokenizer: PreTrainedTokenizer): Map<string, number> {
	const tokens = new Map<string, number>();
	(tokenizer.all_special_tokens as string[]).forEach((t, i) => tokens.set(t, (tokenizer.all_special_ids as number[])[i]));
	// transformers.js keeps the added tokens on its inner tokenizer only (@huggingface/tokenizers).
	const inner = (tokenizer as unknown as { _tokenizer?: { get_added_tokens_decoder?(): Map<number, { content: string }> } })._tokenizer;
	inner?.get_added_tokens_decoder?.().forEach((token, id) => tokens.set(token.content, id));
	return tokens;
}

export class TokenCodec {
	private readonly specials: string[];
	/** Every added token (text → id): the special ones and those a tokenizer does not mark special. */
	private readonly controlTokens: Map<string, number>;
	private readonly specialPattern: RegExp | null;
	private readonly textCache = new Map<number, string>();
	/** Ordinary tokens sorted by text, then id, for token healing (built on first use). */
	private healIndexValue: { text: string; id: number }[] | undefined;
	private vocabSizeValue: number | undefined;
	private utf8Value: Utf8Constraint | null | undefined;
	/**
	 * Whether a token's text, decoded alone, is exactly what it adds to any text before it
	 * (byte-level BPE: GPT-2, Qwen, the embedded model), as long as it holds whole characters.
	 * Not so for SentencePiece, whose tokens lose their leading space when decoded alone.
	 */
	readonly contextFreePieces: boolean;

	constructor(private readonly tokenizer: PreTrainedTokenizer) {
		this.controlTokens = controlTokens(tokenizer);
		this.specials = [...this.controlTokens.keys()].filter((t) => t.length > 1);
		this.specialPattern =
			this.specials.length > 0
				? new RegExp(this.specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
				: null;
		this.contextFreePieces = this.piecesJoinUp(PIECES_PROBE);
	}

	/** Decoding `text`'s tokens one by one gives `text` back, piece by piece. */
	private piecesJoinUp(text: string): boolean {
		const ids = this.encode(text);
		const pieces = ids.map((id) => this.tokenText(id));
		return pieces.every((p) => !p.includes('\uFFFD')) && pieces.join('') === text && this.decode(ids) === text;
	}

	/** Ids of the tokenizer's control tokens (special and other added tokens, like <fim_middle>). */
	get specialIds(): number[] {
		return [...new Set(this.controlTokens.values())];
	}

	get vocabSize(): number {
		if (this.vocabSizeValue === undefined) {
			// get_vocab() builds a new map on each call. transformers.js 3 returns a Map; older tokenizers a plain object.
			const vocab = this.tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
			this.vocabSizeValue = vocab instanceof Map ? vocab.size : Object.keys(vocab).length;
		}
		return this.vocabSizeValue;
	}

	/**
	 * What keeps generated text valid UTF-8 for this vocabulary (utf8Tokens.ts), or undefined
	 * when its tokens are whole characters. Built on first use.
	 */
	get utf8(): Utf8Constraint | undefined {
		if (this.utf8Value === undefined) {
			const vocab = this.tokenizer.get_vocab() as Map<string, number> | Record<string, number>;
			const map = vocab instanceof Map ? vocab : new Map(Object.entries(vocab));
			this.utf8Value = Utf8Constraint.forVocabulary(map, new Set(this.specialIds)) ?? null;
		}
		return this.utf8Value ?? undefined;
	}

	/** Id of a token given by its exact string (special tokens included), or undefined. */
	idOf(token: string): number | undefined {
		const id = this.tokenizer.convert_tokens_to_ids(token) as unknown;
		return typeof id === 'number' && id >= 0 && this.tokenizer.decode([id], { skip_special_tokens: false }) === token
			? id
			: undefined;
	}

	get eosTokenId(): number | undefined {
		const id = this.tokenizer.eos_token_id as unknown;
		return typeof id === 'number' ? id : undefined;
	}

	get hasChatTemplate(): boolean {
		return this.tokenizer.chat_template != null;
	}

	/** Plain text to ids; special-token strings in the text are encoded as ordinary text. */
	encode(text: string): number[] {
		if (text === '') {
			return [];
		}
		if (!this.specialPattern) {
			return this.encodeRaw(text);
		}
		const ids: number[] = [];
		let last = 0;
		for (const match of text.matchAll(this.specialPattern)) {
			const at = match.index ?? 0;
			ids.push(...this.encodeRaw(text.slice(last, at)));
			// Split the literal so the tokenizer cannot recognise it as one control token.
			ids.push(...this.encodeRaw(match[0].slice(0, 1)), ...this.encodeRaw(match[0].slice(1)));
			last = at + match[0].length;
		}
		ids.push(...this.encodeRaw(text.slice(last)));
		return ids;
	}

	private encodeRaw(text: string): number[] {
		return text === '' ? [] : (this.tokenizer.encode(text, { add_special_tokens: false }) as number[]);
	}

	decode(ids: readonly number[]): string {
		if (ids.length === 0) {
			return '';
		}
		return this.tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
	}

	/** Display text of a single token (cached: the inspector asks for the same ids often). */
	tokenText(id: number): string {
		let text = this.textCache.get(id);
		if (text === undefined) {
			text = this.decode([id]);
			if (this.textCache.size > 50_000) {
				this.textCache.clear();
			}
			this.textCache.set(id, text);
		}
		return text;
	}

	/**
	 * Ids of the ordinary tokens whose text starts with `text` (for token
	 * healing), ascending. The vocabulary is decoded and sorted once; each
	 * lookup is a binary search, so a 150k vocabulary costs nothing per keystroke.
	 */
	tokensStartingWith(text: string): number[] {
		const index = this.healIndex();
		const ids: number[] = [];
		for (let i = lowerBound(index, text); i < index.length && index[i].text.startsWith(text); i++) {
			ids.push(index[i].id);
		}
		return ids.sort((a, b) => a - b);
	}

	/** Ids of the ordinary tokens whose text is exactly `text`, ascending. */
	tokensEqualTo(text: string): number[] {
		const index = this.healIndex();
		const ids: number[] = [];
		for (let i = lowerBound(index, text); i < index.length && index[i].text === text; i++) {
			ids.push(index[i].id);
		}
		return ids;
	}

	private healIndex(): { text: string; id: number }[] {
		return (this.healIndexValue ??= this.buildHealIndex());
	}

	private buildHealIndex(): { text: string; id: number }[] {
		const special = new Set(this.specialIds);
		const index: { text: string; id: number }[] = [];
		for (let id = 0; id < this.vocabSize; id++) {
			if (!special.has(id)) {
				index.push({ text: this.decode([id]), id });
			}
		}
		return index.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : a.id - b.id));
	}

	/**
	 * Render a conversation with the model's chat template, ready for the assistant's turn. The
	 * template's own text keeps its control tokens (<|im_start|>...); the messages' content is
	 * encoded as plain text, like any document, so a selection that contains "<|im_end|>" cannot
	 * end its turn. Each content goes through the template as a marker and is encoded in its place.
	 */
	chat(messages: ChatMessage[]): number[] {
		const marker = (i: number) => `\u0001GLASSBOX-CONTENT-${i}\u0001`;
		const rendered = this.tokenizer.apply_chat_template(
			messages.map((m, i) => ({ ...m, content: marker(i) })),
			{ add_generation_prompt: true, tokenize: false },
		) as unknown;
		if (typeof rendered !== 'string') {
			throw new Error('The chat template did not render to text.');
		}
		const ids: number[] = [];
		let last = 0;
		const seen = new Set<number>();
		for (const match of rendered.matchAll(/\u0001GLASSBOX-CONTENT-(\d+)\u0001/g)) {
			const index = Number(match[1]);
			seen.add(index);
			ids.push(...this.encodeRaw(rendered.slice(last, match.index)), ...this.encode(messages[index].content));
			last = (match.index ?? 0) + match[0].length;
		}
		if (seen.size !== messages.length) {
			throw new Error('The chat template changed or dropped a message, so its content cannot be placed safely.');
		}
		ids.push(...this.encodeRaw(rendered.slice(last)));
		return ids;
	}
}

/** First position in `index` (sorted by text) whose text is not below `text`. */
function lowerBound(index: readonly { text: string }[], text: string): number {
	let lo = 0;
	let hi = index.length;
	while (lo < hi) {
		const mid = (lo + hi) >> 1;
		if (index[mid].text < text) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/**
 * Splits the decoded text of a growing id list into per-token pieces, in
 * constant time per token. A byte-level token can end inside a multi-byte
 * character; its piece stays empty until the character is complete, so the
 * pieces always join to the exact output text. Each new piece is decoded with
 * one token of left context, because some decoders (SentencePiece's) treat
 * the first token of a sequence differently.
 */
export class IncrementalDecoder {
	private pending: number[] = [];
	private context: number | undefined;
	private stable = '';

	constructor(private readonly codec: TokenCodec) {}

	private decodeWithContext(ids: number[]): string {
		if (this.context === undefined) {
			return this.codec.decode(ids);
		}
		const lead = this.codec.decode([this.context]);
		const text = this.codec.decode([this.context, ...ids]);
		return text.startsWith(lead) ? text.slice(lead.length) : this.codec.decode(ids);
	}

	push(id: number): string {
		if (this.pending.length === 0 && this.codec.contextFreePieces) {
			// The common case, without a tokenizer call: the token's own text (cached) is its piece.
			const own = this.codec.tokenText(id);
			if (!own.includes('\uFFFD')) {
				this.context = id;
				this.stable += own;
				return own;
			}
		}
		this.pending.push(id);
		const piece = this.decodeWithContext(this.pending);
		// A UTF-8 character is at most 4 bytes: give up waiting after that many tokens.
		if (piece.endsWith('\uFFFD') && this.pending.length < 4) {
			return '';
		}
		this.context = this.pending[this.pending.length - 1];
		this.pending = [];
		this.stable += piece;
		return piece;
	}

	/** Text so far, including any incomplete trailing character. */
	get text(): string {
		return this.pending.length === 0 ? this.stable : this.stable + this.decodeWithContext(this.pending);
	}
}
