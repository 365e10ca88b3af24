/**
 * Text ⇄ ids as the prompt code sees them (prompt.ts, taskPrompts.ts, token
 * healing, the records): TokenCodec for a model on this machine or a server
 * that runs the same one, ServerTokenizer for a llama.cpp server's own
 * vocabulary, and EstimateCodec where Glassbox has no tokenizer for the
 * server's model.
 */
import type { ChatMessage } from './tokenCodec';

export interface PromptCodec {
	/** Plain text to ids; control-token strings in the text stay plain text. */
	encode(text: string): number[];
	/** Ids to text, control tokens spelled out. */
	decode(ids: readonly number[]): string;
	/** Display text of one token. */
	tokenText(id: number): string;
	readonly eosTokenId: number | undefined;
	/** Whether chat() can render messages (a local tokenizer's chat template). */
	readonly hasChatTemplate: boolean;
	chat(messages: ChatMessage[]): number[];
}

/** Characters each estimated token stands for: code averages three to four, so a budget counted this way fits. */
const CHARS_PER_TOKEN = 3;
const UNIT = 2 ** 16;
/** Ids at and above this are the control strings' (chunks stay below 4 * 2^48). */
const CONTROL_BASE = 4 * 2 ** 48;

/**
 * Counts and ids for a server whose tokenizer Glassbox does not have (an
 * OpenAI-compatible server or Ollama serving another model than
 * glassbox.model). Every three UTF-16 code units count as one token, and each
 * such chunk is its own id (its length and code units packed into one safe
 * integer), so the prompt code (budgets, cuts at line starts, the FIM layout)
 * runs unchanged and decode() gives the exact text back. The family's control
 * strings (FIM markers, stop tokens) get ids of their own. A chunk is not a
 * token, so nothing is healed, and the counts are estimates, on the high side.
 */
export class EstimateCodec implements PromptCodec {
	readonly eosTokenId = undefined;
	readonly hasChatTemplate = false;

	constructor(private readonly controls: readonly string[]) {}

	/** The id standing for the control string `text` (a FIM marker, a stop token), if it is one of this codec's. */
	idOf(text: string): number | undefined {
		const i = this.controls.indexOf(text);
		return i < 0 ? undefined : CONTROL_BASE + i;
	}

	isControl(id: number): boolean {
		return id >= CONTROL_BASE;
	}

	encode(text: string): number[] {
		const ids: number[] = [];
		for (let at = 0; at < text.length; at += CHARS_PER_TOKEN) {
			const chunk = text.slice(at, at + CHARS_PER_TOKEN);
			let id = chunk.length * UNIT ** 3;
			for (let k = 0; k < chunk.length; k++) {
				id += chunk.charCodeAt(k) * UNIT ** (2 - k);
			}
			ids.push(id);
		}
		return ids;
	}

	decode(ids: readonly number[]): string {
		return ids.map((id) => this.tokenText(id)).join('');
	}

	tokenText(id: number): string {
		if (id >= CONTROL_BASE) {
			return this.controls[id - CONTROL_BASE] ?? '';
		}
		const length = Math.floor(id / UNIT ** 3);
		let text = '';
		for (let k = 0; k < length; k++) {
			text += String.fromCharCode(Math.floor(id / UNIT ** (2 - k)) % UNIT);
		}
		return text;
	}

	chat(): number[] {
		throw new Error('A server model without a local tokenizer takes chats through its chat endpoint.');
	}
}
