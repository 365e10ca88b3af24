/**
 * A run of tokens as focusable spans (prompt tokens or generated ones).
 *
 * One tab stop per strip (roving tabindex): arrow keys move between tokens,
 * Enter or Space selects one for "attention from this token", Escape clears.
 * Listeners sit on the strip, not on each token, so a 512-token generation
 * costs one span per token and nothing more.
 */
import type { TokenStep } from '../../protocol/generation';
import { el } from './dom';
import { formatPercent, formatWeight, visibleToken } from './format';
import { attentionAlpha, probabilityBucket } from './transforms';

export interface TokenItem {
	/** Absolute position in the sequence (prompt tokens first), as attention counts them. */
	position: number;
	text: string;
	/** The decoding step for a generated token; null for a prompt token. */
	step: TokenStep | null;
	/** Index into the generation's steps; null for a prompt token. */
	stepIndex: number | null;
}

export interface TokenStripEvents {
	/** Hover or focus moved to a token (null: nothing to describe). */
	inspect(item: TokenItem | null, anchor: HTMLElement | null): void;
	/** Enter, Space or a click on a token. */
	select(item: TokenItem): void;
	escape(): void;
}

export class TokenStrip {
	private items: TokenItem[] = [];
	private spans: HTMLSpanElement[] = [];
	/** Index of the token that holds the strip's tab stop. */
	private active = 0;

	constructor(
		readonly root: HTMLElement,
		label: string,
		private readonly events: TokenStripEvents,
	) {
		root.setAttribute('role', 'listbox');
		root.setAttribute('aria-label', label);
		root.addEventListener('mouseover', (e) => {
			const index = this.indexOf(e.target);
			if (index >= 0) {
				this.events.inspect(this.items[index], this.spans[index]);
			}
		});
		root.addEventListener('mouseleave', () => {
			const focused = this.indexOf(document.activeElement);
			this.events.inspect(focused >= 0 ? this.items[focused] : null, focused >= 0 ? this.spans[focused] : null);
		});
		root.addEventListener('focusin', (e) => {
			const index = this.indexOf(e.target);
			if (index >= 0) {
				this.setActive(index);
				this.events.inspect(this.items[index], this.spans[index]);
			}
		});
		root.addEventListener('focusout', (e) => {
			if (this.indexOf(e.relatedTarget) < 0) {
				this.events.inspect(null, null);
			}
		});
		root.addEventListener('click', (e) => {
			const index = this.indexOf(e.target);
			if (index >= 0) {
				this.events.select(this.items[index]);
			}
		});
		root.addEventListener('keydown', (e) => this.onKey(e));
	}

	get length(): number {
		return this.items.length;
	}

	clear(): void {
		this.items = [];
		this.spans = [];
		this.active = 0;
		this.root.replaceChildren();
	}

	/** Adds tokens at the end (streaming appends a few at a time). */
	append(items: readonly TokenItem[]): void {
		const fragment = document.createDocumentFragment();
		for (const item of items) {
			const span = renderToken(item);
			span.dataset.index = String(this.spans.length);
			span.tabIndex = this.spans.length === this.active ? 0 : -1;
			this.items.push(item);
			this.spans.push(span);
			fragment.append(span);
		}
		this.root.append(fragment);
	}

	spanAt(position: number): HTMLSpanElement | undefined {
		const index = this.items.findIndex((item) => item.position === position);
		return index >= 0 ? this.spans[index] : undefined;
	}

	focusPosition(position: number): void {
		const span = this.spanAt(position);
		if (span) {
			span.scrollIntoView({ block: 'nearest' });
			span.focus();
		}
	}

	/**
	 * Shows how much the selected token attended to each token here (null ends
	 * the highlight). Tokens after the selected one cannot be attended to
	 * (causal model) and are dimmed.
	 */
	setAttention(weights: Float32Array | null, selected: number | null): void {
		this.root.classList.toggle('attention-mode', weights !== null);
		for (let i = 0; i < this.spans.length; i++) {
			const span = this.spans[i];
			const position = this.items[i].position;
			const isSelected = position === selected;
			span.classList.toggle('selected', isSelected);
			span.setAttribute('aria-selected', String(isSelected));
			if (weights && selected !== null) {
				const w = position <= selected && position < weights.length ? weights[position] : 0;
				span.classList.toggle('future', position > selected);
				span.dataset.attention = formatWeight(w);
				// At most 75% of the colour, so the text on top stays readable.
				span.style.setProperty('--attn-alpha', `${Math.round(attentionAlpha(w) * 75)}%`);
			} else {
				span.classList.remove('future');
				delete span.dataset.attention;
				span.style.removeProperty('--attn-alpha');
			}
		}
	}

	private onKey(e: KeyboardEvent): void {
		const index = this.indexOf(e.target);
		if (index < 0) {
			return;
		}
		const last = this.spans.length - 1;
		let next = -1;
		switch (e.key) {
			case 'ArrowRight':
			case 'ArrowDown':
				next = Math.min(last, index + 1);
				break;
			case 'ArrowLeft':
			case 'ArrowUp':
				next = Math.max(0, index - 1);
				break;
			case 'Home':
				next = 0;
				break;
			case 'End':
				next = last;
				break;
			case 'Enter':
			case ' ':
				e.preventDefault();
				this.events.select(this.items[index]);
				return;
			case 'Escape':
				this.events.escape();
				return;
			default:
				return;
		}
		e.preventDefault();
		this.spans[next].focus();
	}

	private setActive(index: number): void {
		if (this.spans[this.active]) {
			this.spans[this.active].tabIndex = -1;
		}
		this.active = index;
		this.spans[index].tabIndex = 0;
	}

	private indexOf(target: EventTarget | null): number {
		if (!(target instanceof Element)) {
			return -1;
		}
		const span = target.closest('.tok');
		return span instanceof HTMLSpanElement && span.parentElement === this.root ? Number(span.dataset.index) : -1;
	}
}

function renderToken(item: TokenItem): HTMLSpanElement {
	const span = el('span', { className: 'tok', attrs: { role: 'option', 'aria-selected': 'false' } });
	span.dataset.position = String(item.position);
	if (item.step?.unscored) {
		span.classList.add('unscored');
		span.setAttribute('aria-label', `${visibleToken(item.text)}, no probability reported`);
	} else if (item.step) {
		const bucket = probabilityBucket(item.step.prob);
		span.dataset.bucket = String(bucket);
		span.setAttribute('aria-label', `${visibleToken(item.text)}, ${formatPercent(item.step.prob)}`);
	} else {
		span.classList.add('prompt');
		span.setAttribute('aria-label', `${visibleToken(item.text)}, prompt token`);
	}
	appendTokenText(span, item.text);
	return span;
}

/** Real text (so the output reads as code) plus dimmed marks for newlines and empty tokens. */
function appendTokenText(span: HTMLElement, text: string): void {
	if (text === '') {
		span.append(el('span', { className: 'ws', text: '∅' }));
		return;
	}
	text.split('\n').forEach((part, i) => {
		if (i > 0) {
			span.append(el('span', { className: 'ws', text: '↵' }), '\n');
		}
		if (part !== '') {
			span.append(part);
		}
	});
}
