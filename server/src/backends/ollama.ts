/**
 * Ollama's native API (shapes from Ollama's docs/openapi.yaml and
 * docs/api/errors.mdx as of v0.33; log probabilities since v0.12.11):
 * GET /api/version, POST /api/show for the model's context length, and a
 * streamed POST /api/generate with `raw: true` (Glassbox applies the FIM
 * template, so Ollama's own template and `suffix` stay out of it). The stream
 * is newline-delimited JSON: `{response, done: false, logprobs?: [{token,
 * logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]}` per chunk, then
 * `{done: true, done_reason, prompt_eval_count, ...}`; an error after the
 * stream started comes as a line `{error: "..."}`. The commands of chat models
 * use POST /api/chat, whose lines carry `message: {role, content}` instead of
 * `response` (and the same `logprobs`).
 */
import { malformed, streamCut, unsupported } from './backendError';
import { connect, isRecord, readJson, send, ndjsonValues, streamEvent, type Connection, type Reply } from './http';
import { logprobTokens, ShapeError, spellText } from './openaiLogprobs';
import type {
	RemoteChatRequest,
	RemoteClient,
	RemoteEndpoint,
	RemoteFinish,
	RemoteRequest,
	RemoteServerInfo,
	RemoteStream,
	RemoteToken,
} from './remoteClient';
import { TokenStream } from './tokenStream';

/** The first Ollama release that returns log probabilities from /api/generate. */
export const OLLAMA_LOGPROBS_VERSION = '0.12.11';
/** Ollama's limit for top_logprobs. */
const MAX_TOP_LOGPROBS = 20;

export class OllamaClient implements RemoteClient {
	readonly kind = 'ollama';
	readonly acceptsTokenIds = false;
	private readonly conn: Connection;
	private readonly model: string | undefined;

	constructor(endpoint: RemoteEndpoint) {
		this.conn = connect('ollama', endpoint);
		this.model = endpoint.model || undefined;
	}

	async info(signal: AbortSignal): Promise<RemoteServerInfo> {
		const model = this.requireModel();
		const version = await readJson(this.conn, await send(this.conn, 'GET', 'api/version', undefined, signal));
		if (!isRecord(version) || typeof version.version !== 'string') throw malformed(this.conn.ctx, '/api/version has no "version"');
		const show = await readJson(this.conn, await send(this.conn, 'POST', 'api/show', { model }, signal));
		if (!isRecord(show)) throw malformed(this.conn.ctx, '/api/show is not an object');
		const info: RemoteServerInfo = {
			kind: 'ollama',
			model,
			version: version.version,
			logprobs: versionAtLeast(version.version, OLLAMA_LOGPROBS_VERSION),
		};
		// model_info keys are prefixed by the architecture: "llama.context_length", "qwen2.context_length"...
		const modelInfo = isRecord(show.model_info) ? show.model_info : {};
		const arch = modelInfo['general.architecture'];
		const context = typeof arch === 'string' ? modelInfo[`${arch}.context_length`] : undefined;
		if (typeof context === 'number') info.contextLength = context;
		return info;
	}

	stream(request: RemoteRequest, signal: AbortSignal): RemoteStream {
		const conn = this.conn;
		const requireModel = () => this.requireModel();
		return new TokenStream(async function* (end) {
			const model = requireModel();
			if (typeof request.prompt !== 'string') throw unsupported(conn.ctx, 'Ollama takes the prompt as text, not token ids');
			yield* ollamaLines(conn, await send(conn, 'POST', 'api/generate', generateBody(request, model), signal), (line) => line.response, end);
		});
	}

	/** /api/chat: the model's own chat template; lines carry `message: {role, content}` instead of `response`. */
	chat(request: RemoteChatRequest, signal: AbortSignal): RemoteStream {
		const conn = this.conn;
		const requireModel = () => this.requireModel();
		return new TokenStream(async function* (end) {
			const model = requireModel();
			const reply = await send(conn, 'POST', 'api/chat', chatRequestBody(request, model), signal);
			yield* ollamaLines(conn, reply, (line) => (isRecord(line.message) ? line.message.content : undefined), end);
		});
	}

	private requireModel(): string {
		if (!this.model) throw unsupported(this.conn.ctx, 'set the model name (as `ollama list` shows it)');
		return this.model;
	}
}

export function generateBody(r: RemoteRequest, model: string): Record<string, unknown> {
	return { model, prompt: r.prompt, raw: true, stream: true, ...optionsOf(r) };
}

/** An /api/chat body: the messages, and the same options as /api/generate. */
export function chatRequestBody(r: RemoteChatRequest, model: string): Record<string, unknown> {
	return { model, messages: r.messages.map((m) => ({ role: m.role, content: m.content })), stream: true, ...optionsOf(r) };
}

function optionsOf(r: RemoteChatRequest | RemoteRequest): Record<string, unknown> {
	const options: Record<string, unknown> = {
		num_predict: r.maxTokens,
		temperature: r.temperature,
		top_k: r.topK,
		top_p: r.topP,
		seed: r.seed,
		// Ollama's defaults add min-p and a repetition penalty; the caller's distribution is the model's.
		min_p: 0,
		repeat_penalty: r.repetitionPenalty ?? 1,
	};
	if (r.stop.length > 0) options.stop = [...r.stop];
	const fields: Record<string, unknown> = { options };
	if (r.topLogprobs > 0) {
		fields.logprobs = true;
		fields.top_logprobs = Math.min(r.topLogprobs, MAX_TOP_LOGPROBS);
	}
	return fields;
}

/** The tokens of a newline-delimited JSON stream, up to its `done: true` line; `textOf` finds a line's text. */
async function* ollamaLines(
	conn: Connection,
	reply: Reply,
	textOf: (line: Record<string, unknown>) => unknown,
	end: (finish: RemoteFinish) => void,
): AsyncGenerator<RemoteToken> {
	for await (const value of ndjsonValues(conn, reply.body)) {
		const line = streamEvent(conn, value, 'line');
		yield* lineTokens(conn, line, textOf(line));
		if (line.done === true) {
			const reason = line.done_reason === 'length' ? 'length' : 'stop';
			end(typeof line.prompt_eval_count === 'number' ? { reason, promptTokens: line.prompt_eval_count } : { reason });
			return;
		}
	}
	throw streamCut(conn.ctx);
}

/** The tokens of one stream line (Ollama's logprobs entries have the shape of OpenAI's logprobs.content[]). */
function lineTokens(conn: Connection, line: Record<string, unknown>, text: unknown): RemoteToken[] {
	// The last line of a chat may have an empty message, or none.
	if (text === undefined && line.done === true) return [];
	if (typeof text !== 'string') throw malformed(conn.ctx, `a line without "${'message' in line ? 'message.content' : 'response'}"`);
	try {
		return spellText(text, Array.isArray(line.logprobs) ? logprobTokens({ content: line.logprobs }) : []);
	} catch (err) {
		if (err instanceof ShapeError) throw malformed(conn.ctx, err.message, err);
		throw err;
	}
}

/** Compares dotted release numbers ("0.12.11" >= "0.12.9"); a pre-release suffix counts as that release. */
export function versionAtLeast(version: string, minimum: string): boolean {
	const parts = (v: string) => v.replace(/^v/, '').split(/[.-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
	const a = parts(version);
	const b = parts(minimum);
	for (let i = 0; i < 3; i++) {
		if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
	}
	return true;
}
