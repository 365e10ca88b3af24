/**
 * The GGUF export of glassbox-mini (scripts/export-gguf.sh) served by the real
 * llama-server, against the committed ONNX model the extension runs:
 * - tokenization: llama-server's /tokenize gives the ids of every case of the
 *   tokenizer fixtures (which the project's tokenizer and the Python training
 *   tokenizer give, see tokenizer.test.ts), special tokens included;
 * - next-token distributions: at prompt lengths from 1 to 1,000 tokens, the
 *   top-20 probabilities llama-server reports (n_probs, a softmax of the raw
 *   logits) are within PROB_TOLERANCE of the ONNX model's softmax, and the most
 *   likely token is the same wherever the ONNX model's top two are further
 *   apart than twice that. The difference comes from ggml's GELU, the tanh
 *   approximation, where the model uses the exact erf form;
 * - greedy continuations of fixed prompts are the same tokens.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { PreTrainedModel } from '@huggingface/transformers';
import { LlamaServer } from '../support/llamaServer';
import { argmaxAt, floats, forward, loadModel, loadTokenizer } from './modelHarness';

/** Largest difference allowed between a token's probability in llama-server and in onnxruntime (seen: about 1.5e-3). */
const PROB_TOLERANCE = 3e-3;
const TOP_N = 20;
const CONTROL_FROM = 4091; // <|endoftext|> and the FIM markers

interface FixtureCase {
  name: string;
  text: string;
  ids: number[];
}
const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'tokenization.json'), 'utf8')) as { cases: FixtureCase[] };

function softmaxAt(logits: Float32Array, offset: number, vocab: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, logits[offset + i]!);
  const out = new Float64Array(vocab);
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += out[i] = Math.exp(logits[offset + i]! - max);
  for (let i = 0; i < vocab; i++) out[i]! /= sum;
  return out;
}

