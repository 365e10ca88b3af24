/**
 * The files of a model folder in the transformers.js layout, as the hub's
 * ONNX exports lay them out: config.json, tokenizer.json,
 * tokenizer_config.json, optional generation_config.json, and the weights in
 * onnx/ under one name per dtype. Two generations of exports name the
 * weights differently: onnx-community's `model<suffix>.onnx` and the older
 * Xenova/optimum `decoder_model_merged<suffix>.onnx`.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Dtype } from '../../protocol/settings';

export type ConcreteDtype = Exclude<Dtype, 'auto'>;

/** transformers.js' file suffix per dtype (utils/dtypes.js). */
export const DTYPE_SUFFIX: Record<ConcreteDtype, string> = {
	fp32: '',
	fp16: '_fp16',
	q8: '_quantized',
	q4: '_q4',
	q4f16: '_q4f16',
};

/** ONNX base names, newest layout first. */
export const WEIGHT_BASES = ['model', 'decoder_model_merged'] as const;
export type WeightBase = (typeof WEIGHT_BASES)[number];

export const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;
export const OPTIONAL_FILES = ['generation_config.json'] as const;

/** The weights file of a dtype under one base name, relative to the model folder. */
export function weightFile(base: WeightBase, dtype: ConcreteDtype): string {
	return `onnx/${base}${DTYPE_SUFFIX[dtype]}.onnx`;
}

/** Both names a dtype's weights may have. */
export function weightCandidates(dtype: ConcreteDtype): string[] {
	return WEIGHT_BASES.map((base) => weightFile(base, dtype));
}

/** The base name of a weights file path (for transformers.js' model_file_name). */
export function weightBase(file: string): WeightBase {
	return path.basename(file).startsWith('decoder_model_merged') ? 'decoder_model_merged' : 'model';
}

/** The weights of `dtype` in `folder`, under either name; undefined when neither is there. */
export function findWeights(folder: string, dtype: ConcreteDtype): string | undefined {
	return weightCandidates(dtype).find((f) => fs.existsSync(path.join(folder, f)));
}

/** Missing files of a model folder for the given dtype (the weights listed under their current name). */
export function missingModelFiles(folder: string, dtype: ConcreteDtype): string[] {
	const missing: string[] = REQUIRED_FILES.filter((f) => !fs.existsSync(path.join(folder, f)));
	if (!findWeights(folder, dtype)) {
		missing.push(weightFile('model', dtype));
	}
	return missing;
}

/**
 * The dtype to load from a folder when the setting is `auto` and the registry
 * has no choice: the full-precision weights when present (they are on disk
 * already, so size does not matter), else the first quantized file found.
 */
export function dtypeInFolder(folder: string): ConcreteDtype {
	return weightsInFolder(folder) ?? 'fp32';
}

/** The dtype of the first weights found in `folder` (in dtypeInFolder's order), or undefined when it has none. */
export function weightsInFolder(folder: string): ConcreteDtype | undefined {
	const order: ConcreteDtype[] = ['fp32', 'q8', 'q4', 'fp16', 'q4f16'];
	return order.find((d) => findWeights(folder, d));
}
