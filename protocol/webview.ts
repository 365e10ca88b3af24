/**
 * Every message between the extension host and the inspector webview, declared
 * once (GitLens style): an IpcCommand is webview → host, an IpcNotification is
 * host → webview, an IpcRequest is webview → host with a reply notification
 * that names the request in `completionId`.
 *
 * Protocol rules:
 * - The webview posts `ReadyCommand` when its script has loaded; the host posts
 *   nothing before it (a hidden webview view is torn down and reloaded, so the
 *   handshake repeats on every show and the host answers with a full snapshot).
 * - Receivers check every message with the descriptor's `is()`, which also
 *   checks the shape of the params: the other side is a separate program.
 *
 * Bundled into the browser script, so it imports only from ./generation.
 */
import { clampSampling, type AttentionLayerData, type GenerationKind, type GenerationRecord, type SamplingOptions, type TokenStep } from './generation';

export interface IpcMessage<Params = unknown> {
	/** Unique per sender ('w1', 'w2' from the webview; 'h1' from the host). */
	id: string;
	method: string;
	params: Params;
	/** On a reply: the id of the request it answers. */
	completionId?: string;
}

type ParamsCheck<Params> = (value: unknown) => value is Params;

abstract class IpcDescriptor<Params> {
	constructor(
		readonly method: string,
		private readonly check: ParamsCheck<Params>,
	) {}

	/** True when `msg` is this message with well-formed params. */
	is(msg: unknown): msg is IpcMessage<Params> {
		return isIpcMessage(msg) && msg.method === this.method && this.check(msg.params);
	}
}

/** Webview → host, no reply. */
export class IpcCommand<Params> extends IpcDescriptor<Params> {
	readonly kind = 'command';
}

/** Host → webview. */
export class IpcNotification<Params> extends IpcDescriptor<Params> {
	readonly kind = 'notification';
}

/** Webview → host; the host answers with `response`, setting `completionId` to the request's id. */
export class IpcRequest<Params, Response> extends IpcDescriptor<Params> {
	readonly kind = 'request';
	readonly response: IpcNotification<Response>;

	constructor(method: string, check: ParamsCheck<Params>, checkResponse: ParamsCheck<Response>) {
		super(method, check);
		this.response = new IpcNotification<Response>(`${method}/response`, checkResponse);
	}
}

export function isIpcMessage(value: unknown): value is IpcMessage {
	return (
		isObject(value) &&
		typeof value.id === 'string' &&
		typeof value.method === 'string' &&
		'params' in value &&
		(value.completionId === undefined || typeof value.completionId === 'string')
	);
}

/** Builds a message for a descriptor; the params type follows from the descriptor. */
export function createMessage<Params>(
	descriptor: IpcDescriptor<Params>,
	id: string,
	params: Params,
	completionId?: string,
): IpcMessage<Params> {
	const msg: IpcMessage<Params> = { id, method: descriptor.method, params };
	if (completionId !== undefined) {
		msg.completionId = completionId;
	}
	return msg;
}

// ---------------------------------------------------------------------------
// Sampling controls: the form's starting values. Bounds and clamping are
// protocol/generation.ts's (SAMPLING_LIMITS, clampSampling), shared with the
// server; the host clamps what arrives, never trusting the webview.

export const DEFAULT_SAMPLING: SamplingOptions = {
	maxNewTokens: 64,
	greedy: false,
	temperature: 0.7,
	topK: 40,
	topP: 0.95,
	seed: 42,
};

/** Clamps every field into its bounds; integers stay integers; a bad field takes the form's default. */
export function normalizeSampling(s: SamplingOptions): SamplingOptions {
	return clampSampling(s, DEFAULT_SAMPLING);
}

// ---------------------------------------------------------------------------
// What the host shows: its session history, reduced to plain data.

/** Lifecycle of one generation in the session history. */
export type EntryStatus = 'running' | 'done' | 'failed' | 'cancelled';

/** One line of the history list. */
export interface HistoryItem {
	/** Host-assigned key (the record id is unknown until a generation finishes). */
	key: string;
	title: string;
	kind: GenerationKind;
	status: EntryStatus;
	tokens: number;
	createdAt: number;
	/** Whether the panel's Stop button can cancel it (a running panel generation). */
	stoppable: boolean;
}

