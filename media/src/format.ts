/** Number and token formatting shared by the views. Pure, so tests can call it in Node. */
import type { GenerationKind, StopReason } from '../../protocol/generation';

/** 0.4213 → "42.1%"; tiny non-zero values don't round to a misleading "0.0%". */
export function formatPercent(p: number): string {
	if (!Number.isFinite(p)) {
		return '–';
	}
	if (p > 0 && p < 0.001) {
		return '<0.1%';
	}
	return `${(p * 100).toFixed(1)}%`;
}

/** Fixed decimals with a real minus sign; ∞ for infinities. */
export function formatNumber(value: number, decimals = 2): string {
	if (value === Infinity) {
		return '∞';
	}
	if (value === -Infinity) {
		return '−∞';
	}
	if (!Number.isFinite(value)) {
		return '–';
	}
	return value.toFixed(decimals).replace('-', '−');
}

/** Attention weights are quantised to 1/255, so three decimals show every level. */
export function formatWeight(w: number): string {
	return w.toFixed(3);
}

/**
 * Token text with its invisible characters made visible, for labels and
 * readouts (the output itself keeps real spacing): space → ·, newline → ↵,
 * tab → →, and an empty token (part of a multi-byte character) → ∅.
 */
export function visibleToken(text: string): string {
	if (text === '') {
		return '∅';
	}
	return text.replace(/ /g, '·').replace(/\r?\n/g, '↵').replace(/\t/g, '→');
}

/** Long tokens (whole lines of whitespace, long identifiers) cut for compact labels. */
export function shortToken(text: string, max = 24): string {
	const visible = visibleToken(text);
	return visible.length > max ? `${visible.slice(0, max - 1)}…` : visible;
}

export function formatDuration(ms: number): string {
	if (!Number.isFinite(ms) || ms < 0) {
		return '–';
	}
	return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatTime(epochMs: number): string {
	const d = new Date(epochMs);
	return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

const KIND_LABELS: Record<GenerationKind, string> = {
	completion: 'Inline suggestion',
	prefetch: 'Inline suggestion (computed ahead)',
	prompt: 'Prompt',
	summarize: 'Summary',
	explain: 'Explanation',
	docComment: 'Doc comment',
};

export function kindLabel(kind: GenerationKind): string {
	return KIND_LABELS[kind] ?? kind;
}

const STOP_LABELS: Record<StopReason, string> = {
	eos: 'the model ended the text',
	maxTokens: 'token limit reached',
	stopRule: 'a completion rule ended it',
	cancelled: 'stopped',
};

export function stopLabel(reason: StopReason): string {
	return STOP_LABELS[reason] ?? reason;
}
