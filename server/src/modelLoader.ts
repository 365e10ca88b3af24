/**
 * Loading a model with transformers.js: resolve the setting to a folder or a
 * hub id, check a folder before handing it over (so a missing or corrupt
 * model gives a message that names the problem), ask before any download,
 * and fall back to the CPU when the chosen device is not there.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
	AutoModelForCausalLM,
	AutoTokenizer,
	env,
	type PreTrainedModel,
	type PreTrainedTokenizer,
} from '@huggingface/transformers';
import type { Device, Dtype } from '../../protocol/settings';
import { familyFor, resolveModelSource, type FamilySpec, type ModelSource, type ModelSpec } from './modelRegistry';
import { ModelRunner, type PassRunner } from './modelRunner';
import { WorkerRunner } from './workerRunner';
import { TokenCodec } from './tokenCodec';
import type { FimTokenIds } from './prompt';

export interface LoadRequest {
	model: string;
	device: Device;
	dtype: Dtype;
	allowDownloads: boolean;
}

export interface LoaderHooks {
	/** Ask the user before downloading `model`; false cancels the load. */
	confirmDownload(model: string): Promise<boolean>;
	onDownloadProgress(fraction: number, file: string): void;
	log(message: string): void;
}

export interface LoadedModel {
	request: LoadRequest;
	label: string;
	codec: TokenCodec;
	family: FamilySpec;
	spec: ModelSpec | undefined;
	fim: FimTokenIds | null;
	stopIds: Set<number>;
	/** Control tokens that are never output (FIM markers and the like): all special tokens but the stops. */
	bannedIds: Set<number>;
	/** Tokens to put before a prompt that begins with plain text (registry: documentStart). */
	startIds: number[];
	/** Runs forward passes on the model's ONNX session; disposing it frees the model. */
	runner: PassRunner;
	layers: number;
	heads: number;
	hasAttention: boolean;
	contextLength: number;
	device: Device;
	dtype: string;
	/** Set when the model runs elsewhere than asked (device fallback). */
	notice: string | undefined;
}

/** A model opened but not yet described. */
interface Opened {
	tokenizer: PreTrainedTokenizer;
	runner: PassRunner;
	config: Record<string, unknown>;
}

const HEAD_KEYS = ['num_attention_heads', 'n_head', 'num_heads'];

/** Passes on transformers.js' own session, on this thread (GPU devices, whose sessions transformers.js sets up). */
function inThreadRunner(model: PreTrainedModel, label: string): PassRunner {
	const session = (model as unknown as { sessions: Record<string, ConstructorParameters<typeof ModelRunner>[0]> }).sessions.model;
	if (!session) {
		void model.dispose();
		throw new ModelLoadError(`${label} is not a decoder-only model (no 'model' ONNX session).`);
	}
	const config = model.config as unknown as Record<string, unknown>;
	return new ModelRunner(session, num(config, ...HEAD_KEYS) ?? 0, async () => {
		await model.dispose();
	});
}

/** An error whose message is written for the user. */
export class ModelLoadError extends Error {}

const DTYPE_SUFFIX: Record<Exclude<Dtype, 'auto'>, string> = {
	fp32: '',
	fp16: '_fp16',
	q8: '_quantized',
	q4: '_q4',
	q4f16: '_q4f16',
};

/** transformers.js resolves every path itself; point them at our storage, never at the bundle. */
export function configureEnvironment(storagePath: string): void {
	env.allowLocalModels = true;
	env.allowRemoteModels = false;
	env.localModelPath = path.join(storagePath, 'local-models');
	env.cacheDir = path.join(storagePath, 'hub-cache');
	env.useFSCache = true;
}

/** Missing files of a model folder, for the given dtype. */
export function missingModelFiles(folder: string, dtype: string): string[] {
	const suffix = DTYPE_SUFFIX[dtype as Exclude<Dtype, 'auto'>] ?? '';
	const required = ['config.json', 'tokenizer.json', 'tokenizer_config.json', `onnx/model${suffix}.onnx`];
	return required.filter((f) => !fs.existsSync(path.join(folder, f)));
}

