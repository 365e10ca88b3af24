/**
 * One generation on screen: title and facts, the coloured tokens (prompt and
 * output), the hover card, the probability legend and the summary.
 */
import type { TokenStep } from '../../protocol/generation';
import type { EntryView } from '../../protocol/webview';
import { byId, clear, el } from './dom';
import { formatDuration, formatNumber, formatPercent, formatTime, kindLabel, shortToken, stopLabel } from './format';
import { TokenCard } from './tokenCard';
import { TokenStrip, type TokenItem } from './tokenStrip';
import { PROBABILITY_BUCKETS, probabilityBucket, summarizeSteps } from './transforms';

/** Long prompts start folded so the output stays in view. */
const PROMPT_OPEN_MAX_TOKENS = 120;

export interface GenerationViewEvents {
	/** The user selected a token for "attention from this token" (null: cleared). */
	select(position: number | null): void;
}

export class GenerationView {
	private readonly section = byId('generation', HTMLElement);
	private readonly title = byId('gen-title', HTMLHeadingElement);
	private readonly meta = byId('gen-meta', HTMLParagraphElement);
	private readonly error = byId('gen-error', HTMLParagraphElement);
	private readonly note = byId('gen-note', HTMLParagraphElement);
	private readonly promptDetails = byId('prompt-tokens', HTMLDetailsElement);
	private readonly promptSummary = byId('prompt-summary', HTMLElement);
	private readonly summary = byId('summary', HTMLElement);
	private readonly legend = byId('legend', HTMLDivElement);
	private readonly attentionLegend = byId('attention-legend', HTMLDivElement);
	private readonly attentionLegendTitle = byId('attention-legend-title', HTMLSpanElement);
	private readonly promptStrip: TokenStrip;
	private readonly outputStrip: TokenStrip;
	private readonly card: TokenCard;
	private entry: EntryView | null = null;
	private selected: number | null = null;
	private attentionRow: Float32Array | null = null;
	/** The token the card currently describes. */
	private described: HTMLElement | null = null;

	constructor(private readonly events: GenerationViewEvents) {
		const stripEvents = {
			inspect: (item: TokenItem | null, anchor: HTMLElement | null) => this.inspect(item, anchor),
			select: (item: TokenItem) => this.events.select(item.position === this.selected ? null : item.position),
			escape: () => {
				this.card.hide();
				this.events.select(null);
			},
		};
		this.promptStrip = new TokenStrip(byId('prompt-strip', HTMLDivElement), 'Prompt tokens', stripEvents);
		this.outputStrip = new TokenStrip(byId('token-strip', HTMLDivElement), 'Generated tokens', stripEvents);
		this.card = new TokenCard(byId('token-card', HTMLDivElement), byId('output', HTMLDivElement));
		renderLegend(this.legend);
	}

	get current(): EntryView | null {
		return this.entry;
	}

	/** Number of prompt tokens: where generated positions start. */
	get promptLength(): number {
		return this.entry?.record?.promptTokens.length ?? 0;
	}

	/** Token text at an absolute position, for attention labels. */
	textAt(position: number): string | undefined {
		const record = this.entry?.record;
		if (!record) {
			return undefined;
		}
		const p = record.promptTokens.length;
		return position < p ? record.promptTokens[position] : record.steps[position - p]?.text;
	}

	show(entry: EntryView | null): void {
		this.entry = entry;
		this.selected = null;
		this.attentionRow = null;
		this.described = null;
		this.card.hide();
		this.legend.hidden = false;
		this.attentionLegend.hidden = true;
		this.section.hidden = entry === null;
		if (!entry) {
			return;
		}
		this.title.textContent = `${kindLabel(entry.kind)}: ${entry.title}`;
		this.error.hidden = entry.error === null;
		this.error.textContent = entry.error ?? '';
		this.note.hidden = entry.note === null;
		this.note.textContent = entry.note ?? '';
		this.renderPrompt(entry);
		this.outputStrip.clear();
		this.appendOutput(entry.steps, 0);
		this.renderMeta();
		this.renderSummary();
	}

	appendSteps(steps: readonly TokenStep[]): void {
		if (!this.entry) {
			return;
		}
		const start = this.entry.steps.length;
		this.entry.steps.push(...steps);
		this.appendOutput(steps, start);
		this.renderMeta();
	}

	focusToken(position: number): void {
		(position < this.promptLength ? this.promptStrip : this.outputStrip).focusPosition(position);
	}

	/** Colours the text by the selected token's attention (null restores probability colours). */
	setAttention(row: Float32Array | null, selected: number | null): void {
		this.selected = selected;
		this.attentionRow = row;
		if (selected !== null && selected < this.promptLength) {
			this.promptDetails.open = true;
		}
		this.promptStrip.setAttention(row, selected);
		this.outputStrip.setAttention(row, selected);
		// The backgrounds now mean attention, so the legend has to say so.
		const painted = row !== null && selected !== null;
		this.legend.hidden = painted;
		this.attentionLegend.hidden = !painted;
		if (painted) {
			this.attentionLegendTitle.textContent = `Background: attention from “${shortToken(this.textAt(selected) ?? '', 16)}”`;
		}
	}

