/**
 * llama.cpp's own HTTP server (llama-server), through its native endpoints:
 * GET /props and /v1/models for the model, POST /tokenize, and a streamed
 * POST /completion whose prompt may be token ids, so the language server's FIM
 * layout and token healing reach the model exactly.
 *
 * Probabilities (checked against llama.cpp tag v0.4.0, the one node-llama-cpp
 * 3.21.1 carries): with `n_probs` > 0 and `post_sampling_probs` false, every
 * streamed chunk has `completion_probabilities: [{id, token, bytes, logprob,
 * top_logprobs: [{id, token, bytes, logprob}]}]`, natural logs of a softmax
 * over the raw logits (temperature 1, before top-k/top-p). With
 * `post_sampling_probs` true the fields are `prob`/`top_probs` after the
 * sampler chain instead; older builds sent `probs: [{tok_str, prob}]`. This
 * client asks for the first form and reads the others too.
 *
 * Also seen at v0.4.0: a token that ends inside a UTF-8 character is not sent
 * until the character is complete (its probabilities are not sent at all).
 * Output that starts with UTF-8 continuation bytes (a prompt that ends inside a
 * character, which Glassbox never sends: prompts are whole text, and healing
 * never cuts inside a character) made the server send an error event ("does
 * not match the expected Content-only format") on one machine and close the
 * connection on another; an error event arrives as a server-error.
 */
import { malformed, streamCut, BackendError } from './backendError';
import { connect, isRecord, readJson, send, sseData, streamEvent, type Connection } from './http';
import { chatBody, openAiStream } from './openaiCompat';
import { chatChoiceTokens } from './openaiLogprobs';
import type {
	RemoteAlternative,
	RemoteChatRequest,
	RemoteClient,
	RemoteEndpoint,
	RemoteRequest,
	RemoteServerInfo,
	RemoteStream,
	RemoteToken,
	TokenPiece,
} from './remoteClient';
import { TokenStream } from './tokenStream';

export class LlamaCppClient implements RemoteClient {
	readonly kind = 'llama.cpp';
	readonly acceptsTokenIds = true;
	private readonly conn: Connection;

	constructor(endpoint: RemoteEndpoint) {
		this.conn = connect('llama.cpp', endpoint);
	}

	async info(signal: AbortSignal): Promise<RemoteServerInfo> {
		const props = await readJson(this.conn, await send(this.conn, 'GET', 'props', undefined, signal));
		if (!isRecord(props)) throw malformed(this.conn.ctx, '/props is not an object');
		const settings = isRecord(props.default_generation_settings) ? props.default_generation_settings : {};
		const path = typeof props.model_path === 'string' ? props.model_path : '';
		const alias = typeof props.model_alias === 'string' && props.model_alias ? props.model_alias : '';
		const info: RemoteServerInfo = {
			kind: 'llama.cpp',
			// The alias defaults to the model's path (--alias names it): the file name reads better.
			model: (alias || path).split(/[\\/]/).pop() || 'llama.cpp',
			logprobs: true,
		};
		if (typeof props.build_info === 'string') info.version = props.build_info;
		if (typeof settings.n_ctx === 'number') info.contextLength = settings.n_ctx;
		// The vocabulary size is only in the OpenAI-style model list's `meta`.
		try {
			const models = await readJson(this.conn, await send(this.conn, 'GET', 'v1/models', undefined, signal));
			const first = isRecord(models) && Array.isArray(models.data) ? models.data[0] : undefined;
			const meta = isRecord(first) && isRecord(first.meta) ? first.meta : undefined;
			if (typeof meta?.n_vocab === 'number') info.vocabSize = meta.n_vocab;
		} catch (err) {
			if (err instanceof BackendError && (err.kind === 'cancelled' || err.kind === 'unauthorized')) throw err;
		}
		return info;
	}

