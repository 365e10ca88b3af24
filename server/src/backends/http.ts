/**
 * HTTP for the server clients: Node's fetch with the caller's AbortSignal, a
 * deadline for the answer and for every silence in a streamed body, one typed
 * error for every way a request can fail, and the two streaming formats the
 * servers use: server-sent events (eventsource-parser) and newline-delimited
 * JSON (@streamparser/json). Leaving a body's iteration early aborts the
 * request, which closes the connection, and the server sees the client go.
 */
import { JSONParser } from '@streamparser/json';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import {
	at,
	BackendError,
	cancelled,
	errorForStatus,
	malformed,
	networkError,
	quoteServer,
	streamCut,
	timedOut,
	unsupported,
	type ErrorContext,
} from './backendError';
import { DEFAULT_TIMEOUTS, type RemoteEndpoint, type RemoteTimeouts, type ServerKind } from './remoteClient';

/** A configured server: where it is and how to talk to it. */
export interface Connection {
	readonly ctx: ErrorContext;
	/** Base URL ending in '/', so relative paths resolve below it. */
	readonly base: URL;
	readonly apiKey: string | undefined;
	readonly timeouts: RemoteTimeouts;
}

export function connect(server: ServerKind, endpoint: RemoteEndpoint): Connection {
	let url: URL;
	try {
		url = new URL(endpoint.url);
	} catch {
		throw new BackendError('unsupported', `The ${server} server URL "${endpoint.url}" is not a URL.`);
	}
	const ctx: ErrorContext = { server, origin: url.origin, model: endpoint.model };
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		throw unsupported(ctx, 'the server URL must start with http:// or https://');
	}
	if (url.username || url.password) {
		throw unsupported(ctx, 'put the API key in "Glassbox: Set Server API Key", not in the URL');
	}
	url.search = '';
	url.hash = '';
	if (!url.pathname.endsWith('/')) url.pathname += '/';
	return {
		ctx,
		base: url,
		apiKey: endpoint.apiKey || undefined,
		timeouts: { ...DEFAULT_TIMEOUTS, ...endpoint.timeouts },
	};
}

/** A response with a 2xx status, and its body as chunks under the stall deadline. */
export interface Reply {
	readonly status: number;
	readonly headers: Headers;
	/** Iterate once. Ending early aborts the request. */
	readonly body: AsyncIterable<Uint8Array>;
}

/**
 * Sends one request. Resolves once the headers of a 2xx answer arrived; any other status
 * rejects with the error for it, quoting the server's error message.
 */
export async function send(
	conn: Connection,
	method: 'GET' | 'POST',
	path: string,
	body: unknown,
	signal: AbortSignal,
): Promise<Reply> {
	const { ctx, timeouts } = conn;
	if (signal.aborted) throw cancelled(ctx);
	const abort = new AbortController();
	const onCancel = () => abort.abort(cancelled(ctx));
	signal.addEventListener('abort', onCancel, { once: true });
	const release = () => signal.removeEventListener('abort', onCancel);
	const headers: Record<string, string> = { Accept: 'application/json, text/event-stream, application/x-ndjson' };
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	if (conn.apiKey) headers.Authorization = `Bearer ${conn.apiKey}`;

	const answerTimer = setTimeout(() => abort.abort(timedOut(ctx, timeouts.firstByteMs, 'answer')), timeouts.firstByteMs);
	let response: Response;
	try {
		response = await fetch(new URL(path, conn.base), {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			signal: abort.signal,
			// A redirect could carry the user's code somewhere they did not configure.
			redirect: 'manual',
		});
	} catch (err) {
		clearTimeout(answerTimer);
		release();
		throw abortReason(abort) ?? networkError(ctx, err);
	}
	clearTimeout(answerTimer);
	const chunks = bodyChunks(response, abort, conn, release);
	if (response.status < 200 || response.status > 299) {
		let detail = '';
		try {
			detail = errorText(await readText(chunks));
		} catch (err) {
			if (err instanceof BackendError && err.kind === 'cancelled') throw err;
			// The status says enough without the body.
		}
		throw errorForStatus(ctx, response.status, detail);
	}
	return { status: response.status, headers: response.headers, body: chunks };
}

/** The reason the request's own controller was aborted with, when it was (a cancel or a deadline). */
function abortReason(abort: AbortController): BackendError | undefined {
	return abort.signal.aborted && abort.signal.reason instanceof BackendError ? abort.signal.reason : undefined;
}

