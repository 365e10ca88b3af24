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
import type { AttentionLayerData, GenerationKind, GenerationRecord, SamplingOptions, TextTaskName, TokenStep } from './generation';

/**
 * `unavailable`: the inference server did not answer or refused (the message says why);
 * completions are empty meanwhile and every request tries the server again, so they come
 * back by themselves. `error`: the local model could not be loaded.
 */
export type ModelState = 'loading' | 'downloading' | 'ready' | 'generating' | 'unavailable' | 'error';

/** Which inference server answers, for the status bar. */
export interface ServerBackendStatus {
	kind: 'llama.cpp' | 'openai' | 'ollama';
	/** scheme://host:port of the server (never credentials or a path's query). */
	origin: string;
	/** The model the server reports ('' before it answered). */
	model: string;
	/** How prompts are tokenized: the server's tokenizer, the local one (same model), or an estimate from characters. */
	tokenizer: 'server' | 'local' | 'estimate' | '';
}
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
	/** Set when glassbox.backend is an inference server. */
	server?: ServerBackendStatus;
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

/**
 * What every text task reads. One shape for the three tasks, so the client
 * builds it once and the server validates it once.
 */
export interface TextTaskInput {
	task: TextTaskName;
	/** The selection or the whole file (summarize, explain), or the symbol's code, signature and body (docComment). */
	text: string;
	languageId: string;
	/** File name for the title and the prompt. */
	fileName: string;
	/** The documented symbol's name (docComment); '' for the other tasks. */
	symbolName: string;
}

export interface TextTaskParams extends TextTaskInput, PartialResultParams {}

/** Summarize, explain, or write the text of a documentation comment; streams like glassbox/generate. */
export const TextTaskRequest = new RequestType<TextTaskParams, TextTaskResult, void>('glassbox/textTask');

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
	/** Prompt tokens whose KV cache was taken over from an earlier generation (the pass worker's prefix reuse). */
	promptReused: number;
	/** Prompt tokens the model computed: promptTokens less promptReused (0 when cancelled before the first pass). */
	promptComputed: number;
	/** Bytes of KV cache parked for later prompts when this one started (bounded; 0 where none are parked). */
	parkedBytes: number;
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

/**
 * Server → client: the inference server's API key from VS Code's SecretStorage (null when none
 * is set). Asked when the server connects; the key is never in settings and never logged.
 */
export const ServerApiKeyRequest = new RequestType0<string | null, void>('glassbox/serverApiKey');

/**
 * Client → server: connect to the inference server again now (the user set or cleared the API
 * key, or chose Retry), rather than on the next request.
 */
export const ReconnectServerNotification = new NotificationType<Record<string, never>>('glassbox/reconnectServer');

// ---- Test hooks ----------------------------------------------------------------------------
// Served only when the client passes `testHooks: true` in initializationOptions (VS Code's
// client never does). They let a test hold a generation at a known model step, so that what
// the test does next (cancel, edit, send another request) happens at that step on a fast
// machine and on a slow one alike.

export interface HoldGenerationParams {
	/** Hold before this model step: 0 is the prompt's pass, n the pass that reads the n-th generated token. */
	step: number;
	/** Only a generation of this kind; any kind when absent. */
	kind?: GenerationKind;
}
/** Arm a one-shot hold for the next generation that reaches `step`. */
export const HoldGenerationRequest = new RequestType<HoldGenerationParams, void, void>('glassbox/test/holdGeneration');

export interface GenerationEventParams {
	/** held: the generation waits before `step`; cancelled: its cancellation arrived while it was held. */
	event: 'held' | 'cancelled';
	kind: GenerationKind;
	step: number;
}
export const GenerationEventNotification = new NotificationType<GenerationEventParams>('glassbox/test/generationEvent');

/** Let the held generation go on; false when none was held. */
export const ReleaseGenerationRequest = new RequestType0<boolean, void>('glassbox/test/releaseGeneration');

/**
 * Resolves once no completion generation runs or is about to start: after an answer the server
 * computes the state after accepting it in the background (the prefetch), and a test that counts
 * generations or parked caches waits for that to end first.
 */
export const CompletionsIdleRequest = new RequestType0<void, void>('glassbox/test/completionsIdle');

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
	/** The inference server failed (unreachable, refused the key, an error, a timeout); the message says how. */
	ServerFailed: -32006,
} as const;
