/**
 * The baseline for the benchmark: the same ONNX model driven directly with
 * onnxruntime-node, greedy, with the KV cache, and no language server, no
 * tokenizer, no prompt building, no JSON: only the model's forward passes and
 * an argmax.
 */
import * as path from 'path';
import * as ort from 'onnxruntime-node';

export class RawDecoder {
	private constructor(
		private readonly session: ort.InferenceSession,
		private readonly layers: number,
		private readonly heads: number,
		private readonly headDim: number,
		private readonly outputs = session.outputNames.filter((n) => n === 'logits' || n.startsWith('present')),
	) {}

	static async load(modelDir: string): Promise<RawDecoder> {
		const session = await ort.InferenceSession.create(path.join(modelDir, 'onnx', 'model.onnx'), { executionProviders: ['cpu'] });
		const keyInputs = session.inputNames.filter((n) => n.startsWith('past_key_values.') && n.endsWith('.key'));
		const meta = session.inputMetadata.find((m) => m.name === keyInputs[0]) as { shape?: (number | string)[] } | undefined;
		const shape = meta?.shape ?? [];
		return new RawDecoder(session, keyInputs.length, Number(shape[1]), Number(shape[3]));
	}

	/**
	 * Greedy decoding for exactly `passes` forward passes; returns the chosen
	 * ids. `firstToken` replaces the first argmax (the server heals the
	 * prompt's last token, a constraint on the first choice only; the passes
	 * cost the same).
	 */
	async decode(promptIds: number[], passes: number, firstToken?: number): Promise<number[]> {
		const chosen: number[] = [];
		let input = promptIds;
		let past: Record<string, ort.Tensor> = {};
		for (let l = 0; l < this.layers; l++) {
			for (const kind of ['key', 'value']) {
				past[`past_key_values.${l}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, this.heads, 0, this.headDim]);
			}
		}
		let position = 0;
		for (let pass = 0; pass < passes; pass++) {
			const total = position + input.length;
			const feeds: Record<string, ort.Tensor> = {
				input_ids: new ort.Tensor('int64', BigInt64Array.from(input, BigInt), [1, input.length]),
				attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
				...past,
			};
			if (this.session.inputNames.includes('position_ids')) {
				feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from({ length: input.length }, (_, i) => BigInt(position + i)), [1, input.length]);
			}
			// Only what a decode loop uses: the logits and the cache (no attention outputs).
			const out = await this.session.run(feeds, this.outputs);
			const logits = out.logits;
			const [, seq, vocab] = logits.dims as number[];
			const data = logits.data as Float32Array;
			let best = 0;
			const base = (seq - 1) * vocab;
			for (let v = 1; v < vocab; v++) {
				if (data[base + v] > data[base + best]) {
					best = v;
				}
			}
			if (pass === 0 && firstToken !== undefined) {
				best = firstToken;
			}
			chosen.push(best);
			past = {};
			for (const [name, tensor] of Object.entries(out)) {
				if (name.startsWith('present')) {
					past[name.replace('present', 'past_key_values')] = tensor;
				}
			}
			position = total;
			input = [best];
		}
		return chosen;
	}
}
