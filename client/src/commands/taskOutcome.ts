/**
 * How a finished or failed text task reads to the user: cancellation told
 * apart from failure, server error codes turned into sentences, the note
 * shown with a result. Pure (no `vscode` import) so it is unit tested.
 */
import { ErrorCodes, type TextTaskResult } from '../../../protocol/lsp';

/** LSP's codes for a request cancelled by the client or abandoned by the server. */
const REQUEST_CANCELLED = -32800;
const SERVER_CANCELLED = -32802;

export type TaskFailure = { kind: 'cancelled' } | { kind: 'failed'; message: string; code: number | undefined };

/**
 * Classifies what `runTask` threw. `cancelled` is whether the user pressed
 * Cancel: then any error is just the request winding down.
 */
export function classifyTaskError(error: unknown, cancelled: boolean, action: string): TaskFailure {
	const code = errorCode(error);
	if (cancelled || code === REQUEST_CANCELLED || code === SERVER_CANCELLED || isCancellationError(error)) {
		return { kind: 'cancelled' };
	}
	return { kind: 'failed', message: `Glassbox could not ${action}: ${describe(error, code)}`, code };
}

/** ResponseError from vscode-languageclient, or anything else with a numeric `code`. */
function errorCode(error: unknown): number | undefined {
	if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'number') {
		return error.code;
	}
	return undefined;
}

/** vscode.CancellationError, recognised by name so this file needs no `vscode` import. */
function isCancellationError(error: unknown): boolean {
	return error instanceof Error && error.name === 'Canceled';
}

function describe(error: unknown, code: number | undefined): string {
	const raw = error instanceof Error ? error.message : typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
	const message = raw.trim().replace(/\.$/, '') || 'unknown error';
	switch (code) {
		case ErrorCodes.ModelUnavailable:
			return `the model is not available (${message}).`;
		case ErrorCodes.NotText:
			return `the input is not text (${message}).`;
		default:
			return `${message}.`;
	}
}

/** The note shown with a result: the truncation message, and whether it came from the cache. */
export function taskNote(result: Pick<TextTaskResult, 'truncated' | 'fromCache'>): string | undefined {
	const notes = [result.truncated?.message, result.fromCache ? 'from cache' : undefined].filter((n): n is string => !!n);
	return notes.length > 0 ? notes.join(' · ') : undefined;
}

/** First part of a result for a notification: one line, cut at a word near `max` characters. */
export function preview(text: string, max = 240): string {
	const flat = text.replace(/\s+/g, ' ').trim();
	if (flat.length <= max) {
		return flat;
	}
	const cut = flat.lastIndexOf(' ', max);
	return `${flat.slice(0, cut > max / 2 ? cut : max)}…`;
}
