/**
 * Loads the committed models/glassbox-mini with @huggingface/transformers, offline,
 * exactly as the language server does, and gives the model tests small typed helpers.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  AutoModelForCausalLM,
  AutoTokenizer,
  env,
  PreTrainedModel,
  PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';

/** The committed models folder; GLASSBOX_MODELS_DIR points the tests at another copy (used to check that they fail). */
export const MODELS_DIR = process.env.GLASSBOX_MODELS_DIR ?? path.resolve(__dirname, '..', '..', 'models');
export const MODEL_ID = 'glassbox-mini';
export const MODEL_DIR = path.join(MODELS_DIR, MODEL_ID);

export interface ModelConfig {
  model_type: string;
  architectures: string[];
  n_layer: number;
  n_head: number;
  n_embd: number;
  n_positions: number;
  vocab_size: number;
  bos_token_id: number;
  eos_token_id: number;
}

export function readConfig(): ModelConfig {
  return JSON.parse(fs.readFileSync(path.join(MODEL_DIR, 'config.json'), 'utf8')) as ModelConfig;
}

export function configureEnv(): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = MODELS_DIR;
  env.cacheDir = path.join(os.tmpdir(), 'glassbox-model-tests-cache');
}

let tokenizerPromise: Promise<PreTrainedTokenizer> | undefined;
let modelPromise: Promise<PreTrainedModel> | undefined;

export function loadTokenizer(): Promise<PreTrainedTokenizer> {
  configureEnv();
  tokenizerPromise ??= AutoTokenizer.from_pretrained(MODEL_ID);
  return tokenizerPromise;
}

export function loadModel(): Promise<PreTrainedModel> {
  configureEnv();
  modelPromise ??= AutoModelForCausalLM.from_pretrained(MODEL_ID, { dtype: 'fp32', device: 'cpu' });
  return modelPromise;
}

/** Output map of one ONNX run, keyed by graph output name. */
export type Outputs = Record<string, Tensor>;

export function int64(rows: number[][]): Tensor {
  const b = rows.length;
  const s = rows[0]?.length ?? 0;
  const data = new BigInt64Array(b * s);
  rows.forEach((r, i) => {
    if (r.length !== s) throw new Error('ragged rows');
    r.forEach((v, j) => {
      data[i * s + j] = BigInt(v);
    });
  });
  return new Tensor('int64', data, [b, s]);
}

/** One forward call. `past` holds past_key_values.{i}.key|value tensors (omit for the first call). */
export async function forward(
  model: PreTrainedModel,
  ids: number[][],
  mask: number[][],
  past?: Record<string, Tensor>,
): Promise<Outputs> {
  const inputs: Record<string, unknown> = { input_ids: int64(ids), attention_mask: int64(mask) };
  if (past) inputs.past_key_values = past;
  return (await model.forward(inputs)) as Outputs;
}

/** present.{i}.* of one call, renamed to the past_key_values.{i}.* inputs of the next. */
export function presentsAsPast(out: Outputs): Record<string, Tensor> {
  const past: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(out)) {
    if (name.startsWith('present.')) past[name.replace('present.', 'past_key_values.')] = t;
  }
  return past;
}

export function floats(t: Tensor): Float32Array {
  if (!(t.data instanceof Float32Array)) throw new Error(`expected float32 data, got ${t.type}`);
  return t.data;
}

/** Argmax over the vocabulary at sequence position `pos` of batch row `b`. */
export function argmaxAt(logits: Tensor, b: number, pos: number): number {
  const [, s, v] = logits.dims as [number, number, number];
  const d = floats(logits);
  const off = (b * s + pos) * v;
  let best = 0;
  for (let i = 1; i < v; i++) if (d[off + i]! > d[off + best]!) best = i;
  return best;
}
