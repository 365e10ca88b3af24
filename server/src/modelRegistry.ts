/**
 * Typed view of models/registry.json: known models, their families (FIM and
 * stop tokens, task templates), and how a model setting maps to a source.
 */
import * as path from 'path';
import registryJson from '../../models/registry.json';
import type { TextTaskName } from '../../protocol/generation';
import { EMBEDDED_MODEL } from '../../protocol/settings';

export type TaskName = TextTaskName;

export interface FimSpec {
	prefix: string;
	suffix: string;
	middle: string;
	/** Token order the model was trained on (default psm). */
	order?: 'psm' | 'spm';
}

export type TemplateSpec =
	| { kind: 'fim'; prefix: string; suffix: string; stop?: string[] }
	| { kind: 'plain'; prompt: string; stop?: string[] };

export interface FamilySpec {
	fim?: FimSpec;
	/** Most suffix tokens in a FIM completion prompt (models trained on short examples). */
	fimSuffixTokens?: number;
	/** false: complete from the prefix only, even though the model has FIM tokens (its eval says FIM is worse). */
	fimCompletions?: boolean;
	/**
	 * The token that preceded every document in training. Prompts that begin with plain
	 * text start with it; without it a short prompt looks like the middle of a stream.
	 */
	documentStart?: string;
	stop: string[];
	repetitionPenalty: number;
	/** Templates per task, keyed by comment group ('*' = fallback). */
	tasks?: Partial<Record<TaskName, Record<string, TemplateSpec>>>;
	/** Use the chat prompts with the tokenizer's chat template when it has one. */
	chatTasks?: boolean;
}

export interface ModelSpec {
	id: string;
	label: string;
	/** For the embedded model: its folder under models/. */
	folder?: string;
	family: string;
	/** The weights `auto` loads: the smallest file that loads in Node on the CPU (see sizesMB). */
	dtype: string;
	/** Download size of each dtype's weights in MB, from the hub's file listing, where known. */
	sizesMB?: Partial<Record<string, number>>;
	description: string;
}

export interface Registry {
	models: ModelSpec[];
	families: Record<string, FamilySpec>;
	chatTasks: Record<'system' | TaskName, string>;
	plainTasks: Record<TaskName, TemplateSpec>;
}

export const registry = registryJson as unknown as Registry;

export type ModelSource =
	| { kind: 'folder'; path: string; spec: ModelSpec | undefined }
	| { kind: 'hub'; id: string; spec: ModelSpec | undefined };

/** Hugging Face ids look like `owner/name` (letters, digits, `-_.`). */
const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+$/;

/**
 * Where a model setting points: the embedded model's folder, a local folder
 * (absolute path, `~/` expanded), or a hub id. Anything else is an error the
 * user can act on.
 */
export function resolveModelSource(setting: string, extensionPath: string, homeDir: string): ModelSource {
	const value = setting.trim();
	if (value === '' || value === EMBEDDED_MODEL) {
		const spec = registry.models.find((m) => m.id === EMBEDDED_MODEL);
		return { kind: 'folder', path: path.join(extensionPath, 'models', spec?.folder ?? 'glassbox-mini'), spec };
	}
	if (value.startsWith('~/') || value === '~') {
		return { kind: 'folder', path: path.join(homeDir, value.slice(1)), spec: undefined };
	}
	if (path.isAbsolute(value) || /^[A-Za-z]:[\\/]/.test(value)) {
		return { kind: 'folder', path: path.resolve(value), spec: undefined };
	}
	if (HUB_ID.test(value)) {
		return { kind: 'hub', id: value, spec: registry.models.find((m) => m.id === value) };
	}
	throw new Error(
		`"${value}" is neither "embedded", an absolute folder path, nor a Hugging Face model id like "owner/name".`,
	);
}

/**
 * The family of a model: from the registry for known models, otherwise the
 * first family whose FIM tokens the tokenizer knows (FIM support is what
 * matters most for completions), otherwise a generic family.
 */
export function familyFor(spec: ModelSpec | undefined, hasToken: (token: string) => boolean): FamilySpec {
	if (spec && registry.families[spec.family]) {
		return registry.families[spec.family];
	}
	for (const family of Object.values(registry.families)) {
		if (family.fim && hasToken(family.fim.prefix) && hasToken(family.fim.suffix) && hasToken(family.fim.middle)) {
			return family;
		}
	}
	return GENERIC_FAMILY;
}

/** A model of no known family: the usual stop tokens, chat prompts for the commands, no FIM. */
export const GENERIC_FAMILY: FamilySpec = { stop: ['<|endoftext|>', '<|im_end|>', '</s>', '<|eot_id|>'], repetitionPenalty: 1.1, chatTasks: true };

/**
 * The family an inference server's model name points to: a known model's id
 * (or the id's last part: `deepseek-coder-1.3b-base`), else the longest family
 * key inside the name, case-insensitively (`Qwen/Qwen2.5-Coder-1.5B`,
 * `qwen2.5-coder:1.5b-base`, `glassbox-mini`). Undefined when none matches.
 */
export function familyKeyForName(name: string): string | undefined {
	const lower = name.trim().toLowerCase();
	if (lower === '') {
		return undefined;
	}
	const known = registry.models.find((m) => {
		const id = m.id.toLowerCase();
		return id === lower || id.split('/').pop() === lower.split('/').pop();
	});
	if (known && registry.families[known.family]) {
		return known.family;
	}
	return Object.keys(registry.families)
		.sort((a, b) => b.length - a.length)
		.find((key) => lower.includes(key));
}