async function* bodyChunks(response: Response, abort: AbortController, conn: Connection, release: () => void): AsyncGenerator<Uint8Array> {
	const { ctx, timeouts } = conn;
	if (!response.body) {
		release();
		return;
	}
	const reader = response.body.getReader();
	let finished = false;
	// The first chunk may wait for the whole prompt to be processed.
	let first = true;
	try {
		for (;;) {
			const limit = first ? timeouts.firstByteMs : timeouts.idleMs;
			const timer = setTimeout(() => abort.abort(timedOut(ctx, limit, first ? 'answer' : 'stream')), limit);
			let read: Awaited<ReturnType<typeof reader.read>>;
			try {
				read = await reader.read();
			} catch (err) {
				throw abortReason(abort) ?? readError(ctx, err);
			} finally {
				clearTimeout(timer);
			}
			if (read.done) {
				finished = true;
				return;
			}
			first = false;
			yield read.value;
		}
	} finally {
		release();
		// Closes the connection when the caller stops early; the server notices and stops generating.
		if (!finished) abort.abort(cancelled(ctx));
		reader.releaseLock();
	}
}

function readError(ctx: ErrorContext, err: unknown): BackendError {
	const e = networkError(ctx, err);
	// A body that breaks off after the headers: the server went away mid-answer.
	return e.kind === 'malformed' ? e : streamCut(ctx, err);
}

export async function readText(chunks: AsyncIterable<Uint8Array>): Promise<string> {
	const decoder = new TextDecoder();
	let text = '';
	for await (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
	return text + decoder.decode();
}

/** A whole JSON body. */
export async function readJson(conn: Connection, reply: Reply): Promise<unknown> {
	const text = await readText(reply.body);
	try {
		return JSON.parse(text);
	} catch (err) {
		throw malformed(conn.ctx, `not JSON (${describe(text)})`, err);
	}
}

/** The message inside a server's error body: OpenAI/llama.cpp `{error: {message}}`, Ollama `{error: "..."}`, TGI `{error, error_type}`, FastAPI `{detail}`. */
export function errorText(body: string): string {
	try {
		const json = JSON.parse(body) as Record<string, unknown>;
		const error = json.error;
		if (typeof error === 'string') return error;
		if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') {
			return (error as { message: string }).message;
		}
		if (typeof json.message === 'string') return json.message;
		if (typeof json.detail === 'string') return json.detail;
		if (json.detail !== undefined) return JSON.stringify(json.detail);
	} catch {
		// Not JSON: plain text or an HTML error page.
	}
	return /^\s*</.test(body) ? '' : body;
}

/** A short, printable excerpt of what a server sent, for malformed-answer messages. */
export function describe(text: string): string {
	const t = text.trim();
	if (!t) return 'an empty body';
	const head = t.slice(0, 40).replace(/[^\x20-\x7e]/g, '?');
	return `it began "${head}${t.length > 40 ? '...' : ''}"`;
}

/** The `data` of each server-sent event, in order; comments (keep-alive pings) are skipped. */
export async function* sseData(conn: Connection, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
	const events: EventSourceMessage[] = [];
	let parseError: Error | undefined;
	const parser = createParser({
		onEvent: (event) => events.push(event),
		onError: (err) => {
			parseError ??= err;
		},
	});
	const decoder = new TextDecoder();
	for await (const chunk of chunks) {
		parser.feed(decoder.decode(chunk, { stream: true }));
		if (parseError) throw malformed(conn.ctx, `a broken event stream (${parseError.message})`, parseError);
		while (events.length > 0) yield events.shift()!.data;
	}
}

/** Each JSON value of a newline-delimited JSON body, in order. */
export async function* ndjsonValues(conn: Connection, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
	const values: unknown[] = [];
	const parser = new JSONParser({ separator: '', paths: ['$'], keepStack: false });
	parser.onValue = ({ value }) => {
		values.push(value);
	};
	for await (const chunk of chunks) {
		try {
			parser.write(chunk);
		} catch (err) {
			throw malformed(conn.ctx, `a line that is not JSON (${err instanceof Error ? err.message : String(err)})`, err);
		}
		while (values.length > 0) yield values.shift();
	}
}

/**
 * One event of a streamed answer as a JSON object: `data` is an SSE event's
 * text (parsed here) or an NDJSON line's value. An `{error}` event (llama.cpp
 * and OpenAI-compatible servers: `{error: {message}}`; Ollama: `{error: "..."}`)
 * is the server's failure mid-stream and throws a server-error with its message.
 * @throws BackendError `malformed` for text that is not JSON or a value that is not an object.
 */
export function streamEvent(conn: Connection, data: string | unknown, what: 'event' | 'line'): Record<string, unknown> {
	let json = data;
	if (typeof data === 'string') {
		try {
			json = JSON.parse(data);
		} catch (err) {
			throw malformed(conn.ctx, `an ${what} that is not JSON`, err);
		}
	}
	if (!isRecord(json)) throw malformed(conn.ctx, `${what === 'event' ? 'an event' : 'a line'} that is not an object`);
	if (json.error !== undefined) {
		const e = json.error;
		const message = isRecord(e) && typeof e.message === 'string' ? e.message : typeof e === 'string' ? e : JSON.stringify(e);
		throw new BackendError('server-error', `${at(conn.ctx)} failed while generating: ${quoteServer(message)}.`);
	}
	return json;
}

/** A parsed JSON value's field, checked: the shapes servers send are data, never trusted. */
export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