	private appendOutput(steps: readonly TokenStep[], start: number): void {
		const base = this.promptLength;
		this.outputStrip.append(
			steps.map((step, i) => ({ position: base + start + i, text: step.text, step, stepIndex: start + i })),
		);
	}

	private renderPrompt(entry: EntryView): void {
		this.promptStrip.clear();
		const tokens = entry.record?.promptTokens;
		if (tokens) {
			this.promptStrip.append(tokens.map((text, position) => ({ position, text, step: null, stepIndex: null })));
			// A server whose tokenizer Glassbox does not have got the prompt as text: its tokens are unknown.
			const asText = entry.record?.server !== undefined && entry.record.promptIds.length === 0;
			this.promptSummary.textContent = asText ? 'Prompt · sent as text (its tokens are the server\'s)' : `Prompt · ${tokens.length} tokens`;
			this.promptDetails.open = tokens.length <= PROMPT_OPEN_MAX_TOKENS;
		} else {
			// Still streaming: the prompt's tokens arrive with the finished record.
			this.promptStrip.root.append(el('span', { className: 'prompt-text', text: entry.prompt ?? '' }));
			this.promptSummary.textContent = 'Prompt';
			this.promptDetails.open = entry.prompt !== null && entry.prompt.length < 400;
		}
		this.promptDetails.hidden = !tokens && entry.prompt === null;
	}

	private renderMeta(): void {
		const entry = this.entry!;
		const record = entry.record;
		const parts = [`${entry.steps.length} tokens`];
		if (entry.status === 'running') {
			parts.unshift('Generating…');
		} else if (entry.status === 'failed') {
			parts.push('failed');
		} else if (entry.status === 'cancelled' || record?.stopReason === 'cancelled') {
			parts.push('stopped');
		} else if (record) {
			parts.push(stopLabel(record.stopReason));
		}
		if (record) {
			// An inference server's generation names the server and its model.
			parts.push(formatDuration(record.elapsedMs), record.server ?? record.model);
		}
		parts.push(formatTime(entry.createdAt));
		this.meta.textContent = parts.join(' · ');
	}

	private renderSummary(): void {
		const entry = this.entry!;
		clear(this.summary);
		if (entry.status === 'running' || entry.steps.length === 0) {
			return;
		}
		if (entry.steps.every((step) => step.unscored)) {
			this.summary.append(
				el('h3', { text: 'Summary' }),
				el('p', { className: 'muted', text: `${entry.steps.length} tokens. The server reported no probabilities (Ollama before 0.12.11), so there are none to show.` }),
			);
			return;
		}
		const s = summarizeSteps(entry.steps.filter((step) => !step.unscored));
		this.summary.append(
			el('h3', { text: 'Summary' }),
			el(
				'dl',
				{ className: 'facts' },
				...fact('Tokens', String(s.tokens)),
				...fact('Mean log-prob', formatNumber(s.meanLogprob ?? NaN)),
				...fact('Perplexity', formatNumber(s.perplexity ?? NaN)),
			),
		);
		if (s.leastConfident.length > 0) {
			const list = el('ul', { className: 'chips', attrs: { 'aria-label': 'Least confident tokens' } });
			const base = this.promptLength;
			for (const item of s.leastConfident) {
				const button = el('button', {
					className: 'chip',
					text: `${shortToken(item.text, 16)} ${formatPercent(item.prob)}`,
					attrs: { type: 'button', title: `Go to token ${item.index + 1}` },
				});
				button.dataset.bucket = String(probabilityBucket(item.prob));
				button.addEventListener('click', () => this.focusToken(base + item.index));
				list.append(el('li', {}, button));
			}
			this.summary.append(el('p', { className: 'field-label', text: 'Least confident' }), list);
		}
		const streamed = entry.steps.map((step) => step.text).join('');
		if (entry.record && entry.record.text !== streamed) {
			this.summary.append(
				el('p', {
					className: 'muted',
					text: `Completion rules trimmed the output: Insert and Copy use ${entry.record.text.length} of ${streamed.length} characters.`,
				}),
			);
		}
	}

	private inspect(item: TokenItem | null, anchor: HTMLElement | null): void {
		// The card describes the focused token to screen readers too.
		this.described?.removeAttribute('aria-describedby');
		this.described = anchor;
		anchor?.setAttribute('aria-describedby', 'token-card');
		if (!item || !anchor) {
			this.card.hide();
			return;
		}
		let attention = null;
		if (this.attentionRow && this.selected !== null) {
			attention = {
				fromText: shortToken(this.textAt(this.selected) ?? '', 20),
				weight: item.position <= this.selected ? (this.attentionRow[item.position] ?? 0) : null,
			};
		}
		this.card.show(item, anchor, attention);
	}
}

function fact(term: string, value: string): HTMLElement[] {
	return [el('dt', { text: term }), el('dd', { text: value })];
}

function renderLegend(root: HTMLElement): void {
	root.append(el('span', { className: 'legend-title', text: 'Probability' }));
	// Most likely first, the way people read a scale.
	for (let i = PROBABILITY_BUCKETS.length - 1; i >= 0; i--) {
		const swatch = el('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
		swatch.dataset.bucket = String(i);
		root.append(el('span', { className: 'legend-item', attrs: { title: PROBABILITY_BUCKETS[i].meaning } }, swatch, PROBABILITY_BUCKETS[i].label));
	}
}