async function post(server: LlamaServer, route: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${server.url}/${route}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok(res.ok, `${route}: HTTP ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as Record<string, unknown>;
}

interface TopEntry {
  id: number;
  logprob: number;
}

/** llama-server's top-N next-token distribution after `ids` (one token generated, greedy, no cache). */
async function serverTop(server: LlamaServer, ids: number[]): Promise<TopEntry[]> {
  const json = await post(server, 'completion', { prompt: ids, n_predict: 1, n_probs: TOP_N, temperature: 0, repeat_penalty: 1, cache_prompt: false });
  const probs = json.completion_probabilities as { top_logprobs: TopEntry[] }[];
  assert.ok(Array.isArray(probs) && probs.length === 1, JSON.stringify(json).slice(0, 300));
  return probs[0]!.top_logprobs;
}

/** ONNX greedy decoding (full recompute per step, no cache), stopping after a control token or `n` tokens. */
async function onnxGreedy(model: PreTrainedModel, prompt: number[], n: number): Promise<number[]> {
  const seq = [...prompt];
  const out: number[] = [];
  while (out.length < n) {
    const logits = (await forward(model, [seq], [seq.map(() => 1)]))['logits']!;
    const next = argmaxAt(logits, 0, seq.length - 1);
    out.push(next);
    if (next >= CONTROL_FROM) break;
    seq.push(next);
  }
  return out;
}

describe('glassbox-mini GGUF in llama-server vs the ONNX model', function () {
  this.timeout(30000);
  let server: LlamaServer;
  let model: PreTrainedModel;

  before(async function () {
    this.timeout(120000);
    [server, model] = await Promise.all([LlamaServer.start(), loadModel(), loadTokenizer()]).then(([s, m]) => [s, m] as const);
  });

  after(async () => {
    await server?.stop();
  });

  it('tokenizes every fixture case to the same ids', async () => {
    assert.ok(FIXTURE.cases.length >= 20);
    for (const c of FIXTURE.cases) {
      const json = await post(server, 'tokenize', { content: c.text, add_special: false, parse_special: true });
      assert.deepStrictEqual(json.tokens, c.ids, c.name);
    }
  });

  it(`gives next-token probabilities within ${PROB_TOLERANCE} of onnxruntime's at prompt lengths from 1 to 1,000 tokens`, async () => {
    // One long document made of the held-out excerpts, and a fill-in-the-middle prompt.
    const long = FIXTURE.cases.filter((c) => c.name.startsWith('heldout')).flatMap((c) => c.ids).slice(0, 1000);
    assert.strictEqual(long.length, 1000);
    const fim = FIXTURE.cases.find((c) => c.name === 'fim_prompt')!.ids;
    const logits = (await forward(model, [long], [long.map(() => 1)]))['logits']!;
    const vocab = logits.dims[2]!;
    const data = floats(logits);
    const fimLogits = (await forward(model, [fim], [fim.map(() => 1)]))['logits']!;

    const cases: { name: string; prompt: number[]; probs: Float64Array }[] = [1, 7, 32, 100, 255, 256, 400, 640, 999, 1000].map((len) => ({
      name: `${len} tokens`,
      prompt: long.slice(0, len),
      probs: softmaxAt(data, (len - 1) * vocab, vocab),
    }));
    cases.push({ name: 'FIM prompt', prompt: fim, probs: softmaxAt(floats(fimLogits), (fim.length - 1) * vocab, vocab) });

    let worst = 0;
    let sameTop = 0;
    for (const c of cases) {
      const top = await serverTop(server, c.prompt);
      assert.strictEqual(top.length, TOP_N, c.name);
      for (const t of top) {
        const diff = Math.abs(Math.exp(t.logprob) - c.probs[t.id]!);
        worst = Math.max(worst, diff);
        assert.ok(diff <= PROB_TOLERANCE, `${c.name}: token ${t.id} p=${Math.exp(t.logprob).toFixed(5)} (llama-server) vs ${c.probs[t.id]!.toFixed(5)} (onnx)`);
      }
      const order = [...c.probs.keys()].sort((a, b) => c.probs[b]! - c.probs[a]!);
      if (c.probs[order[0]!]! - c.probs[order[1]!]! > 2 * PROB_TOLERANCE) {
        assert.strictEqual(top[0]!.id, order[0], `${c.name}: most likely token`);
        sameTop++;
      }
    }
    assert.ok(sameTop >= cases.length - 2, `the top token was compared at only ${sameTop} of ${cases.length} positions`);
    console.log(`      largest |p(llama-server) - p(onnx)| over ${cases.length} positions x top ${TOP_N}: ${worst.toExponential(2)}`);
  });

  it('continues fixed prompts greedily with the same tokens', async () => {
    const tokenizer = await loadTokenizer();
    const prompts = [
      '<|endoftext|>import os\n\n\ndef read_lines(path):\n    with open(path) as f:\n        return',
      'export function clamp(value: number, min: number, max: number): number {\n',
      'class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n',
    ];
    const fim = FIXTURE.cases.find((c) => c.name === 'fim_prompt')!.ids;
    const inputs = [...prompts.map((p) => tokenizer.encode(p, { add_special_tokens: false })), fim];
    for (const ids of inputs) {
      const expected = await onnxGreedy(model, ids, 24);
      const json = await post(server, 'completion', { prompt: ids, n_predict: 24, temperature: 0, repeat_penalty: 1, cache_prompt: false, return_tokens: true });
      const got = json.tokens as number[];
      // llama-server ends at an end-of-generation token without returning it; the ONNX loop keeps the control token it stopped at.
      const comparable = expected.filter((id) => id < CONTROL_FROM);
      assert.ok(comparable.length >= 8, `prompt continues for ${comparable.length} tokens only`);
      assert.deepStrictEqual(got.slice(0, comparable.length), comparable, tokenizer.decode(ids));
    }
  });
});
