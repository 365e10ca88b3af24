/**
 * Runs one text task the way every command does: a cancellable progress
 * notification whose Cancel reaches the server, steps streamed into the
 * inspector panel as they arrive, and one outcome to act on.
 */
import * as vscode from 'vscode';
import type { GenerationBackend, GenerationSink, InspectorApi } from '../backend';
import type { TextTaskInput, TextTaskResult } from '../../../protocol/lsp';
import { classifyTaskError, type TaskFailure, taskNote } from './taskOutcome';

export type TaskOutcome = { kind: 'done'; result: TextTaskResult; note: string | undefined } | TaskFailure;

export interface TaskRequest {
	input: TextTaskInput;
	/** Title in the inspector panel, e.g. "Summary of app.ts". */
	title: string;
	/** Title of the progress notification. */
	progressTitle: string;
	/** What failed, for the error message: "summarize", "explain the selection". */
	action: string;
}

/** How often the notification's token count may change (it repaints on every report). */
const REPORT_INTERVAL_MS = 250;

export function runTextTask(
	backend: GenerationBackend,
	inspector: InspectorApi,
	log: vscode.LogOutputChannel,
	request: TaskRequest,
): Thenable<TaskOutcome> {
	const options = { location: vscode.ProgressLocation.Notification, title: request.progressTitle, cancellable: true };
	return vscode.window.withProgress(options, async (progress, token): Promise<TaskOutcome> => {
		const sink = guardedSink(inspector, request, log);
		let tokens = 0;
		let reported = 0;
		const onSteps = (steps: Parameters<GenerationSink['push']>[0]): void => {
			sink.push(steps);
			tokens += steps.length;
			const now = Date.now();
			if (now - reported >= REPORT_INTERVAL_MS) {
				reported = now;
				progress.report({ message: `${tokens} token${tokens === 1 ? '' : 's'}` });
			}
		};
		const started = Date.now();
		try {
			// The connection answers a request it dropped (server restart) with no result at all.
			const result = (await backend.runTask(request.input, onSteps, token)) as TextTaskResult | null | undefined;
			if (token.isCancellationRequested) {
				if (result) {
					sink.finish(result.record, 'Cancelled');
				} else {
					sink.fail('Cancelled.');
				}
				log.info(`${request.input.task}: cancelled after ${tokens} tokens.`);
				return { kind: 'cancelled' };
			}
			if (!result) {
				throw new Error('the language server stopped before it answered');
			}
			const note = taskNote(result);
			sink.finish(result.record, note);
			log.info(
				`${request.input.task}: ${result.record.steps.length} tokens in ${Date.now() - started} ms` +
					` (${result.record.stopReason}${note ? `; ${note}` : ''}).`,
			);
			return { kind: 'done', result, note };
		} catch (e) {
			const outcome = classifyTaskError(e, token.isCancellationRequested, request.action);
			if (outcome.kind === 'cancelled') {
				sink.fail('Cancelled.');
				log.info(`${request.input.task}: cancelled.`);
			} else {
				sink.fail(outcome.message);
				log.error(`${request.input.task} failed${outcome.code !== undefined ? ` (code ${outcome.code})` : ''}: ${String(e)}`);
			}
			return outcome;
		}
	});
}

/** The panel is a teammate's view: a failure there is logged, and never stops the command. */
function guardedSink(inspector: InspectorApi, request: TaskRequest, log: vscode.LogOutputChannel): GenerationSink {
	let sink: GenerationSink | undefined;
	const guard = (what: string, f: () => void): void => {
		try {
			f();
		} catch (e) {
			log.warn(`Inspector panel: ${what} failed: ${String(e)}`);
		}
	};
	guard('startGeneration', () => {
		sink = inspector.startGeneration({ title: request.title, kind: request.input.task });
	});
	return {
		push: (steps) => guard('push', () => sink?.push(steps)),
		finish: (record, note) => guard('finish', () => sink?.finish(record, note)),
		fail: (message) => guard('fail', () => sink?.fail(message)),
	};
}
