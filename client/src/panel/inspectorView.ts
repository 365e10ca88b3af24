/**
 * The extension host's side of the inspector: the webview view provider, the
 * session history, and the InspectorApi that commands stream into.
 *
 * Posting follows the handshake in protocol/webview.ts: nothing goes to the
 * webview before it says `ready`, and every `ready` (the view is rebuilt
 * whenever it is shown again) is answered with a full snapshot.
 */
import * as crypto from 'crypto';
import * as vscode from 'vscode';
import type { GenerationKind, GenerationRecord, SamplingOptions, TokenStep } from '../../../protocol/generation';
import type { ModelStatus } from '../../../protocol/lsp';
import {
	AttentionLayerRequest,
	ClearHistoryCommand,
	CopyOutputCommand,
	createMessage,
	EntryStepsNotification,
	EntryUpdatedNotification,
	FocusPromptNotification,
	GenerateCommand,
	HistoryNotification,
	InsertOutputCommand,
	InspectLastSuggestionCommand,
	ModelInfoNotification,
	normalizeSampling,
	NoticeNotification,
	ReadyCommand,
	SelectEntryCommand,
	ShowEntryNotification,
	StateNotification,
	StopCommand,
	type AttentionLayerParams,
	type AttentionLayerReply,
	type IpcMessage,
	type IpcNotification,
	type ModelInfo,
	type ModelStateView,
	type NoticeParams,
} from '../../../protocol/webview';
import type { GenerationBackend, GenerationSink, InspectorApi } from '../backend';
import { EditorTarget } from './editorTarget';
import { renderInspectorHtml } from './html';
import { InspectorSession, type Entry } from './session';

export const INSPECTOR_VIEW_ID = 'glassbox.inspector';

/**
 * Registers the webview view (into context.subscriptions) and returns the API
 * the commands stream into and open it with.
 */
export function registerInspector(
	context: vscode.ExtensionContext,
	backend: GenerationBackend,
	log: vscode.LogOutputChannel,
): InspectorApi {
	const provider = new InspectorViewProvider(context.extensionUri, backend, log);
	context.subscriptions.push(
		provider,
		// No retainContextWhenHidden: the host keeps the history and the webview
		// rebuilds from a snapshot on every show, which costs far less memory.
		vscode.window.registerWebviewViewProvider(INSPECTOR_VIEW_ID, provider),
	);
	return provider;
}

export class InspectorViewProvider implements vscode.WebviewViewProvider, InspectorApi, vscode.Disposable {
	private view: vscode.WebviewView | undefined;
	private viewSubscriptions: vscode.Disposable[] = [];
	/** The webview has said `ready` since it last loaded. */
	private ready = false;
	/** A notice raised while the webview was not ready (e.g. by a command that opened it). */
	private pendingNotice: NoticeParams | undefined;
	/** Open Inspector ran before the webview was ready: focus the prompt once it is. */
	private pendingFocusPrompt = false;
	private nextMessageId = 1;
	private readonly session = new InspectorSession();
	/** The panel's own generation, which Stop and a second Generate cancel. */
	private running: { key: string; cts: vscode.CancellationTokenSource } | undefined;
	private readonly editorTarget = new EditorTarget();
	private readonly subscriptions: vscode.Disposable[];

	constructor(
		private readonly extensionUri: vscode.Uri,
		private readonly backend: GenerationBackend,
		private readonly log: vscode.LogOutputChannel,
	) {
		this.subscriptions = [
			this.editorTarget,
			backend.onDidChangeStatus((status) => this.post(ModelInfoNotification, { model: toModelInfo(status) })),
		];
	}