function readConfig(folder: string): Record<string, unknown> {
	const file = path.join(folder, 'config.json');
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
	} catch (e) {
		throw new ModelLoadError(`The model's config.json at ${file} is not valid JSON: ${(e as Error).message}`);
	}
}

function num(config: Record<string, unknown>, ...keys: string[]): number | undefined {
	for (const key of keys) {
		const v = config[key];
		if (typeof v === 'number' && Number.isFinite(v)) {
			return v;
		}
	}
	return undefined;
}

/**
 * Opens the model `request.model` names ('embedded', a folder, or a hub id,
 * downloaded once when `request.allowDownloads` and `hooks.confirmDownload`
 * agree) with its tokenizer, on `request.device`, falling back to the CPU
 * with a notice when that device fails. Throws ModelLoadError with a message
 * for the user: a setting that names nothing, a missing or incomplete folder,
 * invalid config.json, a hub model not on disk without consent, a declined
 * download, or what onnxruntime reported (first line).
 */
export async function loadModel(request: LoadRequest, extensionPath: string, hooks: LoaderHooks): Promise<LoadedModel> {
	let source: ModelSource;
	try {
		source = resolveModelSource(request.model, extensionPath, os.homedir());
	} catch (e) {
		throw new ModelLoadError((e as Error).message);
	}
	const dtype = request.dtype === 'auto' ? (source.spec?.dtype ?? 'fp32') : request.dtype;
	const label = source.spec?.label ?? (source.kind === 'hub' ? source.id : path.basename(source.path));

	let location: string;
	if (source.kind === 'folder') {
		if (!fs.existsSync(source.path) || !fs.statSync(source.path).isDirectory()) {
			throw new ModelLoadError(`Model folder not found: ${source.path}. Check the glassbox.model setting.`);
		}
		const missing = missingModelFiles(source.path, dtype);
		if (missing.length > 0) {
			throw new ModelLoadError(
				`The model folder ${source.path} is incomplete: missing ${missing.join(', ')}. A model folder needs the transformers.js layout (config.json, tokenizer.json, tokenizer_config.json, onnx/model*.onnx).`,
			);
		}
		readConfig(source.path);
		location = source.path;
	} else {
		location = source.id;
	}

	const suffix = DTYPE_SUFFIX[dtype as Exclude<Dtype, 'auto'>] ?? '';
	const progress_callback = (p: { status?: string; progress?: number; file?: string }) => {
		if (p.status === 'progress' && typeof p.progress === 'number') {
			hooks.onDownloadProgress(p.progress / 100, p.file ?? '');
		}
	};
	/** The model's files on disk: the folder, or the hub model's copy in the cache. */
	const folder = () => (source.kind === 'folder' ? source.path : path.join(env.cacheDir ?? '', source.id));

	const load = async (device: Device, remote: boolean): Promise<Opened> => {
		env.allowRemoteModels = remote;
		try {
			const tokenizer = (await AutoTokenizer.from_pretrained(location, { progress_callback })) as PreTrainedTokenizer;
			if (device === 'cpu' && !remote) {
				// On the CPU the passes run in a worker thread, on a session of its own (workerRunner.ts).
				const config = readConfig(folder());
				const runner = await WorkerRunner.open({
					modelPath: path.join(folder(), 'onnx', `model${suffix}.onnx`),
					heads: num(config, ...HEAD_KEYS) ?? 0,
					log: (m) => hooks.log(m),
				});
				return { tokenizer, runner, config };
			}
			const model = (await AutoModelForCausalLM.from_pretrained(location, {
				device,
				dtype: dtype as 'fp32',
				progress_callback,
			})) as PreTrainedModel;
			if (device === 'cpu') {
				// Just downloaded: open the cached files the way every later start will.
				await model.dispose();
				env.allowRemoteModels = false;
				return await load(device, false);
			}
			return { tokenizer, runner: inThreadRunner(model, label), config: model.config as unknown as Record<string, unknown> };
		} finally {
			env.allowRemoteModels = false;
		}
	};

	const attempt = async (device: Device) => {
		if (source.kind === 'folder') {
			return load(device, false);
		}
		// transformers.js keeps hub files at <cacheDir>/<id>/<file>.
		if (env.cacheDir && missingModelFiles(path.join(env.cacheDir, source.id), dtype).length === 0) {
			return load(device, false);
		}
		if (!request.allowDownloads) {
			throw new ModelLoadError(
				`${source.id} is not on this machine. Turn on glassbox.allowDownloads to download it once (from huggingface.co), or point glassbox.model at a local folder.`,
			);
		}
		if (!(await hooks.confirmDownload(source.id))) {
			throw new ModelLoadError(`Download of ${source.id} was declined.`);
		}
		hooks.log(`Downloading ${source.id} into ${env.cacheDir}`);
		return load(device, true);
	};

	let loaded: Opened;
	let device = request.device;
	let notice: string | undefined;
	try {
		loaded = await attempt(device);
	} catch (e) {
		if (device === 'cpu' || e instanceof ModelLoadError) {
			throw wrap(e, label);
		}
		notice = `${device} is not available here (${firstLine(e)}); running on the CPU.`;
		hooks.log(notice);
		device = 'cpu';
		try {
			loaded = await attempt(device);
		} catch (e2) {
			throw wrap(e2, label);
		}
	}
	try {
		return describe(loaded, { request, label, source, device, dtype, notice });
	} catch (e) {
		await loaded.runner.dispose();
		throw e;
	}
}