	async tokenize(text: string, signal: AbortSignal, options: { special?: boolean } = {}): Promise<number[]> {
		const body = { content: text, add_special: false, parse_special: options.special ?? false };
		const json = await readJson(this.conn, await send(this.conn, 'POST', 'tokenize', body, signal));
		const tokens = isRecord(json) ? json.tokens : undefined;
		if (!Array.isArray(tokens) || !tokens.every((t) => Number.isInteger(t))) {
			throw malformed(this.conn.ctx, '/tokenize did not return a list of token ids');
		}
		return tokens as number[];
	}

	/** `with_pieces`: each token's text, or its bytes as numbers where they are not valid UTF-8 alone. */
	async tokenizePieces(text: string, signal: AbortSignal, options: { special?: boolean } = {}): Promise<TokenPiece[]> {
		const body = { content: text, add_special: false, parse_special: options.special ?? false, with_pieces: true };
		const json = await readJson(this.conn, await send(this.conn, 'POST', 'tokenize', body, signal));
		const tokens = isRecord(json) ? json.tokens : undefined;
		if (!Array.isArray(tokens)) throw malformed(this.conn.ctx, '/tokenize did not return a list of tokens');
		const encoder = new TextEncoder();
		return tokens.map((t): TokenPiece => {
			if (!isRecord(t) || !Number.isInteger(t.id)) throw malformed(this.conn.ctx, '/tokenize returned a token without an id');
			const piece = t.piece;
			if (typeof piece === 'string') return { id: t.id as number, bytes: encoder.encode(piece) };
			if (Array.isArray(piece) && piece.every((b) => Number.isInteger(b) && b >= 0 && b < 256)) return { id: t.id as number, bytes: Uint8Array.from(piece as number[]) };
			throw malformed(this.conn.ctx, '/tokenize returned a token without its piece');
		});
	}

	/** llama-server's OpenAI-compatible chat endpoint, which applies the model's chat template (or ChatML). */
	chat(request: RemoteChatRequest, signal: AbortSignal): RemoteStream {
		return openAiStream(this.conn, 'v1/chat/completions', { ...chatBody(request, undefined), ...samplerOff(request.repetitionPenalty) }, chatChoiceTokens, signal);
	}

	stream(request: RemoteRequest, signal: AbortSignal): RemoteStream {
		const conn = this.conn;
		return new TokenStream(async function* (end, promptSeen) {
			const reply = await send(conn, 'POST', 'completion', completionBody(request), signal);
			for await (const data of sseData(conn, reply.body)) {
				const chunk = parseChunk(conn, data);
				if (chunk.prompt) promptSeen(chunk.prompt);
				yield* chunk.tokens;
				if (chunk.final) {
					end(chunk.final);
					return;
				}
			}
			throw streamCut(conn.ctx);
		});
	}
}

/**
 * The request body. Every sampler the server would add by default (min-p,
 * repetition penalties, DRY, XTC, mirostat) is switched off, so the tokens
 * follow the model's distribution as the local engine samples it.
 */
export function completionBody(r: RemoteRequest): Record<string, unknown> {
	const body: Record<string, unknown> = {
		prompt: typeof r.prompt === 'string' ? r.prompt : [...r.prompt],
		n_predict: r.maxTokens,
		temperature: r.temperature,
		top_k: r.topK,
		top_p: r.topP,
		seed: r.seed,
		...samplerOff(r.repetitionPenalty),
		n_probs: r.topLogprobs,
		post_sampling_probs: false,
		stop: [...r.stop],
		stream: true,
		cache_prompt: r.cachePrompt ?? true,
		// Each event says how much of the prompt came from the cache, so a stream closed early knows it.
		timings_per_token: true,
	};
	if (r.bannedTokens && r.bannedTokens.length > 0) body.logit_bias = r.bannedTokens.map((id) => [id, false]);
	return body;
}

