/**
 * The one error type the server clients throw, with a kind the caller can act
 * on and a message a user can read in the status bar and the log. Messages
 * name the server by its origin only (never a path's query, credentials in a
 * URL or the API key) and quote at most a short piece of the server's own
 * error text.
 */
import type { ServerKind } from './remoteClient';

export type BackendErrorKind =
	/** The caller's AbortSignal fired; not a failure to show. */
	| 'cancelled'
	/** Nothing listens at the address (ECONNREFUSED). */
	| 'refused'
	/** The host name does not resolve (ENOTFOUND, EAI_AGAIN). */
	| 'dns'
	/** TLS failed: bad or self-signed certificate, or TLS spoken to a plain HTTP port. */
	| 'tls'
	/** No route to the host or network. */
	| 'unreachable'
	/** The server closed the connection before it answered. */
	| 'closed'
	/** No answer, or a stalled stream, within RemoteTimeouts. */
	| 'timeout'
	/** 401 or 403: missing or wrong API key. */
	| 'unauthorized'
	/** 404: unknown model, or not this kind of server at this URL. */
	| 'not-found'
	/** 400 or 422: the server refused the request's parameters. */
	| 'rejected'
	/** 5xx, or an error object inside a stream. */
	| 'server-error'
	/** Another unexpected HTTP status (429, 3xx...). */
	| 'http'
	/** Not HTTP, not JSON, or JSON of the wrong shape. */
	| 'malformed'
	/** The stream ended without the server's end marker. */
	| 'stream-cut'
	/** The request needs something this server kind does not do (token-id prompts on OpenAI or Ollama). */
	| 'unsupported'
	/** The model has no fill-in-the-middle tokens. */
	| 'no-fim';

export const SERVER_LABELS: Record<ServerKind, string> = {
	'llama.cpp': 'llama.cpp server',
	openai: 'OpenAI-compatible server',
	ollama: 'Ollama server',
};

export class BackendError extends Error {
	override readonly name = 'BackendError';

	constructor(
		readonly kind: BackendErrorKind,
		/** One line for the status bar and log. */
		message: string,
		/** HTTP status, when there was a response. */
		readonly status?: number,
		options?: { cause?: unknown },
	) {
		super(message, options);
	}

	/** Whether trying again later may work without the user changing anything. */
	get transient(): boolean {
		return ['refused', 'unreachable', 'closed', 'timeout', 'server-error', 'stream-cut', 'dns', 'http'].includes(this.kind);
	}
}

/** Where a request went, for messages: the server's kind and its origin. */
export interface ErrorContext {
	server: ServerKind;
	/** scheme://host:port, without credentials or path. */
	origin: string;
	/** The model name, for 404 messages. */
	model?: string;
}

/** The server as messages name it: "llama.cpp server at http://127.0.0.1:8080". */
export function at(ctx: ErrorContext): string {
	return `${SERVER_LABELS[ctx.server]} at ${ctx.origin}`;
}

/** A server's own error text, shortened to one readable line. */
export function quoteServer(text: string): string {
	// One line, without a final full stop: the caller's sentence ends it.
	const line = text.replace(/\s+/g, ' ').trim().replace(/(?<!\.)\.$/, '');
	return line.length > 200 ? `${line.slice(0, 197)}...` : line;
}

/** The error for an HTTP status other than 2xx. `detail`: the server's error message, if it gave one. */
export function errorForStatus(ctx: ErrorContext, status: number, detail: string): BackendError {
	const said = detail ? `: ${quoteServer(detail)}` : '';
	if (status === 401 || status === 403) {
		return new BackendError('unauthorized', `${at(ctx)} refused the API key (HTTP ${status})${said}. Set it with "Glassbox: Set Server API Key".`, status);
	}
	if (status === 404) {
		const what = ctx.model ? `model "${ctx.model}" or the endpoint` : 'the endpoint';
		return new BackendError('not-found', `${at(ctx)} does not know ${what} (HTTP 404)${said}. Check the server URL and model name.`, status);
	}
	if (status === 400 || status === 422) {
		return new BackendError('rejected', `${at(ctx)} rejected the request (HTTP ${status})${said}.`, status);
	}
	if (status >= 500) {
		return new BackendError('server-error', `${at(ctx)} failed (HTTP ${status})${said}.`, status);
	}
	return new BackendError('http', `${at(ctx)} answered HTTP ${status}${said}.`, status);
}