/** Everything the webview needs to draw one generation. */
export interface EntryView extends HistoryItem {
	/** The prompt typed in the panel; null for commands and inline completions. */
	prompt: string | null;
	/** Steps streamed so far (equal to record.steps once finished). */
	steps: TokenStep[];
	record: GenerationRecord | null;
	/** Extra information from the command (e.g. input truncated). */
	note: string | null;
	error: string | null;
}

/** Mirrors lsp.ts's ModelState; the host maps one to the other (type-checked there). */
export type ModelStateView = 'loading' | 'downloading' | 'ready' | 'generating' | 'unavailable' | 'error';

export interface ModelInfo {
	label: string;
	device: string;
	state: ModelStateView;
	/** The error, a fallback, download progress. */
	detail: string | null;
}

export interface InspectorState {
	/** Newest first. */
	history: HistoryItem[];
	current: EntryView | null;
	model: ModelInfo | null;
}

export type EmptyParams = Record<string, never>;

export interface GenerateParams {
	prompt: string;
	sampling: SamplingOptions;
}

export interface EntryParams {
	key: string;
}

export interface AttentionLayerParams {
	generationId: string;
	layer: number;
}

/** The layer as the server sent it (base64 data, decoded in the webview), or why not. */
export type AttentionLayerReply = { ok: true; layer: AttentionLayerData } | { ok: false; error: string };

export interface EntryStepsParams {
	key: string;
	steps: TokenStep[];
}

export interface NoticeParams {
	message: string;
	severity: 'info' | 'warning' | 'error';
}

// ---------------------------------------------------------------------------
// Webview → host

export const ReadyCommand = new IpcCommand<EmptyParams>('inspector/ready', isEmptyParams);
export const GenerateCommand = new IpcCommand<GenerateParams>('inspector/generate', isGenerateParams);
/** Cancel the panel's running generation. */
export const StopCommand = new IpcCommand<EmptyParams>('inspector/stop', isEmptyParams);
export const SelectEntryCommand = new IpcCommand<EntryParams>('inspector/selectEntry', isEntryParams);
/** Insert the entry's text at the cursor of the last active text editor. */
export const InsertOutputCommand = new IpcCommand<EntryParams>('inspector/insertOutput', isEntryParams);
export const CopyOutputCommand = new IpcCommand<EntryParams>('inspector/copyOutput', isEntryParams);
/** Forget finished generations (a running one stays). */
export const ClearHistoryCommand = new IpcCommand<EmptyParams>('inspector/clearHistory', isEmptyParams);
export const InspectLastSuggestionCommand = new IpcCommand<EmptyParams>('inspector/inspectLastSuggestion', isEmptyParams);

export const AttentionLayerRequest = new IpcRequest<AttentionLayerParams, AttentionLayerReply>(
	'inspector/attentionLayer',
	isAttentionLayerParams,
	isAttentionLayerReply,
);

// ---------------------------------------------------------------------------
// Host → webview

/** Full snapshot, the answer to ReadyCommand. */
export const StateNotification = new IpcNotification<InspectorState>('inspector/state', isInspectorState);
/** Make this entry the one on screen (a new generation, a history pick, a command's record). */
export const ShowEntryNotification = new IpcNotification<{ entry: EntryView }>('inspector/showEntry', isEntryHolder);
/** More streamed steps for a running entry. */
export const EntryStepsNotification = new IpcNotification<EntryStepsParams>('inspector/entrySteps', isEntryStepsParams);
/** An entry finished, failed or was cancelled. */
export const EntryUpdatedNotification = new IpcNotification<{ entry: EntryView }>('inspector/entryUpdated', isEntryHolder);
export const HistoryNotification = new IpcNotification<{ history: HistoryItem[] }>('inspector/history', isHistoryHolder);
export const ModelInfoNotification = new IpcNotification<{ model: ModelInfo | null }>('inspector/modelInfo', isModelHolder);
export const NoticeNotification = new IpcNotification<NoticeParams>('inspector/notice', isNoticeParams);
/** Move keyboard focus to the prompt box (Open Inspector). */
export const FocusPromptNotification = new IpcNotification<EmptyParams>('inspector/focusPrompt', isEmptyParams);

// ---------------------------------------------------------------------------
// Shape checks. Deliberately shallow where the data is large (steps are
// checked for the fields the view reads), strict where the host acts on it.

function isObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeInteger(value: unknown): value is number {
	return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

function isEmptyParams(value: unknown): value is EmptyParams {
	return isObject(value);
}

export function isSamplingOptions(value: unknown): value is SamplingOptions {
	return (
		isObject(value) &&
		typeof value.greedy === 'boolean' &&
		(['maxNewTokens', 'temperature', 'topK', 'topP', 'seed'] as const).every(
			(k) => typeof value[k] === 'number' && Number.isFinite(value[k]),
		)
	);
}

function isGenerateParams(value: unknown): value is GenerateParams {
	return isObject(value) && typeof value.prompt === 'string' && isSamplingOptions(value.sampling);
}

function isEntryParams(value: unknown): value is EntryParams {
	return isObject(value) && typeof value.key === 'string';
}

function isAttentionLayerParams(value: unknown): value is AttentionLayerParams {
	return isObject(value) && typeof value.generationId === 'string' && isNonNegativeInteger(value.layer);
}

function isAttentionLayerData(value: unknown): value is AttentionLayerData {
	return (
		isObject(value) &&
		typeof value.generationId === 'string' &&
		typeof value.data === 'string' &&
		isNonNegativeInteger(value.layer) &&
		isNonNegativeInteger(value.heads) &&
		isNonNegativeInteger(value.totalTokens) &&
		isNonNegativeInteger(value.rowStart)
	);
}

function isAttentionLayerReply(value: unknown): value is AttentionLayerReply {
	if (!isObject(value)) {
		return false;
	}
	return value.ok === true ? isAttentionLayerData(value.layer) : value.ok === false && typeof value.error === 'string';
}

export function isTokenStep(value: unknown): value is TokenStep {
	return isObject(value) && typeof value.text === 'string' && typeof value.prob === 'number' && Array.isArray(value.top);
}

function isGenerationRecord(value: unknown): value is GenerationRecord {
	return (
		isObject(value) &&
		typeof value.id === 'string' &&
		typeof value.title === 'string' &&
		typeof value.text === 'string' &&
		Array.isArray(value.promptTokens) &&
		Array.isArray(value.steps) &&
		value.steps.every(isTokenStep) &&
		(value.attention === null || isObject(value.attention))
	);
}

function hasHistoryFields(v: Record<string, unknown>): boolean {
	return (
		typeof v.key === 'string' &&
		typeof v.title === 'string' &&
		typeof v.kind === 'string' &&
		typeof v.status === 'string' &&
		typeof v.tokens === 'number' &&
		typeof v.createdAt === 'number' &&
		typeof v.stoppable === 'boolean'
	);
}

function isHistoryItem(value: unknown): value is HistoryItem {
	return isObject(value) && hasHistoryFields(value);
}

function isNullableString(value: unknown): value is string | null {
	return value === null || typeof value === 'string';
}

function isEntryView(value: unknown): value is EntryView {
	return (
		isObject(value) &&
		hasHistoryFields(value) &&
		Array.isArray(value.steps) &&
		value.steps.every(isTokenStep) &&
		(value.record === null || isGenerationRecord(value.record)) &&
		isNullableString(value.prompt) &&
		isNullableString(value.note) &&
		isNullableString(value.error)
	);
}

function isEntryHolder(value: unknown): value is { entry: EntryView } {
	return isObject(value) && isEntryView(value.entry);
}

function isHistoryHolder(value: unknown): value is { history: HistoryItem[] } {
	return isObject(value) && Array.isArray(value.history) && value.history.every(isHistoryItem);
}

function isModelInfo(value: unknown): value is ModelInfo {
	return isObject(value) && typeof value.label === 'string' && typeof value.state === 'string';
}

function isModelHolder(value: unknown): value is { model: ModelInfo | null } {
	return isObject(value) && (value.model === null || isModelInfo(value.model));
}

function isInspectorState(value: unknown): value is InspectorState {
	return (
		isObject(value) &&
		(value.current === null || isEntryView(value.current)) &&
		isHistoryHolder(value) &&
		isModelHolder(value)
	);
}

function isEntryStepsParams(value: unknown): value is EntryStepsParams {
	return isObject(value) && typeof value.key === 'string' && Array.isArray(value.steps) && value.steps.every(isTokenStep);
}

function isNoticeParams(value: unknown): value is NoticeParams {
	return (
		isObject(value) &&
		typeof value.message === 'string' &&
		(value.severity === 'info' || value.severity === 'warning' || value.severity === 'error')
	);
}
