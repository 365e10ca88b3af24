// Load time, prompt (prefill) latency and cached decoding speed of the exported model in
// transformers.js on this machine. Writes .work/<config>/node_bench.json for the model card.
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');

async function main() {
  const config = process.argv[2] || 'small';
  const { AutoTokenizer, AutoModelForCausalLM, Tensor, env } = require('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = process.env.GLASSBOX_MODELS_DIR || path.resolve(__dirname, '..');
  env.cacheDir = path.join(os.tmpdir(), 'glassbox-bench-cache');
  const t0 = performance.now();
  const tok = await AutoTokenizer.from_pretrained('glassbox-mini');
  const model = await AutoModelForCausalLM.from_pretrained('glassbox-mini', { dtype: 'fp32' });
  const loadS = (performance.now() - t0) / 1000;
  const held = fs.readFileSync(path.join(__dirname, '.data', 'corpus', 'heldout.jsonl'), 'utf8').split('\n')[0];
  const ids = tok.encode(JSON.parse(held).text, { add_special_tokens: false }).slice(0, 512);
  const toT = (a) => new Tensor('int64', BigInt64Array.from(a.map(BigInt)), [1, a.length]);
  const pastOf = (out) => Object.fromEntries(Object.entries(out).filter(([k]) => k.startsWith('present.')).map(([k, v]) => [k.replace('present.', 'past_key_values.'), v]));
  let best = Infinity;
  let out;
  for (let r = 0; r < 3; r++) {
    const t = performance.now();
    out = await model.forward({ input_ids: toT(ids), attention_mask: toT(ids.map(() => 1)) });
    best = Math.min(best, performance.now() - t);
  }
  const steps = 32;
  let seq = [...ids];
  const t1 = performance.now();
  for (let i = 0; i < steps; i++) {
    const v = out.logits.dims[2];
    const d = out.logits.data;
    const off = (out.logits.dims[1] - 1) * v;
    let b = 0;
    for (let j = 1; j < v; j++) if (d[off + j] > d[off + b]) b = j;
    seq.push(b);
    out = await model.forward({ input_ids: toT([b]), attention_mask: toT(seq.map(() => 1)), past_key_values: pastOf(out) });
  }
  const decodeS = (performance.now() - t1) / 1000;
  const res = { load_s: loadS, prompt_tokens: ids.length, prefill_ms: best, decode_tokens_per_s: steps / decodeS, cpu: os.cpus()[0].model, cores: os.cpus().length };
  fs.mkdirSync(path.join(__dirname, '.work', config), { recursive: true });
  fs.writeFileSync(path.join(__dirname, '.work', config, 'node_bench.json'), JSON.stringify(res, null, 2) + '\n');
  console.log('[bench]', JSON.stringify(res));
  await model.dispose();
}
main().catch((e) => { console.error(e); process.exit(1); });
