/**
 * The card that follows hover and keyboard focus over the tokens: the chosen
 * token's probability, the step's entropy and the alternatives the model
 * weighed, plus the attention weight when a token is selected.
 */
import { clear, el } from './dom';
import { formatNumber, formatPercent, formatWeight, shortToken } from './format';
import type { TokenItem } from './tokenStrip';
import { PROBABILITY_BUCKETS, probabilityBucket, stepLogprob } from './transforms';

/** Attention context for the card: the weight from the selected token to the described one. */
export interface CardAttention {
	fromText: string;
	weight: number | null;
}

export class TokenCard {
	constructor(
		private readonly card: HTMLElement,
		private readonly container: HTMLElement,
	) {}

	hide(): void {
		this.card.hidden = true;
		clear(this.card);
	}

	show(item: TokenItem, anchor: HTMLElement, attention: CardAttention | null): void {
		clear(this.card);
		this.card.append(...(item.step ? describeStep(item) : describePromptToken(item)));
		if (attention) {
			const text =
				attention.weight === null
					? `Not attended to by “${attention.fromText}” (it comes later).`
					: `Attention from “${attention.fromText}”: ${formatWeight(attention.weight)}`;
			this.card.append(el('p', { className: 'card-attention', text }));
		}
		this.card.hidden = false;
		this.place(anchor);
	}

	/** Below the token, or above it when there is no room below; kept inside the output box. */
	private place(anchor: HTMLElement): void {
		const box = this.container.getBoundingClientRect();
		const rect = anchor.getBoundingClientRect();
		const cardWidth = this.card.offsetWidth;
		const cardHeight = this.card.offsetHeight;
		const left = Math.max(0, Math.min(rect.left - box.left, box.width - cardWidth));
		const below = rect.bottom + 4 + cardHeight <= window.innerHeight || rect.top - cardHeight - 4 < 0;
		const top = below ? rect.bottom - box.top + 4 : rect.top - box.top - cardHeight - 4;
		this.card.style.left = `${left}px`;
		this.card.style.top = `${top}px`;
	}
}

function describeStep(item: TokenItem): Node[] {
	const step = item.step!;
	if (step.unscored) {
		return [
			el('p', { className: 'card-head' }, el('code', { className: 'card-token', text: shortToken(item.text, 40) })),
			el('p', { className: 'card-facts', text: `token ${(item.stepIndex ?? 0) + 1} · the server reported no probabilities for it` }),
		];
	}
	const bucket = probabilityBucket(step.prob);
	const prob = el('span', { className: 'card-prob', text: formatPercent(step.prob) });
	prob.dataset.bucket = String(bucket);
	const head = el(
		'p',
		{ className: 'card-head' },
		el('code', { className: 'card-token', text: shortToken(item.text, 40) }),
		prob,
		el('span', { className: 'muted', text: PROBABILITY_BUCKETS[bucket].meaning }),
	);
	// A server reports only its top tokens: their entropy, the rest counted as one outcome, is a lower bound.
	const entropy = step.entropyEstimated
		? `entropy ≥ ${formatNumber(step.entropy)} nats (estimated from the top ${step.top.length})`
		: `entropy ${formatNumber(step.entropy)} nats`;
	const facts = el('p', {
		className: 'card-facts',
		text: `log-prob ${formatNumber(stepLogprob(step))} · ${entropy} · token ${(item.stepIndex ?? 0) + 1}`,
	});
	const table = el('table', { className: 'alternatives' });
	table.append(
		el('caption', { text: 'What the model weighed' }),
		el(
			'thead',
			{},
			el('tr', {}, el('th', { text: 'Token', attrs: { scope: 'col' } }), el('th', { text: 'Probability', attrs: { scope: 'col' } })),
		),
	);
	const body = el('tbody');
	let chosenListed = false;
	for (const alt of step.top) {
		// Without ids (some servers), the chosen token is the alternative with its text.
		const chosen: boolean = !chosenListed && (step.idUnknown ? alt.text === step.text : alt.id === step.id);
		chosenListed ||= chosen;
		body.append(alternativeRow(alt.text, alt.prob, chosen));
	}
	if (!chosenListed) {
		// Sampling can pick a token outside the top list; show it anyway.
		body.append(alternativeRow(item.text, step.prob, true));
	}
	table.append(body);
	return [head, facts, table];
}

function alternativeRow(text: string, prob: number, chosen: boolean): HTMLTableRowElement {
	const bar = el('span', { className: 'bar' });
	bar.style.width = `${Math.max(1, Math.round(prob * 100))}%`;
	const label = el('code', { text: shortToken(text, 28) });
	const tokenCell = el('td', {}, label);
	if (chosen) {
		tokenCell.append(el('span', { className: 'chosen', text: ' chosen' }));
	}
	return el(
		'tr',
		{ className: chosen ? 'is-chosen' : '' },
		tokenCell,
		el('td', { className: 'prob-cell' }, el('span', { className: 'bar-track' }, bar), el('span', { text: formatPercent(prob) })),
	);
}

function describePromptToken(item: TokenItem): Node[] {
	return [
		el('p', { className: 'card-head' }, el('code', { className: 'card-token', text: shortToken(item.text, 40) })),
		el('p', { className: 'card-facts', text: `Prompt token at position ${item.position}` }),
	];
}
