/**
 * Tokens of one streamed choice of an OpenAI-compatible `/v1/completions`,
 * with their log probabilities in either of the two shapes servers send:
 *
 * - legacy (OpenAI's Completions API reference; vLLM's `CompletionLogProbs`, TGI, LM Studio):
 *   `logprobs: {tokens: string[], token_logprobs: (number|null)[], top_logprobs: ({[token]: logprob}|null)[], text_offset: number[]}`;
 *   vLLM started with `--return-tokens-as-token-ids` spells tokens `token_id:<id>`.
 * - per-token objects (OpenAI's Chat Completions shape, which llama-server also uses for
 *   `/v1/completions`, as of tag v0.4.0):
 *   `logprobs: {content: [{id?, token, logprob, bytes, top_logprobs: [{id?, token, logprob, bytes}]}]}`.
 *
 * Pure functions over parsed JSON; a wrong shape throws ShapeError with what was wrong.
 */
import type { RemoteAlternative, RemoteToken } from './remoteClient';

export class ShapeError extends Error {}

function isRecord(v: unknown): v is Record<string, unknown> {
	return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** vLLM's `token_id:123` spelling, or the text as it is. */
function splitTokenId(token: string): { text: string; id?: number } {
	const m = /^token_id:(\d+)$/.exec(token);
	return m ? { text: '', id: Number(m[1]) } : { text: token };
}

/** The tokens of a `logprobs` value, best alternatives first; [] for null/absent logprobs. */
export function logprobTokens(logprobs: unknown): RemoteToken[] {
	if (logprobs === null || logprobs === undefined) return [];
	if (!isRecord(logprobs)) throw new ShapeError('"logprobs" is not an object');
	if (Array.isArray(logprobs.content)) return logprobs.content.map(contentToken);
	if (Array.isArray(logprobs.tokens)) return legacyTokens(logprobs);
	throw new ShapeError('"logprobs" has neither "content" nor "tokens"');
}

function contentToken(entry: unknown, i: number): RemoteToken {
	if (!isRecord(entry) || typeof entry.token !== 'string') throw new ShapeError(`logprobs.content[${i}] has no "token"`);
	const top: RemoteAlternative[] = [];
	if (entry.top_logprobs !== undefined && entry.top_logprobs !== null) {
		if (!Array.isArray(entry.top_logprobs)) throw new ShapeError(`logprobs.content[${i}].top_logprobs is not a list`);
		for (const alt of entry.top_logprobs) {
			if (!isRecord(alt) || typeof alt.token !== 'string' || typeof alt.logprob !== 'number') {
				throw new ShapeError(`logprobs.content[${i}].top_logprobs has an entry without token and logprob`);
			}
			const a: RemoteAlternative = { text: alt.token, logprob: alt.logprob };
			if (Number.isInteger(alt.id)) a.id = alt.id as number;
			top.push(a);
		}
	}
	const token: RemoteToken = { text: entry.token, logprob: typeof entry.logprob === 'number' ? entry.logprob : null, top: sortBest(top) };
	if (Number.isInteger(entry.id)) token.id = entry.id as number;
	return token;
}

function legacyTokens(lp: Record<string, unknown>): RemoteToken[] {
	const tokens = lp.tokens as unknown[];
	const logprobs = Array.isArray(lp.token_logprobs) ? lp.token_logprobs : [];
	const tops = Array.isArray(lp.top_logprobs) ? lp.top_logprobs : [];
	return tokens.map((t, i) => {
		if (typeof t !== 'string') throw new ShapeError(`logprobs.tokens[${i}] is not a string`);
		const lp = logprobs[i];
		if (lp !== undefined && lp !== null && typeof lp !== 'number') throw new ShapeError(`logprobs.token_logprobs[${i}] is not a number`);
		const top: RemoteAlternative[] = [];
		const dict = tops[i];
		if (dict !== undefined && dict !== null) {
			if (!isRecord(dict)) throw new ShapeError(`logprobs.top_logprobs[${i}] is not an object`);
			for (const [key, value] of Object.entries(dict)) {
				if (typeof value !== 'number') throw new ShapeError(`logprobs.top_logprobs[${i}]["${key}"] is not a number`);
				top.push({ ...splitTokenId(key), logprob: value });
			}
		}
		const token: RemoteToken = { ...splitTokenId(t), logprob: typeof lp === 'number' ? lp : null, top: sortBest(top) };
		return token;
	});
}

/** Dictionaries carry no order: best first, as RemoteToken promises. */
function sortBest(top: RemoteAlternative[]): RemoteAlternative[] {
	return top.sort((a, b) => b.logprob - a.logprob);
}

/**
 * Tokens that together carry `text`: split as the logprobs' tokens spell it where they spell
 * it exactly, otherwise the whole text on the first token (stop strings and held-back bytes
 * make them differ), so the total is always the server's text. Without logprobs, one token
 * carrying the text.
 */
export function spellText(text: string, tokens: RemoteToken[]): RemoteToken[] {
	if (tokens.length === 0) return text ? [{ text, logprob: null, top: [] }] : [];
	if (tokens.map((t) => t.text).join('') !== text) {
		tokens.forEach((t, i) => {
			t.text = i === 0 ? text : '';
		});
	}
	return tokens;
}

/** The tokens one streamed choice of `/v1/completions` adds. */
export function choiceTokens(choice: Record<string, unknown>): RemoteToken[] {
	const text = choice.text;
	if (typeof text !== 'string') throw new ShapeError('a choice without "text"');
	return spellText(text, logprobTokens(choice.logprobs));
}

/**
 * The tokens one streamed choice of `/v1/chat/completions` adds: `delta.content` (absent in the
 * first chunk, which carries the role, and in the last), logprobs in the `content[]` shape.
 */
export function chatChoiceTokens(choice: Record<string, unknown>): RemoteToken[] {
	const delta = choice.delta;
	if (delta !== undefined && !isRecord(delta)) throw new ShapeError('a chat choice whose "delta" is not an object');
	const content = delta?.content;
	if (content !== undefined && content !== null && typeof content !== 'string') throw new ShapeError('a chat delta whose "content" is not text');
	return spellText(typeof content === 'string' ? content : '', logprobTokens(choice.logprobs));
}