/** The sampler settings that switch off what llama-server adds by default; a repetition penalty only when asked for. */
function samplerOff(repetitionPenalty = 1): Record<string, unknown> {
	const penalize = repetitionPenalty !== 1;
	return {
		samplers: penalize ? ['penalties', 'top_k', 'top_p', 'temperature'] : ['top_k', 'top_p', 'temperature'],
		min_p: 0,
		typical_p: 1,
		repeat_penalty: repetitionPenalty,
		repeat_last_n: penalize ? 64 : 0,
		presence_penalty: 0,
		frequency_penalty: 0,
		dry_multiplier: 0,
		xtc_probability: 0,
		mirostat: 0,
	};
}

interface ParsedChunk {
	tokens: RemoteToken[];
	/** With `timings_per_token`, every event has these. */
	prompt?: { promptTokens?: number; cachedTokens?: number };
	final?: { reason: 'stop' | 'length'; promptTokens?: number; cachedTokens?: number };
}

/** One server-sent event of a /completion stream. */
export function parseChunk(conn: Connection, data: string): ParsedChunk {
	const json = streamEvent(conn, data, 'event');
	const content = json.content;
	if (typeof content !== 'string') throw malformed(conn.ctx, 'an event without "content"');
	const ids = Array.isArray(json.tokens) ? json.tokens.filter((t): t is number => Number.isInteger(t)) : [];
	const probs = Array.isArray(json.completion_probabilities) ? json.completion_probabilities : [];
	const tokens: RemoteToken[] = [];
	// One token per event, except where the server held tokens back (stop-string prefixes,
	// incomplete UTF-8): then the text goes with the last token and the others report ''.
	const count = Math.max(ids.length, probs.length, content ? 1 : 0);
	for (let i = 0; i < count; i++) {
		const p = probs[i];
		const step = isRecord(p) ? p : undefined;
		const id = ids[i] ?? (typeof step?.id === 'number' ? step.id : undefined);
		const token: RemoteToken = {
			text: i === count - 1 ? content : '',
			logprob: step ? logprobOf(step) : null,
			top: step ? alternatives(step) : [],
		};
		if (id !== undefined) token.id = id;
		tokens.push(token);
	}
	const prompt: ParsedChunk['prompt'] = {};
	if (typeof json.tokens_evaluated === 'number') prompt.promptTokens = json.tokens_evaluated;
	if (isRecord(json.timings) && typeof json.timings.cache_n === 'number') prompt.cachedTokens = json.timings.cache_n;
	if (json.stop !== true) return prompt.cachedTokens === undefined ? { tokens } : { tokens, prompt };
	const final: ParsedChunk['final'] = { reason: json.stop_type === 'limit' ? 'length' : 'stop' };
	if (typeof json.tokens_evaluated === 'number') final.promptTokens = json.tokens_evaluated;
	// `tokens_cached` counts the whole cache after generating; `timings.cache_n` is the prompt's reused part.
	if (isRecord(json.timings) && typeof json.timings.cache_n === 'number') final.cachedTokens = json.timings.cache_n;
	return { tokens, final };
}

/** `logprob`, or the log of `prob` (post-sampling and older servers). */
function logprobOf(step: Record<string, unknown>): number | null {
	if (typeof step.logprob === 'number') return step.logprob;
	if (typeof step.prob === 'number') return Math.log(step.prob);
	return null;
}

function alternatives(step: Record<string, unknown>): RemoteAlternative[] {
	const list = Array.isArray(step.top_logprobs) ? step.top_logprobs : Array.isArray(step.top_probs) ? step.top_probs : Array.isArray(step.probs) ? step.probs : [];
	const out: RemoteAlternative[] = [];
	for (const item of list) {
		if (!isRecord(item)) continue;
		const logprob = logprobOf(item);
		const text = typeof item.token === 'string' ? item.token : typeof item.tok_str === 'string' ? item.tok_str : undefined;
		if (logprob === null || text === undefined) continue;
		const alt: RemoteAlternative = { text, logprob };
		if (typeof item.id === 'number') alt.id = item.id;
		out.push(alt);
	}
	return out;
}
