/**
 * A llama.cpp server's own tokenizer behind the synchronous PromptCodec that
 * the prompt code calls. The prompt builders (prompt.ts, taskPrompts.ts) call
 * encode() a few times, each call depending on the last (a budget is fitted
 * by measuring), and stay synchronous so the local path costs nothing more.
 * Here a build runs until it asks for a text not tokenized yet: encode()
 * throws NeedTokens, run() fetches that text from the server's /tokenize and
 * runs the build again. Texts are remembered, so one build costs one round
 * trip per distinct text (three to six for a completion prompt) and the
 * build itself is repeated that often (microseconds each).
 *
 * /tokenize gives each token's piece too, so tokenText() and decode() work
 * for every id seen, which is every id of a prompt built here.
 */
import type { RemoteClient } from './backends';
import type { PromptCodec } from './promptCodec';

/** Thrown by encode() for a text the server has not tokenized yet; run() catches it. */
class NeedTokens extends Error {
	constructor(readonly text: string) {
		super('The server has not tokenized this text yet.');
	}
}

/** Texts remembered (a completion prompt needs up to about eight; several prompts in flight). */
const MEMO_SIZE = 256;
/** More distinct texts than any build asks for: a build that keeps asking is a bug, not a slow server. */
const MAX_ROUNDS = 64;

export class ServerTokenizer implements PromptCodec {
	readonly hasChatTemplate = false;
	private readonly memo = new Map<string, number[]>();
	private readonly pieces = new Map<number, Uint8Array>();
	private readonly decoder = new TextDecoder();
	eosTokenId: number | undefined;

	constructor(private readonly client: RemoteClient) {
		if (!client.tokenizePieces) {
			throw new Error(`A ${client.kind} server has no tokenizer endpoint.`);
		}
	}

	/**
	 * Runs `build` with every text it encodes tokenized by the server. Rejects with the
	 * BackendError of a failed /tokenize, or with what `build` throws.
	 */
	async run<T>(build: () => T, signal: AbortSignal): Promise<T> {
		for (let round = 0; ; round++) {
			try {
				return build();
			} catch (e) {
				if (!(e instanceof NeedTokens) || round >= MAX_ROUNDS) {
					throw e;
				}
				await this.fetch(e.text, signal);
			}
		}
	}

	encode(text: string): number[] {
		if (text === '') {
			return [];
		}
		const ids = this.memo.get(text);
		if (!ids) {
			throw new NeedTokens(text);
		}
		// Most recently used last: the oldest go first when the memo is full.
		this.memo.delete(text);
		this.memo.set(text, ids);
		return [...ids];
	}

	decode(ids: readonly number[]): string {
		const parts = ids.map((id) => this.pieces.get(id) ?? new Uint8Array(0));
		const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
		let at = 0;
		for (const p of parts) {
			bytes.set(p, at);
			at += p.length;
		}
		return this.decoder.decode(bytes);
	}

	tokenText(id: number): string {
		const piece = this.pieces.get(id);
		return piece ? this.decoder.decode(piece) : '';
	}

	chat(): number[] {
		throw new Error("A llama.cpp server's chats go through its chat endpoint.");
	}

	/**
	 * The id of the control token spelled `text` (a FIM marker, a stop token) in the server's
	 * vocabulary: undefined when the model has no such single token (plain text tokenizes the same).
	 */
	async controlId(text: string, signal: AbortSignal): Promise<number | undefined> {
		const special = await this.client.tokenizePieces!(text, signal, { special: true });
		if (special.length !== 1) {
			return undefined;
		}
		const plain = await this.client.tokenizePieces!(text, signal, { special: false });
		if (plain.length === 1 && plain[0].id === special[0].id) {
			return undefined;
		}
		this.pieces.set(special[0].id, special[0].bytes);
		return special[0].id;
	}

	private async fetch(text: string, signal: AbortSignal): Promise<void> {
		const tokens = await this.client.tokenizePieces!(text, signal, { special: false });
		for (const t of tokens) {
			this.pieces.set(t.id, t.bytes);
		}
		this.memo.set(
			text,
			tokens.map((t) => t.id),
		);
		if (this.memo.size > MEMO_SIZE) {
			this.memo.delete(this.memo.keys().next().value as string);
		}
	}
}

