/**
 * Recent generations, so the inspector can fetch attention layers on demand
 * and "Inspect last suggestion" can show the latest inline completion. Bounded
 * by count and by the bytes of attention held.
 */
import type { AttentionLayerData, GenerationRecord } from '../../protocol/generation';
import type { AttentionCapture } from './attention';
import type { DeferredAttention } from './engine';

interface Entry {
	record: GenerationRecord;
	attention: AttentionCapture | null;
	/** How to compute `attention` when it is first asked for (inline completions). */
	deferred: DeferredAttention | null;
}

export class GenerationStore {
	private readonly entries = new Map<string, Entry>();
	private lastCompletionId: string | undefined;

	constructor(
		private readonly maxEntries = 32,
		private readonly maxAttentionBytes = 96 * 1024 * 1024,
	) {}

	add(record: GenerationRecord, attention: AttentionCapture | null, deferred: DeferredAttention | null = null): void {
		this.entries.set(record.id, { record, attention, deferred: attention ? null : deferred });
		if (record.kind === 'completion') {
			this.lastCompletionId = record.id;
		}
		this.evict(record.id);
	}

	get(id: string): GenerationRecord | undefined {
		return this.entries.get(id)?.record;
	}

	/**
	 * The generation behind the suggestion now shown, when it is not the newest completion: an
	 * answer from the cache, one computed ahead (kind 'prefetch'), the greedy one of alternatives.
	 * Nothing changes when the store no longer holds it.
	 */
	showCompletion(id: string): void {
		if (this.entries.has(id)) {
			this.lastCompletionId = id;
		}
	}

	lastCompletion(): GenerationRecord | null {
		return (this.lastCompletionId && this.entries.get(this.lastCompletionId)?.record) || null;
	}

	/** The pass that computes a generation's attention, while it has not been computed. */
	deferredAttention(id: string): DeferredAttention | undefined {
		return this.entries.get(id)?.deferred ?? undefined;
	}

	/** Attention computed after the fact (see deferredAttention). */
	setAttention(id: string, attention: AttentionCapture): void {
		const entry = this.entries.get(id);
		if (entry) {
			entry.attention = attention;
			entry.deferred = null;
			this.evict(id);
		}
	}

	attentionLayer(id: string, layer: number): AttentionLayerData | undefined {
		const entry = this.entries.get(id);
		const capture = entry?.attention;
		if (!capture || !Number.isInteger(layer) || layer < 0 || layer >= capture.layers) {
			return undefined;
		}
		return {
			generationId: id,
			layer,
			heads: capture.heads,
			totalTokens: capture.totalTokens,
			rowStart: capture.rowStart,
			data: Buffer.from(capture.layer(layer)).toString('base64'),
		};
	}

	clear(): void {
		this.entries.clear();
		this.lastCompletionId = undefined;
	}

	private evict(newest: string): void {
		let bytes = 0;
		for (const e of this.entries.values()) {
			bytes += e.attention?.byteSize ?? 0;
		}
		// Oldest first; the newest entry and the last completion stay.
		for (const [id, e] of this.entries) {
			if (this.entries.size <= this.maxEntries && bytes <= this.maxAttentionBytes) {
				break;
			}
			if (id === this.lastCompletionId || id === newest) {
				continue;
			}
			bytes -= e.attention?.byteSize ?? 0;
			this.entries.delete(id);
		}
	}
}
