/**
 * What the commands and the inspector panel need from the language server,
 * independent of the client's lifecycle (the server may restart underneath).
 * Implemented by ServerConnection in languageClient.ts.
 */
import type * as vscode from 'vscode';
import type {
	AttentionLayerData,
	GenerationKind,
	GenerationRecord,
	SamplingOptions,
	TokenStep,
} from '../../protocol/generation';
import type { ModelStatus, TextTaskInput, TextTaskResult } from '../../protocol/lsp';

export type StepListener = (steps: TokenStep[]) => void;

export interface GenerationBackend {
	/** Latest model status from the server (undefined before the first report). */
	readonly status: ModelStatus | undefined;
	readonly onDidChangeStatus: vscode.Event<ModelStatus>;
	/** Prompt the model; `onSteps` sees each streamed step before the promise resolves. */
	generate(
		prompt: string,
		sampling: SamplingOptions,
		onSteps: StepListener,
		token: vscode.CancellationToken,
	): Promise<GenerationRecord>;
	/** Summarize, explain or write a doc comment, streaming like generate. */
	runTask(input: TextTaskInput, onSteps: StepListener, token: vscode.CancellationToken): Promise<TextTaskResult>;
	/** One layer of a recent generation's attention (throws if the generation is gone). */
	attention(generationId: string, layer: number): Promise<AttentionLayerData>;
	/** The most recent inline completion, or null. */
	lastCompletion(): Promise<GenerationRecord | null>;
}

/** What commands use to show a generation in the inspector panel. */
export interface GenerationSink {
	push(steps: TokenStep[]): void;
	finish(record: GenerationRecord, note?: string): void;
	fail(message: string): void;
}

export interface InspectorApi {
	/** Reveal the panel with a generation that is starting; stream into the sink. */
	startGeneration(info: { title: string; kind: GenerationKind }): GenerationSink;
	/** Reveal the panel showing a finished generation. */
	showRecord(record: GenerationRecord, note?: string): void;
	/** Fetch the last inline completion from the server and show it. */
	inspectLastSuggestion(): Promise<void>;
	/** Reveal the panel. */
	open(): Promise<void>;
}
