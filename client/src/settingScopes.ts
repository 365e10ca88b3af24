/**
 * Where a setting's value comes from and where a write goes: a change lands
 * at the level whose value is in effect (rust-analyzer's client does the
 * same), so a workspace override is changed rather than silently shadowing
 * the write; and the settings of RESTRICTED_SETTINGS take no value from a
 * workspace the user has not trusted (`machine` ones from no workspace at
 * all). Pure (no `vscode` import): config.ts feeds it what
 * `WorkspaceConfiguration.inspect()` and the workspace's settings files say.
 */
import { parse, type ParseError } from 'jsonc-parser';
import { RESTRICTED_SETTINGS } from '../../protocol/settings';

/**
 * The levels of one setting, as `WorkspaceConfiguration.inspect()` reports
 * them for the window (no resource: Glassbox's settings are not per folder).
 */
export interface InspectedValue<T = unknown> {
	defaultValue?: T;
	globalValue?: T;
	workspaceValue?: T;
}

/** A `vscode.ConfigurationTarget`, by name. */
export type WriteLevel = 'global' | 'workspace';

/**
 * The level a write of `key` goes to: the workspace when it holds the value
 * in effect and may set this key, else the user's settings.
 */
export function writeLevel(key: string, inspected: InspectedValue | undefined, trusted: boolean): WriteLevel {
	return inspected?.workspaceValue !== undefined && workspaceMayChoose(key, trusted) ? 'workspace' : 'global';
}

/** What is stored at `level`: the base that a change of one entry of a map is merged into. */
export function valueAt<T>(inspected: InspectedValue<T> | undefined, level: WriteLevel): T | undefined {
	return level === 'workspace' ? inspected?.workspaceValue : inspected?.globalValue;
}

/** Whether a workspace (or folder) value of `key` may take effect. */
export function workspaceMayChoose(key: string, trusted: boolean): boolean {
	const scope = RESTRICTED_SETTINGS[key];
	return scope === undefined || (scope === 'machine-overridable' && trusted);
}

/**
 * The value a restricted setting takes: the user's (or the default) when a
 * workspace may not choose it. VS Code already drops such workspace values
 * from `.vscode/settings.json`; this also covers forms it does not filter
 * (a `"glassbox": { "model": … }` object), so no workspace can choose them.
 */
export function allowedValue<T>(key: string, effective: T, inspected: InspectedValue<T> | undefined, trusted: boolean): T {
	if (workspaceMayChoose(key, trusted) || inspected?.workspaceValue === undefined) {
		return effective;
	}
	return inspected.globalValue ?? inspected.defaultValue ?? effective;
}

/** A workspace settings file: a folder's `.vscode/settings.json`, or a `.code-workspace` file (settings under "settings"). */
export interface SettingsFile {
	path: string;
	text: string;
	kind: 'folder' | 'workspace';
}

export interface IgnoredValue {
	key: string;
	value: unknown;
	file: string;
	/** `untrusted`: Restricted Mode; `machine`: no workspace may set it. */
	reason: 'untrusted' | 'machine';
}

/** Settings as dotted keys: `"glassbox.model"` and `"glassbox": { "model": … }` both give `glassbox.model`. */
function dottedKeys(value: unknown, prefix: string, out: Map<string, unknown>): void {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		return;
	}
	for (const [k, v] of Object.entries(value)) {
		const key = prefix === '' ? k : `${prefix}.${k}`;
		if (Object.prototype.hasOwnProperty.call(RESTRICTED_SETTINGS, key)) {
			out.set(key, v);
		} else if (!k.startsWith('[')) {
			dottedKeys(v, key, out);
		}
	}
}

/**
 * The restricted settings in workspace settings files that do not take
 * effect: `machine` ones always, the others while the workspace is not
 * trusted. Unreadable JSON yields nothing (VS Code reports it itself).
 */
export function ignoredWorkspaceValues(files: readonly SettingsFile[], trusted: boolean): IgnoredValue[] {
	const ignored: IgnoredValue[] = [];
	for (const file of files) {
		const errors: ParseError[] = [];
		const json: unknown = parse(file.text, errors, { allowTrailingComma: true, disallowComments: false });
		const settings = file.kind === 'workspace' ? (json as { settings?: unknown } | undefined)?.settings : json;
		const found = new Map<string, unknown>();
		dottedKeys(settings, '', found);
		for (const [key, value] of found) {
			if (!workspaceMayChoose(key, trusted)) {
				ignored.push({ key, value, file: file.path, reason: RESTRICTED_SETTINGS[key] === 'machine' ? 'machine' : 'untrusted' });
			}
		}
	}
	return ignored;
}

/** The log line for one ignored value; `used` is the value in effect instead. */
export function ignoredMessage(ignored: IgnoredValue, used: unknown): string {
	const why =
		ignored.reason === 'machine'
			? 'only user settings may set it'
			: 'this workspace is not trusted (Restricted Mode); trust it to use its value';
	return `Ignored ${ignored.key} = ${JSON.stringify(ignored.value)} from ${ignored.file}: ${why}. Using ${JSON.stringify(used)}.`;
}
