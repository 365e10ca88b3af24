/**
 * Plays the extension host for the inspector page in the browser test: it is
 * the `acquireVsCodeApi` the panel script calls, answers the protocol the way
 * InspectorViewProvider does (snapshot on `ready`, attention layers on request,
 * streamed steps on Generate) and records every message the page sends.
 *
 * Bundled by the test with esbuild and injected before the page's scripts.
 * The root tsconfig has no DOM library, so the few browser APIs used are
 * declared here.
 */
import type { AttentionLayerData, GenerationRecord, TokenStep } from '../../protocol/generation';
import {
	AttentionLayerRequest,
	createMessage,
	EntryStepsNotification,
	EntryUpdatedNotification,
	GenerateCommand,
	HistoryNotification,
	ReadyCommand,
	SelectEntryCommand,
	ShowEntryNotification,
	StateNotification,
	StopCommand,
	type EntryView,
	type IpcMessage,
	type IpcNotification,
	type ModelInfo,
} from '../../protocol/webview';

export interface ShimTheme {
	bodyClass: string;
	variables: Record<string, string>;
}

export interface ShimSetup {
	/** Newest first; the first is on screen after `ready`. */
	entries: EntryView[];
	model: ModelInfo;
	/** Attention layers by generation id, in layer order. */
	layers: Record<string, AttentionLayerData[]>;
	/** What a Generate from the prompt box streams back. */
	generation: { chunks: TokenStep[][]; record: GenerationRecord; delayMs: number };
	themes: Record<string, ShimTheme>;
	theme: string;
}

interface BrowserScope {
	postMessage(message: unknown, targetOrigin: string): void;
	setTimeout(handler: () => void, ms: number): number;
	clearTimeout(id: number): void;
	sessionStorage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
	document: {
		documentElement: { style: { setProperty(name: string, value: string): void; removeProperty(name: string): void } };
		body: { className: string };
	};
	acquireVsCodeApi?: () => unknown;
	glassboxShim?: HostShim;
}

/** What the test reads and steers through page.evaluate. */
export interface HostShim {
	/** Every message the page posted, in order. */
	received: IpcMessage[];
	/** Reply to the next attention request with this error instead of data. */
	failNextAttention: string | null;
	/** Fail the next Generate with this message. */
	failNextGenerate: string | null;
	applyTheme(name: string): void;
}

const STATE_KEY = 'glassbox-shim-state';

export function installHostShim(scope: BrowserScope, setup: ShimSetup): void {
	const entries = [...setup.entries];
	let nextId = 1;
	let streaming: { key: string; timer: number; sent: TokenStep[] } | null = null;
	let themeVariables: string[] = [];
	const shim: HostShim = {
		received: [],
		failNextAttention: null,
		failNextGenerate: null,
		applyTheme(name) {
			const theme = setup.themes[name];
			// A theme switch replaces every variable: high contrast lacks some the others set.
			const style = scope.document.documentElement.style;
			themeVariables.forEach((variable) => style.removeProperty(variable));
			themeVariables = Object.keys(theme.variables);
			for (const [variable, value] of Object.entries(theme.variables)) {
				scope.document.documentElement.style.setProperty(variable, value);
			}
			scope.document.body.className = theme.bodyClass;
		},
	};
	scope.glassboxShim = shim;

	function post<P>(notification: IpcNotification<P>, params: P): void {
		scope.postMessage(createMessage(notification, `h${nextId++}`, params), '*');
	}

	function history() {
		return entries.map(({ key, title, kind, status, tokens, createdAt, stoppable }) => ({ key, title, kind, status, tokens, createdAt, stoppable }));
	}

	function finishStream(status: 'done' | 'cancelled'): void {
		if (!streaming) {
			return;
		}
		const entry = entries.find((e) => e.key === streaming!.key)!;
		const record = setup.generation.record;
		Object.assign(entry, {
			status,
			stoppable: false,
			steps: status === 'done' ? record.steps : streaming.sent,
			tokens: status === 'done' ? record.steps.length : streaming.sent.length,
			record: status === 'done' ? record : null,
		});
		streaming = null;
		post(EntryUpdatedNotification, { entry });
		post(HistoryNotification, { history: history() });
	}

	function generate(prompt: string): void {
		if (streaming) {
			scope.clearTimeout(streaming.timer);
			finishStream('cancelled');
		}
		const entry: EntryView = {
			key: `g${entries.length + 1}`,
			title: prompt.split('\n')[0],
			kind: 'prompt',
			status: 'running',
			tokens: 0,
			createdAt: Date.now(),
			stoppable: true,
			prompt,
			steps: [],
			record: null,
			note: null,
			error: null,
		};
		entries.unshift(entry);
		post(ShowEntryNotification, { entry });
		post(HistoryNotification, { history: history() });
		const failure = shim.failNextGenerate;
		shim.failNextGenerate = null;
		const chunks = setup.generation.chunks;
		const stream = { key: entry.key, timer: 0, sent: [] as TokenStep[] };
		streaming = stream;
		let i = 0;
		const tick = (): void => {
			if (failure !== null) {
				Object.assign(entry, { status: 'failed', error: failure, stoppable: false });
				streaming = null;
				post(EntryUpdatedNotification, { entry });
				post(HistoryNotification, { history: history() });
				return;
			}
			if (i < chunks.length) {
				stream.sent.push(...chunks[i]);
				post(EntryStepsNotification, { key: entry.key, steps: chunks[i] });
				i++;
				stream.timer = scope.setTimeout(tick, setup.generation.delayMs);
			} else {
				finishStream('done');
			}
		};
		stream.timer = scope.setTimeout(tick, setup.generation.delayMs);
	}

	function handle(msg: unknown): void {
		if (ReadyCommand.is(msg)) {
			post(StateNotification, { history: history(), current: entries[0] ?? null, model: setup.model });
		} else if (SelectEntryCommand.is(msg)) {
			const entry = entries.find((e) => e.key === msg.params.key);
			if (entry) {
				post(ShowEntryNotification, { entry });
			}
		} else if (GenerateCommand.is(msg)) {
			generate(msg.params.prompt);
		} else if (StopCommand.is(msg)) {
			if (streaming) {
				scope.clearTimeout(streaming.timer);
				finishStream('cancelled');
			}
		} else if (AttentionLayerRequest.is(msg)) {
			const { generationId, layer } = msg.params;
			const data = setup.layers[generationId]?.[layer];
			const error = shim.failNextAttention ?? (data ? null : `No attention for layer ${layer} of ${generationId}`);
			shim.failNextAttention = null;
			const reply = error === null ? { ok: true as const, layer: data! } : { ok: false as const, error };
			scope.postMessage(createMessage(AttentionLayerRequest.response, `h${nextId++}`, reply, msg.id), '*');
		}
	}

	scope.acquireVsCodeApi = () => {
		// VS Code sets the theme before the page's scripts run; so does this.
		shim.applyTheme(setup.theme);
		return {
			postMessage(message: unknown) {
				shim.received.push(JSON.parse(JSON.stringify(message)) as IpcMessage);
				// Asynchronous, like the real host.
				scope.setTimeout(() => handle(message), 0);
			},
			// Kept in sessionStorage so it survives a reload, as webview state survives a hide.
			getState: () => JSON.parse(scope.sessionStorage.getItem(STATE_KEY) ?? 'null') ?? undefined,
			setState: (state: unknown) => scope.sessionStorage.setItem(STATE_KEY, JSON.stringify(state)),
		};
	};
}
