/**
 * The session's generations, kept in the extension host so they outlive the
 * webview (a hidden webview view is torn down and rebuilt). Plain data, no
 * vscode import, so unit tests can drive it.
 */
import type { GenerationKind, GenerationRecord, TokenStep } from '../../../protocol/generation';
import type { EntryStatus, EntryView, HistoryItem } from '../../../protocol/webview';

/** Oldest finished entries go first beyond this; records are small, but a session can be long. */
export const MAX_ENTRIES = 50;

export interface Entry {
	readonly key: string;
	title: string;
	readonly kind: GenerationKind;
	status: EntryStatus;
	readonly createdAt: number;
	readonly prompt: string | null;
	steps: TokenStep[];
	record: GenerationRecord | null;
	note: string | null;
	error: string | null;
	stoppable: boolean;
}

export interface StartInfo {
	title: string;
	kind: GenerationKind;
	prompt?: string;
	stoppable?: boolean;
}

export class InspectorSession {
	/** Newest first. */
	private entries: Entry[] = [];
	private currentKey: string | null = null;
	private nextKey = 1;

	constructor(private readonly now: () => number = Date.now) {}

	get current(): Entry | undefined {
		return this.currentKey === null ? undefined : this.get(this.currentKey);
	}

	get(key: string): Entry | undefined {
		return this.entries.find((e) => e.key === key);
	}

	/** A generation that is starting; it becomes the current entry. */
	start(info: StartInfo): Entry {
		return this.add({
			key: `g${this.nextKey++}`,
			title: info.title,
			kind: info.kind,
			status: 'running',
			createdAt: this.now(),
			prompt: info.prompt ?? null,
			steps: [],
			record: null,
			note: null,
			error: null,
			stoppable: info.stoppable ?? false,
		});
	}

	/** A finished record from elsewhere (a command, the last inline completion); shown again if already here. */
	addRecord(record: GenerationRecord, note?: string): Entry {
		const existing = this.entries.find((e) => e.record?.id === record.id);
		if (existing) {
			this.currentKey = existing.key;
			return existing;
		}
		const entry = this.start({ title: record.title, kind: record.kind });
		this.finish(entry.key, record, note);
		return entry;
	}

	appendSteps(key: string, steps: readonly TokenStep[]): Entry | undefined {
		const entry = this.running(key);
		entry?.steps.push(...steps);
		return entry;
	}

	finish(key: string, record: GenerationRecord, note?: string): Entry | undefined {
		const entry = this.running(key);
		if (entry) {
			entry.status = record.stopReason === 'cancelled' ? 'cancelled' : 'done';
			entry.record = record;
			entry.steps = record.steps;
			// The command's own title (it knows about the selection) beats the server's generic one.
			entry.title = entry.title || record.title;
			entry.note = note ?? null;
			entry.stoppable = false;
		}
		return entry;
	}

	fail(key: string, message: string): Entry | undefined {
		const entry = this.running(key);
		if (entry) {
			entry.status = 'failed';
			entry.error = message;
			entry.stoppable = false;
		}
		return entry;
	}

	/** Cancelled before a record came back: keep what streamed. */
	cancel(key: string): Entry | undefined {
		const entry = this.running(key);
		if (entry) {
			entry.status = 'cancelled';
			entry.stoppable = false;
		}
		return entry;
	}

	select(key: string): Entry | undefined {
		const entry = this.get(key);
		if (entry) {
			this.currentKey = key;
		}
		return entry;
	}

	/** Forgets everything but running generations. */
	clear(): void {
		this.entries = this.entries.filter((e) => e.status === 'running');
		if (this.currentKey !== null && !this.get(this.currentKey)) {
			this.currentKey = this.entries[0]?.key ?? null;
		}
	}

	history(): HistoryItem[] {
		return this.entries.map(toHistoryItem);
	}

	/** The text Insert and Copy use: the record's (completion rules applied) or what streamed so far. */
	static outputText(entry: Entry): string {
		return entry.record?.text ?? entry.steps.map((s) => s.text).join('');
	}

	static view(entry: Entry): EntryView {
		return {
			...toHistoryItem(entry),
			prompt: entry.prompt,
			steps: entry.steps,
			record: entry.record,
			note: entry.note,
			error: entry.error,
		};
	}

	private add(entry: Entry): Entry {
		this.entries.unshift(entry);
		this.currentKey = entry.key;
		while (this.entries.length > MAX_ENTRIES) {
			// Drop the oldest entry that is not running (running ones finish soon).
			let index = this.entries.length - 1;
			while (index >= 0 && this.entries[index].status === 'running') {
				index--;
			}
			if (index < 0) {
				break;
			}
			this.entries.splice(index, 1);
		}
		return entry;
	}

	private running(key: string): Entry | undefined {
		const entry = this.get(key);
		return entry?.status === 'running' ? entry : undefined;
	}
}

function toHistoryItem(entry: Entry): HistoryItem {
	return {
		key: entry.key,
		title: entry.title,
		kind: entry.kind,
		status: entry.status,
		tokens: entry.steps.length,
		createdAt: entry.createdAt,
		stoppable: entry.stoppable,
	};
}
