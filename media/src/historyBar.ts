/**
 * The session's generations (kept by the extension host) as a native select,
 * with Insert, Copy and Clear for the one on screen, and the empty state.
 */
import type { EntryView, HistoryItem } from '../../protocol/webview';
import { byId, el } from './dom';
import { formatTime, kindLabel } from './format';

export interface HistoryBarEvents {
	select(key: string): void;
	insert(key: string): void;
	copy(key: string): void;
	clear(): void;
	inspectLast(): void;
}

const STATUS_SUFFIX: Record<HistoryItem['status'], string> = {
	running: ' (running)',
	done: '',
	failed: ' (failed)',
	cancelled: ' (stopped)',
};

export class HistoryBar {
	private readonly bar = byId('history-bar', HTMLElement);
	private readonly select = byId('history', HTMLSelectElement);
	private readonly insert = byId('insert', HTMLButtonElement);
	private readonly copy = byId('copy', HTMLButtonElement);
	private readonly clearButton = byId('clear-history', HTMLButtonElement);
	private readonly empty = byId('empty', HTMLElement);
	private current: EntryView | null = null;

	constructor(events: HistoryBarEvents) {
		this.select.addEventListener('change', () => events.select(this.select.value));
		this.insert.addEventListener('click', () => this.current && events.insert(this.current.key));
		this.copy.addEventListener('click', () => this.current && events.copy(this.current.key));
		this.clearButton.addEventListener('click', () => events.clear());
		byId('inspect-last', HTMLButtonElement).addEventListener('click', () => events.inspectLast());
		byId('history-inspect-last', HTMLButtonElement).addEventListener('click', () => events.inspectLast());
	}

	setHistory(items: readonly HistoryItem[]): void {
		this.select.replaceChildren(
			...items.map((item) =>
				el('option', {
					text: `${kindLabel(item.kind)}: ${item.title} · ${item.tokens} tokens · ${formatTime(item.createdAt)}${STATUS_SUFFIX[item.status] ?? ''}`,
					attrs: { value: item.key },
				}),
			),
		);
		this.bar.hidden = items.length === 0;
		this.empty.hidden = items.length > 0;
		this.clearButton.disabled = !items.some((item) => item.status !== 'running');
		this.sync();
	}

	setCurrent(entry: EntryView | null): void {
		this.current = entry;
		this.sync();
	}

	/** Insert and Copy need text; the select shows the entry on screen. */
	sync(): void {
		const entry = this.current;
		if (entry) {
			this.select.value = entry.key;
		}
		const hasText = entry !== null && entry.steps.some((step) => step.text !== '');
		this.insert.disabled = !hasText;
		this.copy.disabled = !hasText;
	}
}
