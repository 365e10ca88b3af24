// Encode every held-out file with transformers.js (the committed tokenizer, offline) and
// compare with the ids the Python tokenizer gave (.work/parity.jsonl from make_fixtures.py).
'use strict';
const fs = require('fs');
const path = require('path');
const os = require('os');

async function main() {
  const { AutoTokenizer, env } = require('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = process.env.GLASSBOX_MODELS_DIR || path.resolve(__dirname, '..');
  env.cacheDir = path.join(os.tmpdir(), 'glassbox-parity-cache');
  const tok = await AutoTokenizer.from_pretrained('glassbox-mini');
  const lines = fs.readFileSync(path.join(process.env.GLASSBOX_WORK || path.join(__dirname, '.work'), 'parity.jsonl'), 'utf8').split('\n').filter(Boolean);
  let bad = 0;
  let tokens = 0;
  for (const line of lines) {
    const { path: p, text, ids } = JSON.parse(line);
    const got = tok.encode(text, { add_special_tokens: false });
    tokens += ids.length;
    if (got.length !== ids.length || got.some((v, i) => v !== ids[i])) {
      bad++;
      const i = got.findIndex((v, k) => v !== ids[k]);
      console.error(`MISMATCH ${p} at token ${i}: node ${JSON.stringify(got.slice(i, i + 5))} python ${JSON.stringify(ids.slice(i, i + 5))}`);
    }
  }
  console.log(`[parity] ${lines.length - bad}/${lines.length} held-out files identical (${tokens} tokens)`);

  // ONNX graph (through transformers.js) vs PyTorch logits from export.py
  const { AutoModelForCausalLM, Tensor } = require('@huggingface/transformers');
  const ref = JSON.parse(fs.readFileSync(path.join(process.env.GLASSBOX_WORK || path.join(__dirname, '.work'), 'export_reference.json'), 'utf8'));
  const ids = tok.encode(ref.text, { add_special_tokens: false });
  if (JSON.stringify(ids) !== JSON.stringify(ref.ids)) { console.error('reference prompt tokenizes differently'); bad++; }
  const model = await AutoModelForCausalLM.from_pretrained('glassbox-mini', { dtype: 'fp32' });
  const toT = (a) => new Tensor('int64', BigInt64Array.from(a.map(BigInt)), [1, a.length]);
  const out = await model.forward({ input_ids: toT(ref.ids), attention_mask: toT(ref.ids.map(() => 1)) });
  const [, s, v] = out.logits.dims;
  const d = out.logits.data;
  let argOk = 0;
  for (let i = 0; i < s; i++) {
    let best = 0;
    for (let j = 1; j < v; j++) if (d[i * v + j] > d[i * v + best]) best = j;
    if (best === ref.argmax[i]) argOk++;
  }
  let maxDiff = 0;
  for (let j = 0; j < v; j++) maxDiff = Math.max(maxDiff, Math.abs(d[(s - 1) * v + j] - ref.last_logits[j]));
  console.log(`[parity] ONNX vs PyTorch: argmax equal at ${argOk}/${s} positions, max |logit diff| at the last position ${maxDiff.toExponential(2)}`);
  if (argOk !== s || maxDiff > 1e-3) bad++;
  await model.dispose();
  process.exit(bad ? 1 : 0);
}
main().catch((e) => { console.error(e); process.exit(1); });
