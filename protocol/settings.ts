/**
 * The extension's settings: one type, every key under `glassbox.`. The client
 * reads them through typed getters (client/src/config.ts); the server asks for
 * the `glassbox` section through workspace/configuration. A unit test checks
 * that package.json's `contributes.configuration` declares exactly these keys
 * with these defaults.
 */

export const SETTINGS_SECTION = 'glassbox';

/** The shipped model, trained by the project (models/glassbox-mini). */
export const EMBEDDED_MODEL = 'embedded';

export type Device = 'cpu' | 'webgpu' | 'cuda';
export type Dtype = 'auto' | 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';
export type MultilineMode = 'auto' | 'always' | 'never';
/** What runs the model: this machine (`local`), or a shared inference server of one of three kinds. */
export type Backend = 'local' | 'llama.cpp' | 'openai' | 'ollama';

export interface CompletionSettings {
	enabled: boolean;
	/** Language id → enabled; '*' is the default for languages not listed. */
	languages: Record<string, boolean>;
	debounceMs: number;
	maxNewTokens: number;
	/** Token budget for the prompt (prefix and suffix together). */
	contextTokens: number;
	multiline: MultilineMode;
}

export interface CommandSettings {
	maxNewTokens: number;
	/** Longer selections are truncated to this many tokens, with a visible note. */
	maxInputTokens: number;
}

export interface GlassboxSettings {
	/** 'embedded', a Hugging Face model id, or an absolute path to a model folder. */
	model: string;
	device: Device;
	dtype: Dtype;
	/** Allow downloading a hub model the user named (asked once per model). */
	allowDownloads: boolean;
	/** `local` runs glassbox.model here; the others send prompts to the server at serverUrl. */
	backend: Backend;
	/** The inference server's base URL ('' for the kind's usual local address, SERVER_DEFAULT_URLS). */
	serverUrl: string;
	/** The model the server should run (OpenAI-compatible servers and Ollama; llama.cpp serves one). */
	serverModel: string;
	/** The model family (FIM tokens, stop tokens, templates) for a server model whose name does not say it; 'auto' guesses. */
	serverFamily: string;
	/** Longest wait for a server's first answer, and between two streamed tokens, in milliseconds. */
	serverTimeoutMs: number;
	completion: CompletionSettings;
	commands: CommandSettings;
}

export const DEFAULT_SETTINGS: GlassboxSettings = {
	model: EMBEDDED_MODEL,
	device: 'cpu',
	dtype: 'auto',
	allowDownloads: false,
	backend: 'local',
	serverUrl: '',
	serverModel: '',
	serverFamily: 'auto',
	serverTimeoutMs: 15000,
	completion: {
		enabled: true,
		languages: { '*': true, plaintext: false, markdown: false, scminput: false },
		debounceMs: 150,
		maxNewTokens: 48,
		contextTokens: 1024,
		multiline: 'auto',
	},
	commands: {
		maxNewTokens: 160,
		maxInputTokens: 768,
	},
};

/**
 * Where a setting's value may come from, for settings that choose a file, a
 * download, a device or a server: a repository's `.vscode/settings.json`
 * must not choose them for someone who opens it without trusting it.
 * - `machine-overridable`: user or machine settings, and a trusted workspace.
 * - `machine`: user or machine settings only, never a workspace, trusted or not
 *   (consent to download, a server's address or key).
 * package.json gives each of these keys this scope and lists it in
 * `capabilities.untrustedWorkspaces.restrictedConfigurations` (a unit test
 * checks both), so VS Code ignores its workspace value in Restricted Mode;
 * the extension logs each workspace value it ignores. A new setting of this
 * kind is one line here (and its declaration in package.json).
 */
export const RESTRICTED_SETTINGS: Readonly<Record<string, 'machine' | 'machine-overridable'>> = {
	'glassbox.model': 'machine-overridable',
	'glassbox.device': 'machine-overridable',
	'glassbox.dtype': 'machine-overridable',
	'glassbox.allowDownloads': 'machine',
	// Which server sees the user's code, and as which model: never a workspace's choice.
	'glassbox.backend': 'machine',
	'glassbox.serverUrl': 'machine',
	'glassbox.serverModel': 'machine',
	'glassbox.serverFamily': 'machine',
	// How long a stalled server may hold a request: an untrusted workspace could make it minutes.
	'glassbox.serverTimeoutMs': 'machine-overridable',
};

export const DEVICES: readonly Device[] = ['cpu', 'webgpu', 'cuda'];
export const DTYPES: readonly Dtype[] = ['auto', 'fp32', 'fp16', 'q8', 'q4', 'q4f16'];
export const MULTILINE_MODES: readonly MultilineMode[] = ['auto', 'always', 'never'];
export const BACKENDS: readonly Backend[] = ['local', 'llama.cpp', 'openai', 'ollama'];
/**
 * The values of glassbox.serverFamily: 'auto', then the families of
 * models/registry.json (a unit test checks the two lists agree).
 */
