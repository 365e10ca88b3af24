/**
 * The attention section: layer and head selectors (with "average over
 * heads"), the heatmap, and "attention from the selected token" painted onto
 * the text. Layers are fetched on demand, one at a time, through the cache.
 */
import type { GenerationRecord } from '../../protocol/generation';
import type { EntryView } from '../../protocol/webview';
import type { AttentionCache, HeadChoice } from './attentionCache';
import { byId, clear, el } from './dom';
import { formatNumber, formatWeight, shortToken } from './format';
import type { GenerationView } from './generationView';
import { Heatmap } from './heatmap';
import { attentionFrom, entropy, type TriangularMatrix } from './transforms';

export interface AttentionSettings {
	layer: number;
	head: HeadChoice;
}

export interface AttentionViewEvents {
	/** Layer, head or the open state changed (persisted by the panel). */
	changed(settings: AttentionSettings, open: boolean): void;
	/** The selected token changed, from the text, the heatmap or Clear selection. */
	selected(position: number | null): void;
}

export class AttentionView {
	private readonly details = byId('attention', HTMLDetailsElement);
	private readonly message = byId('attention-message', HTMLParagraphElement);
	private readonly body = byId('attention-body', HTMLDivElement);
	private readonly layerSelect = byId('layer', HTMLSelectElement);
	private readonly headSelect = byId('head', HTMLSelectElement);
	private readonly info = byId('selection-info', HTMLParagraphElement);
	private readonly heatmap: Heatmap;
	private record: GenerationRecord | null = null;
	private selected: number | null = null;
	private shown: TriangularMatrix | null = null;
	/** Bumped on every change, so a slow fetch cannot paint over a newer choice. */
	private ticket = 0;

	constructor(
		private readonly cache: AttentionCache,
		private readonly view: GenerationView,
		private settings: AttentionSettings,
		private readonly events: AttentionViewEvents,
	) {
		this.heatmap = new Heatmap(byId('heatmap', HTMLCanvasElement), byId('heatmap-readout', HTMLParagraphElement), {
			label: (position) => this.view.textAt(position) ?? '?',
			selectQuery: (position) => this.select(position),
		});
		this.layerSelect.addEventListener('change', () => this.onSelectors());
		this.headSelect.addEventListener('change', () => this.onSelectors());
		this.details.addEventListener('toggle', () => {
			this.events.changed(this.settings, this.details.open);
			if (this.details.open) {
				this.heatmap.layout();
				void this.refresh();
			}
		});
	}

	set open(value: boolean) {
		this.details.open = value;
	}

	/** Shows the attention of an entry's record, or says why there is none. */
	show(entry: EntryView | null, selected: number | null = null): void {
		this.ticket++;
		this.record = entry?.record ?? null;
		this.selected = null;
		this.shown = null;
		this.heatmap.setMatrix(null, '');
		const shape = this.record?.attention;
		if (!entry || !this.record || !shape) {
			this.body.hidden = true;
			this.message.hidden = false;
			this.message.textContent = !entry
				? ''
				: entry.status === 'running'
					? 'Attention appears when the generation finishes.'
					: !this.record
						? 'No attention: the generation did not finish.'
						: this.record.server
							? 'Inference servers do not return attention, so there is none to show for this generation.'
							: "This model's export has no attention outputs, so there is no attention to show for it.";
			return;
		}
		this.message.hidden = true;
		this.body.hidden = false;
		this.settings = {
			layer: Math.min(this.settings.layer, shape.layers - 1),
			head: this.settings.head === 'avg' || this.settings.head >= shape.heads ? 'avg' : this.settings.head,
		};
		fillOptions(this.layerSelect, shape.layers, (i) => `Layer ${i + 1}`);
		fillOptions(this.headSelect, shape.heads, (i) => `Head ${i + 1}`, 'Average over heads');
		this.layerSelect.value = String(this.settings.layer);
		this.headSelect.value = String(this.settings.head);
		this.selected = selected;
		void this.refresh();
	}