function firstLine(e: unknown): string {
	return String(e instanceof Error ? e.message : e).split('\n')[0].slice(0, 300);
}

function wrap(e: unknown, label: string): Error {
	if (e instanceof ModelLoadError) {
		return e;
	}
	return new ModelLoadError(`Could not load ${label}: ${firstLine(e)}`);
}

function describe(
	{ tokenizer, runner, config }: Opened,
	info: { request: LoadRequest; label: string; source: ModelSource; device: Device; dtype: string; notice: string | undefined },
): LoadedModel {
	const codec = new TokenCodec(tokenizer);
	const layers = num(config, 'num_hidden_layers', 'n_layer', 'num_layers') ?? runner.attentionLayers;
	const heads = num(config, ...HEAD_KEYS) ?? 0;
	const family = familyFor(info.source.spec, (t) => codec.idOf(t) !== undefined);
	const fimIds = family.fim
		? { prefix: codec.idOf(family.fim.prefix), suffix: codec.idOf(family.fim.suffix), middle: codec.idOf(family.fim.middle) }
		: undefined;
	const fim: FimTokenIds | null =
		fimIds && fimIds.prefix !== undefined && fimIds.suffix !== undefined && fimIds.middle !== undefined
			? { prefix: fimIds.prefix, suffix: fimIds.suffix, middle: fimIds.middle, order: family.fim?.order ?? 'psm' }
			: null;
	const stopIds = new Set<number>();
	for (const t of family.stop) {
		const id = codec.idOf(t);
		if (id !== undefined) {
			stopIds.add(id);
		}
	}
	if (codec.eosTokenId !== undefined) {
		stopIds.add(codec.eosTokenId);
	}
	const startId = family.documentStart === undefined ? undefined : codec.idOf(family.documentStart);
	const tokenizerMax = Number(tokenizer.model_max_length);
	const contextLength =
		num(config, 'n_positions', 'max_position_embeddings', 'n_ctx') ??
		(Number.isFinite(tokenizerMax) && tokenizerMax < 1e6 ? tokenizerMax : 2048);
	return {
		request: info.request,
		label: info.label,
		codec,
		family,
		spec: info.source.spec,
		fim,
		stopIds,
		bannedIds: new Set(codec.specialIds.filter((id) => !stopIds.has(id))),
		startIds: startId === undefined ? [] : [startId],
		layers,
		heads,
		runner,
		hasAttention: runner.attentionLayers === layers && layers > 0 && heads > 0,
		contextLength,
		device: info.device,
		dtype: info.dtype,
		notice: info.notice,
	};
}
