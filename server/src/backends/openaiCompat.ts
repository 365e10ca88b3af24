/**
 * Any OpenAI-compatible server's legacy `/v1/completions` (vLLM, llama-server,
 * LM Studio, TGI, Ollama's `/v1`): GET models for the model, a streamed POST
 * completions with the FIM template already applied to `prompt`. `suffix` is
 * never sent: vLLM drops it silently, llama.cpp rejects it, TGI answers 422.
 * Only standard fields go out, plus `top_k` when a cut is asked for (vLLM and
 * llama-server read it; the others ignore it).
 */
import { BackendError, malformed, streamCut, unsupported } from './backendError';
import { connect, isRecord, readJson, send, sseData, streamEvent, type Connection } from './http';
import { chatChoiceTokens, choiceTokens, ShapeError } from './openaiLogprobs';
import type { RemoteChatRequest, RemoteClient, RemoteEndpoint, RemoteRequest, RemoteServerInfo, RemoteStream, RemoteToken } from './remoteClient';
import { TokenStream } from './tokenStream';

export class OpenAiCompatClient implements RemoteClient {
	readonly kind = 'openai';
	readonly acceptsTokenIds = false;
	private readonly conn: Connection;
	private readonly model: string | undefined;

	constructor(endpoint: RemoteEndpoint) {
		// Users write the base with or without /v1 (clients document both); requests go below /v1/.
		const url = endpoint.url.replace(/\/+$/, '');
		this.conn = connect('openai', { ...endpoint, url: /\/v1$/.test(url) ? url : `${url}/v1` });
		this.model = endpoint.model || undefined;
	}

	/** The configured model if the server lists it, else the server's only model. */
	async info(signal: AbortSignal): Promise<RemoteServerInfo> {
		const json = await readJson(this.conn, await send(this.conn, 'GET', 'models', undefined, signal));
		if (!isRecord(json) || !Array.isArray(json.data)) throw malformed(this.conn.ctx, 'the model list has no "data"');
		const models = json.data.filter(isRecord).filter((m) => typeof m.id === 'string');
		const ids = models.map((m) => m.id as string);
		const chosen = this.model ? models.find((m) => m.id === this.model) : models.length === 1 ? models[0] : undefined;
		if (!chosen) {
			const served = ids.length > 0 ? `it serves ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}` : 'it lists no models';
			const what = this.model ? `does not serve model "${this.model}"` : 'serves several models: set the model name';
			throw new BackendError('not-found', `OpenAI-compatible server at ${this.conn.ctx.origin} ${what} (${served}).`);
		}
		const info: RemoteServerInfo = { kind: 'openai', model: chosen.id as string, logprobs: true };
		// vLLM: max_model_len; llama-server: meta.n_ctx.
		const meta = isRecord(chosen.meta) ? chosen.meta : {};
		const context = typeof chosen.max_model_len === 'number' ? chosen.max_model_len : meta.n_ctx;
		if (typeof context === 'number') info.contextLength = context;
		if (typeof meta.n_vocab === 'number') info.vocabSize = meta.n_vocab;
		return info;
	}

	stream(request: RemoteRequest, signal: AbortSignal): RemoteStream {
		const conn = this.conn;
		if (typeof request.prompt !== 'string') {
			return new TokenStream(async function* () {
				throw unsupported(conn.ctx, 'an OpenAI-compatible backend takes the prompt as text, not token ids');
			});
		}
		return openAiStream(conn, 'completions', completionsBody(request, this.model), choiceTokens, signal);
	}

	chat(request: RemoteChatRequest, signal: AbortSignal): RemoteStream {
		return openAiStream(this.conn, 'chat/completions', chatBody(request, this.model), chatChoiceTokens, signal);
	}
}

/**
 * A streamed OpenAI-style completion at `path` below the connection's base: server-sent events
 * of `{choices: [...]}` up to `[DONE]`, each choice read by `tokensOf`. Shared by
 * `/v1/completions` and `/v1/chat/completions`, and by llama-server's chat endpoint.
 */
export function openAiStream(
	conn: Connection,
	path: string,
	body: Record<string, unknown>,
	tokensOf: (choice: Record<string, unknown>) => RemoteToken[],
	signal: AbortSignal,
): RemoteStream {
	return new TokenStream(async function* (end) {
		const reply = await send(conn, 'POST', path, body, signal);
		let finish: 'stop' | 'length' | undefined;
		const usage: { promptTokens?: number; cachedTokens?: number } = {};
		for await (const data of sseData(conn, reply.body)) {
			if (data.trim() === '[DONE]') {
				finish ??= 'stop';
				break;
			}
			const json = streamEvent(conn, data, 'event');
			if (isRecord(json.usage)) Object.assign(usage, readUsage(json.usage));
			const choices = Array.isArray(json.choices) ? json.choices : [];
			for (const choice of choices) {
				if (!isRecord(choice)) throw malformed(conn.ctx, 'a choice that is not an object');
				try {
					yield* tokensOf(choice);
				} catch (err) {
					if (err instanceof ShapeError) throw malformed(conn.ctx, err.message, err);
					throw err;
				}
				if (typeof choice.finish_reason === 'string') finish = choice.finish_reason === 'length' ? 'length' : 'stop';
			}
		}
		// [DONE] ends a stream; a finish_reason before the end is enough for servers that leave it out.
		if (!finish) throw streamCut(conn.ctx);
		end({ reason: finish, ...usage });
	});
}

/** OpenAI `usage`: prompt_tokens, and prompt_tokens_details.cached_tokens where the server reports its prefix cache (vLLM, llama-server). */
function readUsage(usage: Record<string, unknown>): { promptTokens?: number; cachedTokens?: number } {
	const out: { promptTokens?: number; cachedTokens?: number } = {};
	if (typeof usage.prompt_tokens === 'number') out.promptTokens = usage.prompt_tokens;
	const details = usage.prompt_tokens_details;
	if (isRecord(details) && typeof details.cached_tokens === 'number') out.cachedTokens = details.cached_tokens;
	return out;
}

export function completionsBody(r: RemoteRequest, model: string | undefined): Record<string, unknown> {
	const body = samplingFields(r, model, { prompt: r.prompt });
	if (r.topLogprobs > 0) body.logprobs = r.topLogprobs;
	return body;
}

/** A `/v1/chat/completions` body: the same sampling fields, logprobs in the chat form (`logprobs: true`, `top_logprobs`). */
export function chatBody(r: RemoteChatRequest, model: string | undefined): Record<string, unknown> {
	const body = samplingFields(r, model, { messages: r.messages.map((m) => ({ role: m.role, content: m.content })) });
	if (r.topLogprobs > 0) {
		body.logprobs = true;
		body.top_logprobs = r.topLogprobs;
	}
	return body;
}

/** The fields both bodies share: `input` (prompt or messages), then sampling, stop strings and banned tokens. */
function samplingFields(r: RemoteRequest | RemoteChatRequest, model: string | undefined, input: Record<string, unknown>): Record<string, unknown> {
	const body: Record<string, unknown> = { ...input, max_tokens: r.maxTokens, temperature: r.temperature, top_p: r.topP, seed: r.seed, stream: true };
	if (model) body.model = model;
	if (r.topK > 0) body.top_k = r.topK;
	if (r.stop.length > 0) body.stop = [...r.stop];
	if (r.bannedTokens && r.bannedTokens.length > 0) body.logit_bias = Object.fromEntries(r.bannedTokens.map((id) => [String(id), -100]));
	return body;
}
