/**
 * Every custom message between the extension and the language server, declared
 * once with its parameter and result types. Inline completions use the
 * standard LSP 3.18 `textDocument/inlineCompletion` request and are not here.
 *
 * Streaming: requests that generate text accept a `partialResultToken`; the
 * server reports each decoded step on it as a `GenerationChunk` through
 * `$/progress` before the final result arrives.
 */
import {
	NotificationType,
	PartialResultParams,
	ProgressType,
	RequestType,
	RequestType0,
} from 'vscode-languageserver-protocol';
import type { AttentionLayerData, GenerationRecord, SamplingOptions, TokenStep } from './generation';

export type ModelState = 'loading' | 'downloading' | 'ready' | 'generating' | 'error';

export interface ModelStatus {
	state: ModelState;
	/** The model setting's value ('embedded', a hub id or a folder). */
	model: string;
	/** What the status bar shows: a short name. */
	label: string;
	/** Device the model actually runs on (after any fallback). */
	device: string;
	dtype: string;
	/** Human-readable detail: the error, a device fallback, download progress. */
	message?: string;
	/** Download progress, 0..1, while state is 'downloading'. */
	progress?: number;
	/** Whether the export has attention outputs the panel can show. */
	hasAttention: boolean;
	/** Whether the model has fill-in-the-middle tokens. */
	fim: boolean;
	contextLength: number;
}

/** Server → client: the model's state changed. */
export const ModelStatusNotification = new NotificationType<ModelStatus>('glassbox/modelStatus');

/** Streamed piece of a generation. */
export interface GenerationChunk {
	steps: TokenStep[];
}
export const GenerationProgress = new ProgressType<GenerationChunk>();

/** Prompt the model directly (the sidebar panel). */
export interface GenerateParams extends PartialResultParams {
	prompt: string;
	sampling: SamplingOptions;
}
export const GenerateRequest = new RequestType<GenerateParams, GenerationRecord, void>('glassbox/generate');

/** A note shown with a task result when its input was cut to fit the token budget. */
export interface TruncationNote {
	inputTokens: number;
	keptTokens: number;
	message: string;
}

export interface TextTaskResult {
	/** The text to show or insert (for doc comments: the comment's content, unformatted). */
	text: string;
	record: GenerationRecord;
	truncated: TruncationNote | null;
	fromCache: boolean;
}

export interface SummarizeParams extends PartialResultParams {
	text: string;
	languageId: string;
	/** File name for the title and the prompt; not read by the server. */
	fileName: string;
}
export const SummarizeRequest = new RequestType<SummarizeParams, TextTaskResult, void>('glassbox/summarize');

export interface ExplainParams extends PartialResultParams {
	text: string;
	languageId: string;
	fileName: string;
}
export const ExplainRequest = new RequestType<ExplainParams, TextTaskResult, void>('glassbox/explain');

export interface DocCommentParams extends PartialResultParams {
	/** Full text of the function, method or class (signature and body). */
	code: string;
	languageId: string;
	fileName: string;
	/** Name of the symbol, for the prompt and the title. */
	symbolName: string;
}
export const DocCommentRequest = new RequestType<DocCommentParams, TextTaskResult, void>('glassbox/docComment');

/** One layer of a recent generation's attention, on demand. */
export interface AttentionParams {
	generationId: string;
	layer: number;
}
export const AttentionRequest = new RequestType<AttentionParams, AttentionLayerData, void>('glassbox/attention');

/** The most recent inline completion, for "Inspect last suggestion" (null if none yet). */
export const LastCompletionRequest = new RequestType0<GenerationRecord | null, void>('glassbox/lastCompletion');

export interface GenerationStats {
	id: string;
	kind: GenerationRecord['kind'];
	stopReason: GenerationRecord['stopReason'];
	promptTokens: number;
	generatedTokens: number;
	/** Forward passes of the model (the prompt's pass included). */
	modelSteps: number;
	/** Model steps that ran after cancellation was requested (the step in flight counts). */
	stepsAfterCancel: number | null;
	elapsedMs: number;
	/** Time to the first generated token (prefill included). */
	firstTokenMs: number;
}

export interface EngineStats {
	status: ModelStatus;
	generations: number;
	cancelled: number;
	/** Most recent first, at most 20. */
	recent: GenerationStats[];
}
/** Counters for the status bar tooltip, the benchmarks and the tests. */
export const EngineStatsRequest = new RequestType0<EngineStats, void>('glassbox/engineStats');

/** Server → client: ask the user before downloading a hub model. */
export interface ConfirmDownloadParams {
	model: string;
	/** The host it comes from: huggingface.co, or the mirror HF_ENDPOINT names. */
	host?: string;
}
export const ConfirmDownloadRequest = new RequestType<ConfirmDownloadParams, boolean, void>('glassbox/confirmDownload');

/** Error codes the server uses in ResponseErrors, so the client can tell them apart. */
export const ErrorCodes = {
	/** No model is loaded (missing, corrupt, still loading). */
	ModelUnavailable: -32001,
	/** The document is not open on the server. */
	UnknownDocument: -32002,
	/** The position is outside the document. */
	BadPosition: -32003,
	/** The doc generator has no comment style for this language. */
	UnsupportedLanguage: -32004,
	/** The input is not text (binary content). */
	NotText: -32005,
} as const;
