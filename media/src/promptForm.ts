/**
 * The prompt box, the sampling controls, Generate and Stop. Native form
 * controls throughout, so validation, labels and keyboard use come for free.
 */
import type { SamplingOptions } from '../../protocol/generation';
import { DEFAULT_SAMPLING, normalizeSampling, type GenerateParams, type ModelInfo } from '../../protocol/webview';
import { byId } from './dom';

/** What the form keeps across the view being hidden and shown again. */
export interface PromptDraft {
	prompt: string;
	sampling: SamplingOptions;
	samplingOpen: boolean;
}

export interface PromptFormEvents {
	generate(params: GenerateParams): void;
	stop(): void;
	changed(draft: PromptDraft): void;
}

const MODEL_STATE_TEXT: Record<ModelInfo['state'], string> = {
	loading: 'loading…',
	downloading: 'downloading…',
	ready: 'ready',
	generating: 'generating…',
	unavailable: 'server not answering',
	error: 'unavailable',
};

export class PromptForm {
	private readonly form = byId('prompt-form', HTMLFormElement);
	private readonly prompt = byId('prompt', HTMLTextAreaElement);
	private readonly sampling = byId('sampling', HTMLDetailsElement);
	private readonly summary = byId('sampling-summary', HTMLSpanElement);
	private readonly greedy = byId('greedy', HTMLInputElement);
	private readonly maxNewTokens = byId('max-new-tokens', HTMLInputElement);
	private readonly temperature = byId('temperature', HTMLInputElement);
	private readonly topK = byId('top-k', HTMLInputElement);
	private readonly topP = byId('top-p', HTMLInputElement);
	private readonly seed = byId('seed', HTMLInputElement);
	private readonly stopButton = byId('stop', HTMLButtonElement);
	private readonly modelStatus = byId('model-status', HTMLParagraphElement);

	constructor(private readonly events: PromptFormEvents) {
		this.form.addEventListener('submit', (e) => {
			e.preventDefault();
			this.submit();
		});
		this.prompt.addEventListener('keydown', (e) => {
			if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
				e.preventDefault();
				this.form.requestSubmit();
			}
		});
		this.prompt.addEventListener('input', () => this.prompt.setCustomValidity(''));
		this.form.addEventListener('input', () => this.onChange());
		this.sampling.addEventListener('toggle', () => this.onChange());
		this.stopButton.addEventListener('click', () => this.events.stop());
		if (/Mac/.test(navigator.platform)) {
			byId('prompt-hint', HTMLParagraphElement).textContent = '⌘+Enter generates.';
		}
	}

	restore(draft: PromptDraft | undefined): void {
		const s = draft?.sampling ?? DEFAULT_SAMPLING;
		// Without a saved draft, keep whatever was typed while the script was loading.
		if (draft) {
			this.prompt.value = draft.prompt;
		}
		this.sampling.open = draft?.samplingOpen ?? false;
		this.greedy.checked = s.greedy;
		this.maxNewTokens.value = String(s.maxNewTokens);
		this.temperature.value = String(s.temperature);
		this.topK.value = String(s.topK);
		this.topP.value = String(s.topP);
		this.seed.value = String(s.seed);
		this.syncGreedy();
		this.summary.textContent = describeSampling(this.readSampling());
	}

	draft(): PromptDraft {
		return { prompt: this.prompt.value, sampling: this.readSampling(), samplingOpen: this.sampling.open };
	}

	/** Stop applies to the panel's own generation only (commands run to completion). */
	setStoppable(stoppable: boolean): void {
		this.stopButton.disabled = !stoppable;
	}

	setModel(info: ModelInfo | null): void {
		this.modelStatus.classList.toggle('error', info?.state === 'error' || info?.state === 'unavailable');
		if (!info) {
			this.modelStatus.textContent = 'Model: starting…';
			return;
		}
		const parts = [`Model: ${info.label}`, info.device, MODEL_STATE_TEXT[info.state] ?? info.state].filter(Boolean);
		this.modelStatus.textContent = parts.join(' · ') + (info.detail ? ` (${info.detail})` : '');
	}

	focusPrompt(): void {
		this.prompt.focus();
	}

	private submit(): void {
		if (this.prompt.value.trim() === '') {
			this.prompt.setCustomValidity('Write a prompt for the model to continue.');
		}
		if (!this.form.reportValidity()) {
			return;
		}
		this.events.generate({ prompt: this.prompt.value, sampling: this.readSampling() });
	}

	private onChange(): void {
		this.syncGreedy();
		this.summary.textContent = describeSampling(this.readSampling());
		this.events.changed(this.draft());
	}

	/** Greedy decoding ignores the sampler's settings; disabled fields say so. */
	private syncGreedy(): void {
		for (const input of [this.temperature, this.topK, this.topP, this.seed]) {
			input.disabled = this.greedy.checked;
		}
	}

	private readSampling(): SamplingOptions {
		return normalizeSampling({
			maxNewTokens: this.maxNewTokens.valueAsNumber,
			greedy: this.greedy.checked,
			temperature: this.temperature.valueAsNumber,
			topK: this.topK.valueAsNumber,
			topP: this.topP.valueAsNumber,
			seed: this.seed.valueAsNumber,
		});
	}
}

/** One-line summary shown on the collapsed Sampling section. */
export function describeSampling(s: SamplingOptions): string {
	const budget = `${s.maxNewTokens} tokens`;
	if (s.greedy) {
		return `greedy · ${budget}`;
	}
	const parts = [`T ${s.temperature}`];
	if (s.topK > 0) {
		parts.push(`top-k ${s.topK}`);
	}
	if (s.topP < 1) {
		parts.push(`top-p ${s.topP}`);
	}
	parts.push(`seed ${s.seed}`, budget);
	return parts.join(' · ');
}