	resolveWebviewView(view: vscode.WebviewView): void {
		this.disposeViewSubscriptions();
		this.view = view;
		this.ready = false;
		const media = vscode.Uri.joinPath(this.extensionUri, 'media');
		view.webview.options = { enableScripts: true, localResourceRoots: [media] };
		view.webview.html = renderInspectorHtml({
			cspSource: view.webview.cspSource,
			nonce: crypto.randomBytes(18).toString('base64url'),
			scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'panel.js')).toString(),
			styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
		});
		this.viewSubscriptions = [
			view.webview.onDidReceiveMessage((msg: unknown) => this.onMessage(msg)),
			view.onDidDispose(() => {
				if (this.view === view) {
					this.view = undefined;
					this.ready = false;
					this.disposeViewSubscriptions();
				}
			}),
		];
	}

	// ---- InspectorApi ------------------------------------------------------

	startGeneration(info: { title: string; kind: GenerationKind }): GenerationSink {
		const entry = this.session.start({ title: info.title, kind: info.kind });
		this.showEntry(entry);
		return {
			push: (steps) => this.pushSteps(entry.key, steps),
			finish: (record, note) => this.finishEntry(entry.key, record, note),
			fail: (message) => this.failEntry(entry.key, message),
		};
	}

	showRecord(record: GenerationRecord, note?: string): void {
		this.showEntry(this.session.addRecord(record, note));
	}

	async inspectLastSuggestion(): Promise<void> {
		let record: GenerationRecord | null;
		try {
			record = await this.backend.lastCompletion();
		} catch (err) {
			this.log.error(`Inspector: could not fetch the last suggestion: ${errorMessage(err)}`);
			this.notice(`Could not fetch the last suggestion: ${errorMessage(err)}`, 'error');
			return;
		}
		if (!record) {
			this.notice('No inline suggestion yet. Type in an editor until a suggestion (ghost text) appears, then try again.', 'info');
			return;
		}
		this.showRecord(record);
	}

	/** Open Inspector: show the view and put the cursor in the prompt box. */
	async open(): Promise<void> {
		await this.reveal(false);
		if (this.ready) {
			this.post(FocusPromptNotification, {});
		} else {
			this.pendingFocusPrompt = true;
		}
	}

	dispose(): void {
		this.running?.cts.cancel();
		this.disposeViewSubscriptions();
		vscode.Disposable.from(...this.subscriptions).dispose();
	}

	// ---- Messages from the webview ----------------------------------------

	private onMessage(msg: unknown): void {
		if (ReadyCommand.is(msg)) {
			this.ready = true;
			this.postState();
		} else if (GenerateCommand.is(msg)) {
			void this.generate(msg.params.prompt, normalizeSampling(msg.params.sampling));
		} else if (StopCommand.is(msg)) {
			this.running?.cts.cancel();
		} else if (SelectEntryCommand.is(msg)) {
			const entry = this.session.select(msg.params.key);
			if (entry) {
				this.post(ShowEntryNotification, { entry: InspectorSession.view(entry) });
			}
		} else if (InsertOutputCommand.is(msg)) {
			void this.insert(msg.params.key);
		} else if (CopyOutputCommand.is(msg)) {
			void this.copy(msg.params.key);
		} else if (ClearHistoryCommand.is(msg)) {
			this.session.clear();
			this.postState();
		} else if (InspectLastSuggestionCommand.is(msg)) {
			void this.inspectLastSuggestion();
		} else if (AttentionLayerRequest.is(msg)) {
			void this.answerAttention(msg);
		} else {
			this.log.warn(`Inspector: ignored an unknown or malformed message from the webview (${describe(msg)})`);
		}
	}

	private async generate(prompt: string, sampling: SamplingOptions): Promise<void> {
		// A new Generate supersedes the one still running.
		this.running?.cts.cancel();
		const cts = new vscode.CancellationTokenSource();
		const entry = this.session.start({ title: titleFromPrompt(prompt), kind: 'prompt', prompt, stoppable: true });
		const run = { key: entry.key, cts };
		this.running = run;
		this.showEntry(entry);
		try {
			const record = await this.backend.generate(prompt, sampling, (steps) => this.pushSteps(entry.key, steps), cts.token);
			this.finishEntry(entry.key, record);
		} catch (err) {
			if (cts.token.isCancellationRequested) {
				this.update(this.session.cancel(entry.key));
			} else {
				this.failEntry(entry.key, errorMessage(err));
			}
		} finally {
			if (this.running === run) {
				this.running = undefined;
			}
			cts.dispose();
		}
	}

	private async insert(key: string): Promise<void> {
		const entry = this.session.get(key);
		const text = entry ? InspectorSession.outputText(entry) : '';
		if (!text) {
			this.notice('This generation has no text to insert.', 'warning');
			return;
		}
		const problem = await this.editorTarget.insert(text);
		if (problem) {
			this.notice(problem, 'warning');
		}
	}

	private async copy(key: string): Promise<void> {
		const entry = this.session.get(key);
		const text = entry ? InspectorSession.outputText(entry) : '';
		if (!text) {
			this.notice('This generation has no text to copy.', 'warning');
			return;
		}
		await vscode.env.clipboard.writeText(text);
		this.notice(`Copied ${text.length} characters.`, 'info');
	}

	private async answerAttention(msg: IpcMessage<AttentionLayerParams>): Promise<void> {
		const { generationId, layer } = msg.params;
		let reply: AttentionLayerReply;
		try {
			// Forwarded as the server sent it: base64 data, decoded in the webview.
			reply = { ok: true, layer: await this.backend.attention(generationId, layer) };
		} catch (err) {
			this.log.warn(`Inspector: attention layer ${layer} of ${generationId}: ${errorMessage(err)}`);
			reply = { ok: false, error: errorMessage(err) };
		}
		// Replies go out even before `ready`: the request proves the page is listening.
		void this.view?.webview.postMessage(
			createMessage(AttentionLayerRequest.response, this.newMessageId(), reply, msg.id),
		);
	}

	// ---- Entries -----------------------------------------------------------

	private pushSteps(key: string, steps: TokenStep[]): void {
		if (this.session.appendSteps(key, steps)) {
			this.post(EntryStepsNotification, { key, steps });
		}
	}

	private finishEntry(key: string, record: GenerationRecord, note?: string): void {
		const entry = this.session.finish(key, record, note);
		if (entry) {
			this.log.info(`Inspector: ${record.kind} "${record.title}" finished (${record.steps.length} tokens, ${record.stopReason})`);
		}
		this.update(entry);
	}

	private failEntry(key: string, message: string): void {
		const entry = this.session.fail(key, message);
		if (entry) {
			this.log.error(`Inspector: "${entry.title}" failed: ${message}`);
		}
		this.update(entry);
	}

	private update(entry: Entry | undefined): void {
		if (entry) {
			this.post(EntryUpdatedNotification, { entry: InspectorSession.view(entry) });
			this.post(HistoryNotification, { history: this.session.history() });
		}
	}

	/** Makes the entry current and brings the view into sight without taking focus from the editor. */
	private showEntry(entry: Entry): void {
		this.post(ShowEntryNotification, { entry: InspectorSession.view(entry) });
		this.post(HistoryNotification, { history: this.session.history() });
		void this.reveal(true);
	}

	private async reveal(preserveFocus: boolean): Promise<void> {
		if (this.view) {
			this.view.show(preserveFocus);
		} else {
			// Not resolved yet: opening the view resolves it, and its `ready` brings the snapshot.
			await vscode.commands.executeCommand(`${INSPECTOR_VIEW_ID}.focus`);
		}
	}

	// ---- Posting -------------------------------------------------------------

	private postState(): void {
		const current = this.session.current;
		this.post(StateNotification, {
			history: this.session.history(),
			current: current ? InspectorSession.view(current) : null,
			model: toModelInfo(this.backend.status),
		});
		if (this.pendingNotice) {
			this.post(NoticeNotification, this.pendingNotice);
			this.pendingNotice = undefined;
		}
		if (this.pendingFocusPrompt) {
			this.post(FocusPromptNotification, {});
			this.pendingFocusPrompt = false;
		}
	}

	private notice(message: string, severity: NoticeParams['severity']): void {
		if (this.ready && this.view?.visible) {
			this.post(NoticeNotification, { message, severity });
		} else {
			// Shown with the snapshot once the (re)loaded webview says `ready`.
			this.pendingNotice = { message, severity };
			void this.reveal(true);
		}
	}

	private post<Params>(notification: IpcNotification<Params>, params: Params): void {
		if (this.view && this.ready) {
			void this.view.webview.postMessage(createMessage(notification, this.newMessageId(), params));
		}
	}

	private newMessageId(): string {
		return `h${this.nextMessageId++}`;
	}

	private disposeViewSubscriptions(): void {
		vscode.Disposable.from(...this.viewSubscriptions).dispose();
		this.viewSubscriptions = [];
	}
}

function toModelInfo(status: ModelStatus | undefined): ModelInfo | null {
	if (!status) {
		return null;
	}
	// Fails to compile if lsp.ts's ModelState gains a value the webview does not know.
	const state: ModelStateView = status.state;
	let detail = status.message ?? null;
	if (detail === null && status.state === 'downloading' && status.progress !== undefined) {
		detail = `${Math.round(status.progress * 100)}%`;
	}
	return { label: status.label, device: status.device, state, detail };
}

/** History title for a panel prompt: its first non-empty line, shortened. */
export function titleFromPrompt(prompt: string): string {
	const line = prompt.split('\n').find((l) => l.trim() !== '')?.trim() ?? '(empty prompt)';
	return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}

function errorMessage(err: unknown): string {
	return err instanceof Error ? err.message : String(err);
}

function describe(msg: unknown): string {
	const method = typeof msg === 'object' && msg !== null ? (msg as { method?: unknown }).method : undefined;
	return typeof method === 'string' ? method : typeof msg;
}
