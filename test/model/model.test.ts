/**
 * The committed models/glassbox-mini against the ONNX contract the server depends on:
 * names and shapes of logits / presents / decoder_attentions, attention rows that are
 * proper causal distributions, and KV-cached greedy decoding equal to full recompute.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers';
import {
  argmaxAt,
  floats,
  forward,
  loadModel,
  loadTokenizer,
  MODEL_DIR,
  Outputs,
  presentsAsPast,
  readConfig,
} from './modelHarness';

const SPECIALS = ['<|endoftext|>', '<fim_prefix>', '<fim_middle>', '<fim_suffix>', '<fim_pad>'];
const PROMPT = 'import os\n\n\ndef read_lines(path):\n    """Return the lines of a text file."""\n    with open(path) as f:\n';

interface SessionLike {
  inputNames: string[];
  outputNames: string[];
}

function session(model: PreTrainedModel): SessionLike {
  const s = (model as unknown as { sessions: Record<string, SessionLike> }).sessions['model'];
  if (!s) throw new Error('model has no "model" session');
  return s;
}

/** Checks every attention row of `t` [B,H,S,T]: sums to 1, zero after the query's own index, zero on masked keys. */
function checkAttention(t: Tensor, mask: number[][], pastLen: number): void {
  const [b, h, s, total] = t.dims as [number, number, number, number];
  assert.strictEqual(total, pastLen + s);
  const d = floats(t);
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      for (let qi = 0; qi < s; qi++) {
        const qAbs = pastLen + qi;
        if (mask[bi]![qAbs] === 0) continue; // padded query rows are not real predictions
        const off = ((bi * h + hi) * s + qi) * total;
        let sum = 0;
        for (let k = 0; k < total; k++) {
          const w = d[off + k]!;
          assert.ok(Number.isFinite(w) && w >= 0, `weight ${w} at b${bi} h${hi} q${qi} k${k}`);
          if (k > qAbs) assert.strictEqual(w, 0, `future key ${k} has weight ${w} (query ${qAbs})`);
          if (mask[bi]![k] === 0) assert.strictEqual(w, 0, `masked key ${k} has weight ${w}`);
          sum += w;
        }
        assert.ok(Math.abs(sum - 1) < 1e-4, `row sum ${sum} at b${bi} h${hi} q${qi}`);
      }
    }
  }
}