export const SERVER_FAMILIES: readonly string[] = ['auto', 'glassbox', 'qwen2.5-coder', 'deepseek-coder', 'starcoder', 'smollm2'];

/** Where each server kind listens when glassbox.serverUrl is empty: its own default port on this machine. */
export const SERVER_DEFAULT_URLS: Readonly<Record<Exclude<Backend, 'local'>, string>> = {
	'llama.cpp': 'http://127.0.0.1:8080',
	openai: 'http://127.0.0.1:8000/v1',
	ollama: 'http://127.0.0.1:11434',
};

/** Bounds shared by the settings schema and the parser. */
export const LIMITS = {
	debounceMs: { min: 0, max: 2000 },
	maxNewTokens: { min: 1, max: 512 },
	contextTokens: { min: 64, max: 8192 },
	commandMaxNewTokens: { min: 8, max: 1024 },
	maxInputTokens: { min: 64, max: 8192 },
	serverTimeoutMs: { min: 500, max: 600000 },
} as const;

function pick<T extends string>(value: unknown, allowed: readonly T[], fallback: T): T {
	return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;
}

function int(value: unknown, bounds: { min: number; max: number }, fallback: number): number {
	if (typeof value !== 'number' || !Number.isFinite(value)) {
		return fallback;
	}
	return Math.min(bounds.max, Math.max(bounds.min, Math.round(value)));
}

function bool(value: unknown, fallback: boolean): boolean {
	return typeof value === 'boolean' ? value : fallback;
}

function obj(value: unknown): Record<string, unknown> {
	return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function languageMap(value: unknown, fallback: Record<string, boolean>): Record<string, boolean> {
	const source = obj(value);
	const entries = Object.entries(source).filter((e): e is [string, boolean] => typeof e[1] === 'boolean');
	return entries.length > 0 || value !== undefined ? Object.fromEntries(entries) : { ...fallback };
}

/**
 * Turns whatever the editor returned for the `glassbox` section (user JSON may
 * hold anything) into well-formed settings: wrong types fall back to the
 * default, numbers are clamped to their bounds.
 */
export function parseSettings(raw: unknown): GlassboxSettings {
	const root = obj(raw);
	const completion = obj(root.completion);
	const commands = obj(root.commands);
	const d = DEFAULT_SETTINGS;
	const model = typeof root.model === 'string' && root.model.trim() !== '' ? root.model.trim() : d.model;
	return {
		model,
		device: pick(root.device, DEVICES, d.device),
		dtype: pick(root.dtype, DTYPES, d.dtype),
		allowDownloads: bool(root.allowDownloads, d.allowDownloads),
		backend: pick(root.backend, BACKENDS, d.backend),
		serverUrl: typeof root.serverUrl === 'string' ? root.serverUrl.trim() : d.serverUrl,
		serverModel: typeof root.serverModel === 'string' ? root.serverModel.trim() : d.serverModel,
		serverFamily: pick(root.serverFamily, SERVER_FAMILIES, d.serverFamily),
		serverTimeoutMs: int(root.serverTimeoutMs, LIMITS.serverTimeoutMs, d.serverTimeoutMs),
		completion: {
			enabled: bool(completion.enabled, d.completion.enabled),
			languages: languageMap(completion.languages, d.completion.languages),
			debounceMs: int(completion.debounceMs, LIMITS.debounceMs, d.completion.debounceMs),
			maxNewTokens: int(completion.maxNewTokens, LIMITS.maxNewTokens, d.completion.maxNewTokens),
			contextTokens: int(completion.contextTokens, LIMITS.contextTokens, d.completion.contextTokens),
			multiline: pick(completion.multiline, MULTILINE_MODES, d.completion.multiline),
		},
		commands: {
			maxNewTokens: int(commands.maxNewTokens, LIMITS.commandMaxNewTokens, d.commands.maxNewTokens),
			maxInputTokens: int(commands.maxInputTokens, LIMITS.maxInputTokens, d.commands.maxInputTokens),
		},
	};
}

/** The server URL in effect: glassbox.serverUrl, or the backend's usual local address when it is empty ('' for `local`). */
export function serverUrlOf(settings: Pick<GlassboxSettings, 'backend' | 'serverUrl'>): string {
	return settings.backend === 'local' ? '' : settings.serverUrl || SERVER_DEFAULT_URLS[settings.backend];
}

/** Whether completions are on for a language, given the per-language map. */
export function isLanguageEnabled(languages: Record<string, boolean>, languageId: string): boolean {
	if (languageId in languages) {
		return languages[languageId] === true;
	}
	return languages['*'] !== false;
}
