import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DTYPES } from '../../protocol/settings';
import { DEFAULT_HUB, hubEndpoint } from '../../server/src/hubDownload';
import { dtypeInFolder, findWeights, missingModelFiles, weightBase, weightCandidates } from '../../server/src/modelFiles';
import { familyFor, familyKeyForName, registry, resolveModelSource } from '../../server/src/modelRegistry';
import { judgeLogits, UNIFORM_ENTROPY_SHARE } from '../../server/src/sanityCheck';

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
	it("reads an inference server's model name as a family", () => {
		const cases: [string, string | undefined][] = [
			['glassbox-mini', 'glassbox'],
			['Qwen/Qwen2.5-Coder-1.5B', 'qwen2.5-coder'],
			['qwen2.5-coder:1.5b-base', 'qwen2.5-coder'],
			['deepseek-coder-1.3b-base', 'deepseek-coder'],
			['bigcode/starcoder2-3b', 'starcoder'],
			['HuggingFaceTB/SmolLM2-135M-Instruct', 'smollm2'],
			['meta-llama/Llama-3.1-8B', undefined],
			['', undefined],
		];
		for (const [name, family] of cases) {
			assert.strictEqual(familyKeyForName(name), family, name);
		}
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
	it('lists only repositories known to exist, each with a dtype that loads', () => {
		const ids = registry.models.map((m) => m.id);
		// Not on the hub (checked against its listing): a base Qwen2.5-Coder-0.5B ONNX export.
		assert.ok(!ids.includes('onnx-community/Qwen2.5-Coder-0.5B'));
		for (const m of registry.models) {
			assert.ok((DTYPES as readonly string[]).includes(m.dtype) && m.dtype !== 'auto', `${m.id}: ${m.dtype}`);
			// q4f16 is reported failing to load in Node: never the choice.
			assert.notStrictEqual(m.dtype, 'q4f16', m.id);
		}
	});
	it('chooses the smallest file that loads where the sizes are known (q8 for Qwen2.5-Coder-0.5B)', () => {
		const qwen = registry.models.find((m) => m.id === 'onnx-community/Qwen2.5-Coder-0.5B-Instruct')!;
		assert.strictEqual(qwen.dtype, 'q8');
		for (const m of registry.models.filter((x) => x.sizesMB)) {
			const loadable = Object.entries(m.sizesMB!).filter(([d]) => d !== 'q4f16' && d !== 'fp16');
			const smallest = loadable.sort((a, b) => a[1]! - b[1]!)[0][0];
			assert.strictEqual(m.dtype, smallest, m.id);
		}
	});
});

describe('model files (both export layouts)', () => {
	let dir: string;
	beforeEach(() => {
		dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-files-'));
		fs.mkdirSync(path.join(dir, 'onnx'));
		for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
			fs.writeFileSync(path.join(dir, f), '{}');
		}
	});
	afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

	it('names the weights of each dtype in both layouts', () => {
		assert.deepStrictEqual(weightCandidates('q8'), ['onnx/model_quantized.onnx', 'onnx/decoder_model_merged_quantized.onnx']);
		assert.deepStrictEqual(weightCandidates('q4'), ['onnx/model_q4.onnx', 'onnx/decoder_model_merged_q4.onnx']);
		assert.strictEqual(weightBase('onnx/decoder_model_merged_quantized.onnx'), 'decoder_model_merged');
		assert.strictEqual(weightBase('onnx/model.onnx'), 'model');
	});
	it('finds merged-layout weights and reports what is missing', () => {
		assert.deepStrictEqual(missingModelFiles(dir, 'q8'), ['onnx/model_quantized.onnx']);
		fs.writeFileSync(path.join(dir, 'onnx', 'decoder_model_merged_quantized.onnx'), '');
		assert.strictEqual(findWeights(dir, 'q8'), 'onnx/decoder_model_merged_quantized.onnx');
		assert.deepStrictEqual(missingModelFiles(dir, 'q8'), []);
		assert.strictEqual(dtypeInFolder(dir), 'q8', 'auto in a folder: the weights that are there');
		fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), '');
		assert.strictEqual(dtypeInFolder(dir), 'fp32', 'full precision first when present');
	});
});

describe('hub endpoint (HF_ENDPOINT)', () => {
	it('is huggingface.co unless HF_ENDPOINT names a mirror', () => {
		assert.strictEqual(hubEndpoint({}), DEFAULT_HUB);
		assert.strictEqual(hubEndpoint({ HF_ENDPOINT: '' }), DEFAULT_HUB);
		assert.strictEqual(hubEndpoint({ HF_ENDPOINT: 'https://mirror.example/hf' }), 'https://mirror.example/hf/');
		assert.strictEqual(hubEndpoint({ HF_ENDPOINT: 'http://127.0.0.1:8080/' }), 'http://127.0.0.1:8080/');
		assert.throws(() => hubEndpoint({ HF_ENDPOINT: 'not a url' }));
	});
});

describe('load-time sanity check', () => {
	it('accepts peaked logits and rejects uniform or non-finite ones', () => {
		const peaked = new Float32Array(1000).fill(0);
		peaked[7] = 12;
		assert.strictEqual(judgeLogits(peaked).ok, true);
		const flat = new Float32Array(1000).fill(0.5);
		const v = judgeLogits(flat);
		assert.strictEqual(v.ok, false);
		assert.ok(Math.abs(v.entropy - Math.log(1000)) < 1e-6);
		assert.match(v.problem!, /nearly uniform/);
		// Noise of a small spread is near-uniform too.
		const noise = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 0.1);
		assert.ok(judgeLogits(noise).entropy > UNIFORM_ENTROPY_SHARE * Math.log(1000));
		assert.strictEqual(judgeLogits(noise).ok, false);
		const nan = Float32Array.from(peaked);
		nan[3] = NaN;
		assert.match(judgeLogits(nan).problem!, /1 of 1000 next-token logits are not finite/);
	});
});