	/** Selects a token as the query to show attention from (null clears). */
	select(position: number | null): void {
		if (!this.record?.attention) {
			return;
		}
		this.selected = position;
		this.events.selected(position);
		void this.refresh();
	}

	/** Theme or size changed. */
	relayout(): void {
		this.heatmap.layout();
	}

	private onSelectors(): void {
		const head = this.headSelect.value;
		this.settings = { layer: Number(this.layerSelect.value), head: head === 'avg' ? 'avg' : Number(head) };
		this.events.changed(this.settings, this.details.open);
		void this.refresh();
	}

	private async refresh(): Promise<void> {
		const record = this.record;
		const ticket = ++this.ticket;
		if (!record?.attention) {
			return;
		}
		if (!this.details.open && this.selected === null) {
			this.view.setAttention(null, null);
			return; // nothing on screen needs the layer yet
		}
		const { layer, head } = this.settings;
		this.heatmap.setState('loading');
		if (!this.shown) {
			this.info.textContent = `Loading layer ${layer + 1}…`;
		}
		let matrix: TriangularMatrix;
		try {
			matrix = await this.cache.matrix(record.id, layer, head);
		} catch (err) {
			if (ticket === this.ticket) {
				this.shown = null;
				this.heatmap.setMatrix(null, '');
				this.heatmap.setState('error');
				this.view.setAttention(null, null);
				this.info.textContent = `Could not load attention for layer ${layer + 1}: ${err instanceof Error ? err.message : String(err)}`;
			}
			return;
		}
		if (ticket !== this.ticket) {
			return;
		}
		if (matrix !== this.shown) {
			this.shown = matrix;
			this.heatmap.setMatrix(matrix, `layer ${layer + 1}, ${head === 'avg' ? 'average over heads' : `head ${head + 1}`}`);
		} else {
			this.heatmap.setState('ready');
		}
		this.heatmap.setSelectedRow(this.selected);
		this.describeSelection(matrix);
	}

	private describeSelection(matrix: TriangularMatrix): void {
		clear(this.info);
		const position = this.selected;
		if (position === null) {
			this.view.setAttention(null, null);
			this.info.textContent = 'Select a token in the text to see where it looked.';
			return;
		}
		const name = `“${shortToken(this.view.textAt(position) ?? '', 20)}”`;
		const row = attentionFrom(matrix, position);
		this.view.setAttention(row, position);
		let text: string;
		if (!row) {
			text =
				position >= matrix.totalTokens
					? `${name} is the last token: the model never read it back, so it has no attention of its own.`
					: `No attention is kept for ${name} (position ${position}): for long prompts only rows from position ${matrix.rowStart} on are kept.`;
		} else {
			let strongest = 0;
			for (let i = 1; i <= position; i++) {
				if (row[i] > row[strongest]) {
					strongest = i;
				}
			}
			// Row p is what the model computed while reading token p; it produced token p + 1.
			const next = position + 1 >= this.view.promptLength ? this.view.textAt(position + 1) : undefined;
			text =
				`Attention from ${name} (position ${position})` +
				(next !== undefined ? `, which produced “${shortToken(next, 20)}”` : '') +
				`: strongest on “${shortToken(this.view.textAt(strongest) ?? '', 20)}” (${formatWeight(row[strongest])}), ` +
				`entropy ${formatNumber(entropy(row.subarray(0, position + 1)))} nats.`;
		}
		const clearButton = el('button', { className: 'link-button', text: 'Clear selection', attrs: { type: 'button' } });
		clearButton.addEventListener('click', () => this.select(null));
		this.info.append(text, ' ', clearButton);
	}
}

function fillOptions(select: HTMLSelectElement, count: number, label: (i: number) => string, averageLabel?: string): void {
	const options: HTMLOptionElement[] = [];
	if (averageLabel) {
		options.push(el('option', { text: averageLabel, attrs: { value: 'avg' } }));
	}
	for (let i = 0; i < count; i++) {
		options.push(el('option', { text: label(i), attrs: { value: String(i) } }));
	}
	select.replaceChildren(...options);
}