export function malformed(ctx: ErrorContext, what: string, cause?: unknown): BackendError {
	const label = SERVER_LABELS[ctx.server];
	return new BackendError('malformed', `${at(ctx)} sent a malformed answer: ${what}. Is this ${/^[aeiou]/i.test(label) ? 'an' : 'a'} ${label}?`, undefined, { cause });
}

export function streamCut(ctx: ErrorContext, cause?: unknown): BackendError {
	return new BackendError('stream-cut', `${at(ctx)} closed the stream before the completion ended.`, undefined, { cause });
}

export function timedOut(ctx: ErrorContext, ms: number, phase: 'answer' | 'stream'): BackendError {
	const what = phase === 'answer' ? 'did not answer' : 'stopped sending';
	return new BackendError('timeout', `${at(ctx)} ${what} within ${(ms / 1000).toFixed(ms < 1000 ? 1 : 0)} s.`);
}

export function cancelled(ctx: ErrorContext): BackendError {
	return new BackendError('cancelled', `Request to ${at(ctx)} cancelled.`);
}

export function unsupported(ctx: ErrorContext, what: string): BackendError {
	return new BackendError('unsupported', `${at(ctx)}: ${what}.`);
}

/** Error codes of the whole cause chain (fetch wraps socket errors; AggregateError holds one per address tried). */
function codes(err: unknown, depth = 0): string[] {
	if (!err || typeof err !== 'object' || depth > 4) return [];
	const out: string[] = [];
	const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
	if (typeof e.code === 'string') out.push(e.code);
	out.push(...codes(e.cause, depth + 1));
	if (Array.isArray(e.errors)) for (const inner of e.errors) out.push(...codes(inner, depth + 1));
	return out;
}

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(GET|VERIFY)_|HOSTNAME_MISMATCH$)/;

/** The error for a request that got no (complete) HTTP response: Node's fetch rejects with TypeError('fetch failed') and the socket error as its cause. */
export function networkError(ctx: ErrorContext, err: unknown): BackendError {
	if (err instanceof BackendError) return err;
	const all = codes(err);
	const has = (...c: string[]) => all.some((x) => c.includes(x));
	if (has('ECONNREFUSED')) {
		return new BackendError('refused', `Nothing answers at ${ctx.origin}: is the ${SERVER_LABELS[ctx.server]} running?`, undefined, { cause: err });
	}
	if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL')) {
		const host = safeHost(ctx.origin);
		return new BackendError('dns', `The host name "${host}" of the ${SERVER_LABELS[ctx.server]} does not resolve (DNS).`, undefined, { cause: err });
	}
	if (all.some((c) => TLS_CODES.test(c))) {
		return new BackendError('tls', `TLS with ${at(ctx)} failed (${all.find((c) => TLS_CODES.test(c))}): check the certificate, or use http:// if the server does not speak TLS.`, undefined, { cause: err });
	}
	if (has('EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL')) {
		return new BackendError('unreachable', `${at(ctx)} cannot be reached (no route to host).`, undefined, { cause: err });
	}
	if (has('ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT')) {
		return new BackendError('timeout', `${at(ctx)} did not accept the connection in time.`, undefined, { cause: err });
	}
	if (all.some((c) => c.startsWith('HPE_'))) {
		return malformed(ctx, 'not an HTTP response', err);
	}
	if (has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED')) {
		return new BackendError('closed', `${at(ctx)} closed the connection without answering.`, undefined, { cause: err });
	}
	const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
	return new BackendError('unreachable', `${at(ctx)} cannot be reached: ${quoteServer(why)}.`, undefined, { cause: err });
}

function safeHost(origin: string): string {
	try {
		return new URL(origin).hostname;
	} catch {
		return origin;
	}
}
