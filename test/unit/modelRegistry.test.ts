import * as assert from 'assert';
import * as path from 'path';
import { familyFor, registry, resolveModelSource } from '../../server/src/modelRegistry';

describe('model registry', () => {
	it('resolves the embedded model to its folder', () => {
		const s = resolveModelSource('embedded', '/ext', '/home/u');
		assert.deepStrictEqual([s.kind, s.kind === 'folder' && s.path], ['folder', path.join('/ext', 'models', 'glassbox-mini')]);
	});
	it('resolves folders and hub ids', () => {
		const folder = resolveModelSource('~/models/mine', '/ext', '/home/u');
		assert.strictEqual(folder.kind === 'folder' && folder.path, path.join('/home/u', 'models/mine'));
		const hub = resolveModelSource('onnx-community/Qwen2.5-Coder-0.5B-Instruct', '/ext', '/home/u');
		assert.strictEqual(hub.kind, 'hub');
		assert.strictEqual(hub.spec?.family, 'qwen2.5-coder');
		assert.strictEqual(resolveModelSource('someone/unknown-model', '/ext', '/h').spec, undefined);
	});
	it('explains a setting that is none of the three', () => {
		assert.throws(() => resolveModelSource('relative/path/to/../x', '/ext', '/h'), /neither/);
		assert.throws(() => resolveModelSource('not a model', '/ext', '/h'), /neither/);
	});
	it('every model names a family that exists, with stop tokens', () => {
		for (const m of registry.models) {
			const family = registry.families[m.family];
			assert.ok(family, m.id);
			assert.ok(family.stop.length > 0, m.id);
		}
	});
	it('the embedded family has templates for every task and comment group it needs', () => {
		const tasks = registry.families.glassbox.tasks!;
		for (const group of ['python', 'block', 'triple', 'go']) {
			assert.ok(tasks.docComment?.[group], `docComment/${group}`);
		}
		assert.ok(tasks.summarize?.['*'] && tasks.explain?.['*']);
	});
	it('detects a family from the tokenizer for unknown models', () => {
		const qwenTokens = new Set(['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>']);
		assert.deepStrictEqual(familyFor(undefined, (t) => qwenTokens.has(t)).fim, registry.families['qwen2.5-coder'].fim);
		assert.strictEqual(familyFor(undefined, () => false).fim, undefined);
	});
});