describe('glassbox-mini ONNX contract', function () {
  this.timeout(120000);
  let model: PreTrainedModel;
  let tokenizer: PreTrainedTokenizer;
  const cfg = readConfig();
  const headDim = cfg.n_embd / cfg.n_head;

  before(async () => {
    tokenizer = await loadTokenizer();
    model = await loadModel();
  });

  it('ships the files transformers.js loads, within the size limit', () => {
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'onnx/model.onnx', 'README.md']) {
      assert.ok(fs.existsSync(path.join(MODEL_DIR, f)), `missing ${f}`);
    }
    let total = 0;
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else total += fs.statSync(p).size;
      }
    };
    walk(MODEL_DIR);
    assert.ok(total <= 40 * 1024 * 1024, `model folder is ${total} bytes`);
  });

  it('has the gpt2-style config the server expects', () => {
    assert.strictEqual(cfg.model_type, 'gpt2');
    assert.deepStrictEqual(cfg.architectures, ['GPT2LMHeadModel']);
    assert.ok(cfg.n_positions >= 1024);
    assert.ok(Number.isInteger(headDim));
    const eot = tokenizer.encode('<|endoftext|>', { add_special_tokens: false });
    assert.deepStrictEqual(eot, [cfg.eos_token_id]);
    assert.strictEqual(cfg.bos_token_id, cfg.eos_token_id);
    assert.strictEqual(tokenizer.get_vocab().size, cfg.vocab_size);
  });

  it('declares exactly the contract inputs and outputs', () => {
    const s = session(model);
    const layers = Array.from({ length: cfg.n_layer }, (_, i) => i);
    assert.deepStrictEqual(s.inputNames, [
      'input_ids',
      'attention_mask',
      'position_ids',
      ...layers.flatMap((i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]),
    ]);
    assert.deepStrictEqual(s.outputNames, [
      'logits',
      ...layers.flatMap((i) => [`present.${i}.key`, `present.${i}.value`]),
      ...layers.map((i) => `decoder_attentions.${i}`),
    ]);
  });

  it('prefills with past length 0, then steps one token with the cache: names, shapes, attention rows', async () => {
    const ids = tokenizer.encode(PROMPT, { add_special_tokens: false });
    const s = ids.length;
    const mask = [ids.map(() => 1)];
    const out = await forward(model, [ids], mask);
    assert.deepStrictEqual(out['logits']!.dims, [1, s, cfg.vocab_size]);
    assert.strictEqual(out['logits']!.type, 'float32');
    for (let i = 0; i < cfg.n_layer; i++) {
      assert.deepStrictEqual(out[`present.${i}.key`]!.dims, [1, cfg.n_head, s, headDim]);
      assert.deepStrictEqual(out[`present.${i}.value`]!.dims, [1, cfg.n_head, s, headDim]);
      assert.deepStrictEqual(out[`decoder_attentions.${i}`]!.dims, [1, cfg.n_head, s, s]);
      checkAttention(out[`decoder_attentions.${i}`]!, mask, 0);
    }
    const next = argmaxAt(out['logits']!, 0, s - 1);
    const mask2 = [[...mask[0]!, 1]];
    const out2 = await forward(model, [[next]], mask2, presentsAsPast(out));
    assert.deepStrictEqual(out2['logits']!.dims, [1, 1, cfg.vocab_size]);
    for (let i = 0; i < cfg.n_layer; i++) {
      assert.deepStrictEqual(out2[`present.${i}.key`]!.dims, [1, cfg.n_head, s + 1, headDim]);
      assert.deepStrictEqual(out2[`decoder_attentions.${i}`]!.dims, [1, cfg.n_head, 1, s + 1]);
      checkAttention(out2[`decoder_attentions.${i}`]!, mask2, s);
    }
    // the cached step equals recomputing the whole sequence
    const full = await forward(model, [[...ids, next]], mask2);
    const a = floats(out2['logits']!);
    const b = floats(full['logits']!).subarray(s * cfg.vocab_size);
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    assert.ok(maxDiff < 1e-3, `cached vs full logits differ by ${maxDiff}`);
  });

  it('masks left padding: padded keys get zero weight and the real row matches the unpadded run', async () => {
    const short = tokenizer.encode('x = 1\n', { add_special_tokens: false });
    const long = tokenizer.encode('def f(a, b):\n    return a', { add_special_tokens: false });
    const pad = long.length - short.length;
    assert.ok(pad > 0);
    const padId = cfg.eos_token_id;
    const ids = [long, [...Array<number>(pad).fill(padId), ...short]];
    const mask = [long.map(() => 1), [...Array<number>(pad).fill(0), ...short.map(() => 1)]];
    const out: Outputs = await forward(model, ids, mask);
    for (let i = 0; i < cfg.n_layer; i++) checkAttention(out[`decoder_attentions.${i}`]!, mask, 0);
    const alone = await forward(model, [short], [short.map(() => 1)]);
    const v = cfg.vocab_size;
    const batched = floats(out['logits']!).subarray((long.length + pad) * v, 2 * long.length * v);
    const ref = floats(alone['logits']!);
    let maxDiff = 0;
    for (let i = 0; i < ref.length; i++) maxDiff = Math.max(maxDiff, Math.abs(batched[i]! - ref[i]!));
    assert.ok(maxDiff < 1e-3, `padded vs unpadded logits differ by ${maxDiff}`);
  });

  it('greedy decoding with the KV cache equals decoding that recomputes the full sequence', async () => {
    const steps = 24;
    const prompt = tokenizer.encode(PROMPT, { add_special_tokens: false });
    // cached
    let seq = [...prompt];
    let out = await forward(model, [seq], [seq.map(() => 1)]);
    const cached: number[] = [];
    for (let t = 0; t < steps; t++) {
      const next = argmaxAt(out['logits']!, 0, out['logits']!.dims[1]! - 1);
      cached.push(next);
      seq = [...seq, next];
      out = await forward(model, [[next]], [seq.map(() => 1)], presentsAsPast(out));
    }
    // full recompute
    const recomputed: number[] = [];
    let seq2 = [...prompt];
    for (let t = 0; t < steps; t++) {
      const o = await forward(model, [seq2], [seq2.map(() => 1)]);
      const next = argmaxAt(o['logits']!, 0, seq2.length - 1);
      recomputed.push(next);
      seq2 = [...seq2, next];
    }
    assert.deepStrictEqual(cached, recomputed);
    // and transformers.js' own generate() (which uses the cache) agrees
    const inputs = tokenizer(PROMPT, { add_special_tokens: false });
    const gen = (await model.generate({ ...inputs, max_new_tokens: steps, do_sample: false })) as Tensor;
    const genIds = Array.from(gen.data as BigInt64Array, Number).slice(prompt.length);
    const eos = cfg.eos_token_id;
    const stop = recomputed.indexOf(eos);
    const expected = stop >= 0 ? recomputed.slice(0, stop + 1) : recomputed;
    assert.deepStrictEqual(genIds, expected);
  });

  it('returns decoder_attentions from generate() when asked', async () => {
    const inputs = tokenizer('const x = ', { add_special_tokens: false });
    const res = (await model.generate({
      ...inputs,
      max_new_tokens: 3,
      do_sample: false,
      output_attentions: true,
      return_dict_in_generate: true,
    })) as unknown as { decoder_attentions: Tensor[][] };
    assert.ok(Array.isArray(res.decoder_attentions) && res.decoder_attentions.length >= 1);
    assert.strictEqual(res.decoder_attentions[0]!.length, cfg.n_layer);
  });

  it('keeps every special token whole', () => {
    for (const sp of SPECIALS) {
      const ids = tokenizer.encode(`a${sp}b`, { add_special_tokens: false });
      const spId = tokenizer.encode(sp, { add_special_tokens: false });
      assert.strictEqual(spId.length, 1, `${sp} -> ${JSON.stringify(spId)}`);
      assert.ok(ids.includes(spId[0]!), `${sp} not found whole in ${JSON.stringify(ids)}`);
      assert.strictEqual(tokenizer.decode(ids), `a${sp}b`);
    }
  });
});
