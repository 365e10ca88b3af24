/**
 * How text task results and failures read: cancellation is never an error,
 * server error codes become sentences, notes and previews.
 */
import * as assert from 'assert';
import { ResponseError } from 'vscode-languageserver-protocol';
import { ErrorCodes } from '../../protocol/lsp';
import { classifyTaskError, preview, taskNote } from '../../client/src/commands/taskOutcome';

/** What vscode.CancellationError looks like (its name is 'Canceled'). */
class CancellationError extends Error {
	constructor() {
		super('Canceled');
		this.name = 'Canceled';
	}
}

describe('taskOutcome', () => {
	it('treats every kind of cancellation as cancelled, not failed', () => {
		assert.deepStrictEqual(classifyTaskError(new ResponseError(-32800, 'Request got cancelled'), false, 'summarize'), { kind: 'cancelled' });
		assert.deepStrictEqual(classifyTaskError(new ResponseError(-32802, 'Server cancelled'), false, 'summarize'), { kind: 'cancelled' });
		assert.deepStrictEqual(classifyTaskError(new CancellationError(), false, 'summarize'), { kind: 'cancelled' });
		// Once the user pressed Cancel, whatever the request ends with is the cancellation.
		assert.deepStrictEqual(classifyTaskError(new Error('connection closed'), true, 'summarize'), { kind: 'cancelled' });
	});

	it('turns server errors into a message with their code', () => {
		assert.deepStrictEqual(classifyTaskError(new ResponseError(ErrorCodes.ModelUnavailable, 'Model file is corrupt.'), false, 'explain the selection'), {
			kind: 'failed',
			message: 'Glassbox could not explain the selection: the model is not available (Model file is corrupt).',
			code: ErrorCodes.ModelUnavailable,
		});
		assert.deepStrictEqual(classifyTaskError(new ResponseError(ErrorCodes.UnsupportedLanguage, 'No comment style for cobol'), false, 'write the documentation comment for f'), {
			kind: 'failed',
			message: 'Glassbox could not write the documentation comment for f: No comment style for cobol.',
			code: ErrorCodes.UnsupportedLanguage,
		});
		assert.deepStrictEqual(classifyTaskError(new Error('The Glassbox language server is not running.'), false, 'summarize'), {
			kind: 'failed',
			message: 'Glassbox could not summarize: The Glassbox language server is not running.',
			code: undefined,
		});
	});

	it('notes truncation and cache hits', () => {
		const truncated = { inputTokens: 2000, keptTokens: 768, message: 'Only the first 768 of 2000 tokens were used.' };
		assert.strictEqual(taskNote({ truncated, fromCache: false }), 'Only the first 768 of 2000 tokens were used.');
		assert.strictEqual(taskNote({ truncated: null, fromCache: true }), 'from cache');
		assert.strictEqual(taskNote({ truncated, fromCache: true }), 'Only the first 768 of 2000 tokens were used. · from cache');
		assert.strictEqual(taskNote({ truncated: null, fromCache: false }), undefined);
	});

	it('previews a long result on one line, cut at a word', () => {
		assert.strictEqual(preview('Short\n  text.'), 'Short text.');
		assert.strictEqual(preview('alpha beta gamma delta', 12), 'alpha beta…');
	});
});
