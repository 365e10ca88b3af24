/**
 * Entry point of the inspector webview: wires the views to the extension host
 * (protocol/webview.ts) and keeps the little UI state that should survive the
 * view being hidden (the prompt draft, layer and head, the selected token) in
 * the webview's own state. The generations themselves live in the host.
 */
import type { EntryView, HistoryItem } from '../../protocol/webview';
import {
	AttentionLayerRequest,
	ClearHistoryCommand,
	CopyOutputCommand,
	EntryStepsNotification,
	EntryUpdatedNotification,
	FocusPromptNotification,
	GenerateCommand,
	HistoryNotification,
	InsertOutputCommand,
	InspectLastSuggestionCommand,
	ModelInfoNotification,
	NoticeNotification,
	ReadyCommand,
	SelectEntryCommand,
	ShowEntryNotification,
	StateNotification,
	StopCommand,
	type NoticeParams,
} from '../../protocol/webview';
import { AttentionCache } from './attentionCache';
import { AttentionView, type AttentionSettings } from './attentionView';
import { byId } from './dom';
import { GenerationView } from './generationView';
import { HistoryBar } from './historyBar';
import { HostConnection, type VsCodeApi } from './ipc';
import { PromptForm, type PromptDraft } from './promptForm';

declare function acquireVsCodeApi(): VsCodeApi<PersistedState>;

interface PersistedState {
	draft?: PromptDraft;
	attention?: AttentionSettings & { open: boolean };
	/** The selected token, remembered per entry so a re-show restores it. */
	selection?: { key: string; position: number };
}

const vscode = acquireVsCodeApi();
let persisted: PersistedState = vscode.getState() ?? {};

function persist(patch: Partial<PersistedState>): void {
	persisted = { ...persisted, ...patch };
	vscode.setState(persisted);
}

const host = new HostConnection(vscode, window);

const form = new PromptForm({
	generate: (params) => host.send(GenerateCommand, params),
	stop: () => host.send(StopCommand, {}),
	changed: (draft) => persist({ draft }),
});
form.restore(persisted.draft);

const generation = new GenerationView({
	select: (position) => attention.select(position),
});

const cache = new AttentionCache(async (generationId, layer) => {
	const reply = await host.request(AttentionLayerRequest, { generationId, layer });
	if (!reply.ok) {
		throw new Error(reply.error);
	}
	if (reply.layer.generationId !== generationId || reply.layer.layer !== layer) {
		throw new Error('The extension answered with a different layer.');
	}
	return reply.layer;
});

const attention = new AttentionView(cache, generation, persisted.attention ?? { layer: 0, head: 'avg' }, {
	changed: (settings, open) => persist({ attention: { ...settings, open } }),
	selected: (position) => {
		const key = generation.current?.key;
		persist({ selection: key !== undefined && position !== null ? { key, position } : undefined });
	},
});
attention.open = persisted.attention?.open ?? true;

const history = new HistoryBar({
	select: (key) => host.send(SelectEntryCommand, { key }),
	insert: (key) => host.send(InsertOutputCommand, { key }),
	copy: (key) => host.send(CopyOutputCommand, { key }),
	clear: () => host.send(ClearHistoryCommand, {}),
	inspectLast: () => host.send(InspectLastSuggestionCommand, {}),
});

function showEntry(entry: EntryView | null): void {
	generation.show(entry);
	history.setCurrent(entry);
	const restore = entry && persisted.selection?.key === entry.key ? persisted.selection.position : null;
	attention.show(entry, restore);
}

function setHistory(items: readonly HistoryItem[]): void {
	history.setHistory(items);
	form.setStoppable(items.some((item) => item.status === 'running' && item.stoppable));
}

const notice = byId('notice', HTMLParagraphElement);
let noticeTimer: ReturnType<typeof setTimeout> | undefined;

function showNotice({ message, severity }: NoticeParams): void {
	clearTimeout(noticeTimer);
	notice.textContent = message;
	notice.dataset.severity = severity;
	notice.hidden = false;
	if (severity === 'info') {
		noticeTimer = setTimeout(() => (notice.hidden = true), 8000);
	}
}

host.on(StateNotification, (state) => {
	setHistory(state.history);
	form.setModel(state.model);
	showEntry(state.current);
});
host.on(ShowEntryNotification, ({ entry }) => showEntry(entry));
host.on(EntryStepsNotification, ({ key, steps }) => {
	if (generation.current?.key === key) {
		generation.appendSteps(steps);
		history.sync();
	}
});
host.on(EntryUpdatedNotification, ({ entry }) => {
	if (generation.current?.key === entry.key) {
		showEntry(entry);
	}
});
host.on(HistoryNotification, ({ history: items }) => setHistory(items));
host.on(ModelInfoNotification, ({ model }) => form.setModel(model));
host.on(NoticeNotification, showNotice);
host.on(FocusPromptNotification, () => form.focusPrompt());

// VS Code signals a theme change through the body's class and the CSS
// variables on <html>; the canvas has to repaint with the new colours.
let relayoutQueued = false;
function queueRelayout(): void {
	if (!relayoutQueued) {
		relayoutQueued = true;
		requestAnimationFrame(() => {
			relayoutQueued = false;
			attention.relayout();
		});
	}
}
new MutationObserver(queueRelayout).observe(document.body, { attributes: true, attributeFilter: ['class'] });
new MutationObserver(queueRelayout).observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
// Only width matters: the canvas's own height change must not retrigger it.
let observedWidth = 0;
new ResizeObserver((entries) => {
	const width = Math.round(entries[0]?.contentRect.width ?? 0);
	if (width !== observedWidth) {
		observedWidth = width;
		queueRelayout();
	}
}).observe(byId('attention-body', HTMLDivElement));

host.send(ReadyCommand, {});
