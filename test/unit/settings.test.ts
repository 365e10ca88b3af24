import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import registry from '../../models/registry.json';
import { DEFAULT_SETTINGS, isLanguageEnabled, parseSettings, RESTRICTED_SETTINGS, SERVER_FAMILIES, serverUrlOf, SETTINGS_SECTION } from '../../protocol/settings';

/** Flatten the settings object into dotted keys, as package.json declares them. */
function flatten(value: Record<string, unknown>, prefix: string, out: Record<string, unknown> = {}): Record<string, unknown> {
	for (const [k, v] of Object.entries(value)) {
		const key = `${prefix}.${k}`;
		// `languages` is one setting whose value is a map.
		if (v !== null && typeof v === 'object' && !Array.isArray(v) && k !== 'languages') {
			flatten(v as Record<string, unknown>, key, out);
		} else {
			out[key] = v;
		}
	}
	return out;
}

describe('settings', () => {
	const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
	const declared: Record<string, { default: unknown; type: string; enum?: string[]; minimum?: number; maximum?: number }> =
		pkg.contributes.configuration.properties;
	// Owned by vscode-languageclient, not by the settings type.
	const clientOwned = ['glassbox.trace.server'];

	it('package.json declares exactly the keys of the settings type, with the same defaults', () => {
		const expected = flatten(DEFAULT_SETTINGS as unknown as Record<string, unknown>, SETTINGS_SECTION);
		const keys = Object.keys(declared).filter((k) => !clientOwned.includes(k));
		assert.deepStrictEqual(keys.sort(), Object.keys(expected).sort());
		for (const [key, value] of Object.entries(expected)) {
			assert.deepStrictEqual(declared[key].default, value, key);
		}
	});

	it('package.json restricts the settings of RESTRICTED_SETTINGS in Restricted Mode, with their scopes', () => {
		const trust = pkg.capabilities.untrustedWorkspaces;
		assert.strictEqual(trust.supported, 'limited');
		assert.deepStrictEqual([...trust.restrictedConfigurations].sort(), Object.keys(RESTRICTED_SETTINGS).sort());
		for (const [key, spec] of Object.entries(declared)) {
			assert.strictEqual((spec as { scope?: string }).scope, RESTRICTED_SETTINGS[key], `scope of ${key}`);
		}
	});

	it('enums and bounds in package.json match what the parser accepts', () => {
		assert.deepStrictEqual(parseSettings({ device: 'cuda' }).device, 'cuda');
		for (const [key, spec] of Object.entries(declared)) {
			if (spec.enum) {
				for (const value of spec.enum) {
					const raw: Record<string, unknown> = {};
					const parts = key.split('.').slice(1);
					if (parts[0] === 'trace') {
						continue;
					}
					let node = raw;
					parts.slice(0, -1).forEach((p) => (node = (node[p] = {}) as Record<string, unknown>));
					node[parts[parts.length - 1]] = value;
					const parsed = flatten(parseSettings(raw) as unknown as Record<string, unknown>, SETTINGS_SECTION);
					assert.strictEqual(parsed[key], value, `${key}=${value}`);
				}
			}
			if (spec.minimum !== undefined) {
				const parts = key.split('.').slice(1);
				const raw = parts.length === 1 ? { [parts[0]]: spec.minimum - 1000 } : { [parts[0]]: { [parts[1]]: spec.minimum - 1000 } };
				const parsed = flatten(parseSettings(raw) as unknown as Record<string, unknown>, SETTINGS_SECTION);
				assert.strictEqual(parsed[key], spec.minimum, key);
			}
		}
	});

	it('parses garbage into defaults and clamps numbers', () => {
		assert.deepStrictEqual(parseSettings(undefined), DEFAULT_SETTINGS);
		assert.deepStrictEqual(parseSettings('nonsense'), DEFAULT_SETTINGS);
		const s = parseSettings({
			model: '  /opt/models/x  ',
			device: 'tpu',
			completion: { debounceMs: -5, maxNewTokens: 1e9, enabled: 'yes', multiline: 'never' },
			commands: { maxInputTokens: 100.6 },
		});
		assert.strictEqual(s.model, '/opt/models/x');
		assert.strictEqual(s.device, 'cpu');
		assert.strictEqual(s.completion.debounceMs, 0);
		assert.strictEqual(s.completion.maxNewTokens, 512);
		assert.strictEqual(s.completion.enabled, true);
		assert.strictEqual(s.completion.multiline, 'never');
		assert.strictEqual(s.commands.maxInputTokens, 101);
		assert.strictEqual(parseSettings({ model: '' }).model, 'embedded');
	});

	it("offers the registry's families for glassbox.serverFamily, after 'auto'", () => {
		assert.deepStrictEqual([...SERVER_FAMILIES], ['auto', ...Object.keys(registry.families)]);
		assert.deepStrictEqual(declared['glassbox.serverFamily'].enum, [...SERVER_FAMILIES]);
	});

	it('keeps every setting that names a server or its model out of a workspace', () => {
		for (const key of ['glassbox.backend', 'glassbox.serverUrl', 'glassbox.serverModel', 'glassbox.serverFamily']) {
			assert.strictEqual(RESTRICTED_SETTINGS[key], 'machine', key);
		}
	});

	it("uses the server kind's usual local address when glassbox.serverUrl is empty", () => {
		const s = parseSettings({ backend: 'ollama', serverUrl: '  ', serverTimeoutMs: 10 });
		assert.strictEqual(serverUrlOf(s), 'http://127.0.0.1:11434');
		assert.strictEqual(s.serverTimeoutMs, 500);
		assert.strictEqual(serverUrlOf(parseSettings({ backend: 'openai', serverUrl: 'http://gpu:8000/v1' })), 'http://gpu:8000/v1');
		assert.strictEqual(serverUrlOf(parseSettings({ backend: 'vllm', serverUrl: 'http://gpu:8000' })), '', 'an unknown backend is local');
	});

	it('per-language switches fall back to "*"', () => {
		const map = parseSettings({ completion: { languages: { '*': false, python: true, go: 'x' } } }).completion.languages;
		assert.deepStrictEqual(map, { '*': false, python: true });
		assert.strictEqual(isLanguageEnabled(map, 'python'), true);
		assert.strictEqual(isLanguageEnabled(map, 'rust'), false);
		assert.strictEqual(isLanguageEnabled({}, 'rust'), true);
		assert.strictEqual(isLanguageEnabled(DEFAULT_SETTINGS.completion.languages, 'markdown'), false);
	});
});
