/**
 * Loading a model with transformers.js: resolve the setting to a folder or a
 * hub id, choose the dtype, check a folder before handing it over (so a
 * missing or corrupt model gives a message that names the problem), ask
 * before any download (hubDownload.ts), fall back to the CPU when the chosen
 * device is not there, and check that the outputs mean something
 * (sanityCheck.ts) before the model is used.
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
import type { Backend, Device, Dtype } from '../../protocol/settings';
import { chooseHubDtype, configureHub, DownloadError, downloadHubModel } from './hubDownload';
import { completeDownload, downloadedDtype } from './downloadManifest';
import { dtypeInFolder, findWeights, missingModelFiles, weightBase, type ConcreteDtype } from './modelFiles';
import { familyFor, resolveModelSource, type FamilySpec, type ModelSource, type ModelSpec } from './modelRegistry';
import { ModelRunner, type PassRunner } from './modelRunner';
import { WorkerRunner } from './workerRunner';
import { TokenCodec } from './tokenCodec';
import type { FimTokenIds } from './prompt';
import type { PromptCodec } from './promptCodec';
import type { RemoteModel } from './remoteModel';
import { judgeLogits, SANITY_PROMPT } from './sanityCheck';

export interface LoadRequest {
	model: string;
	device: Device;
	dtype: Dtype;
	allowDownloads: boolean;
	/** Set when an inference server runs the model instead (glassbox.backend); `model` then only offers its tokenizer. */
	server?: ServerRequest;
}

/** The inference server to use, from the settings. */
export interface ServerRequest {
	backend: Exclude<Backend, 'local'>;
	/** The URL in effect (serverUrlOf). */
	url: string;
	model: string;
	family: string;
	timeoutMs: number;
}

export interface LoaderHooks {
	/** Ask the user before downloading `model` from `host`; false cancels the load. */
	confirmDownload(model: string, host: string): Promise<boolean>;
	/** Download progress over all files: fraction 0..1, the file being fetched, bytes so far and in all. */
	onDownloadProgress(fraction: number, file: string, loaded: number, total: number): void;
	log(message: string): void;
}

/** What the host knows of any model it serves, on this machine (LocalModel) or on an inference server (RemoteModel). */
export interface ModelFacts {
	request: LoadRequest;
	label: string;
	codec: PromptCodec;
	family: FamilySpec;
	spec: ModelSpec | undefined;
	fim: FimTokenIds | null;
	stopIds: Set<number>;
	/** Control tokens that are never output (FIM markers and the like): all special tokens but the stops. */
	bannedIds: Set<number>;
	/** Tokens to put before a prompt that begins with plain text (registry: documentStart). */
	startIds: number[];
	layers: number;
	heads: number;
	hasAttention: boolean;
	contextLength: number;
	/** Where it runs: a device, or the server's kind. */
	device: string;
	dtype: string;
	/** The weights file loaded, relative to the model folder (e.g. onnx/model_quantized.onnx). */
	weights: string;
	/** Something the user should know: a device fallback, a server model without FIM. */
	notice: string | undefined;
}

/** A model on this machine, run by onnxruntime. */
export interface LocalModel extends ModelFacts {
	kind: 'local';
	codec: TokenCodec;
	/** Runs forward passes on the model's ONNX session; disposing it frees the model. */
	runner: PassRunner;
	device: Device;
}

/** What the host serves: a local model or an inference server's. */
export type LoadedModel = LocalModel | RemoteModel;

/** A model opened but not yet described. */
interface Opened {
	tokenizer: PreTrainedTokenizer;
	runner: PassRunner;
	config: Record<string, unknown>;
}

const HEAD_KEYS = ['num_attention_heads', 'n_head', 'num_heads'];
/** Heads of the KV cache: fewer than the query heads with grouped-query attention (Qwen2: 2 for 14). */
const CACHE_HEAD_KEYS = ['num_key_value_heads', ...HEAD_KEYS];

/** Passes on transformers.js' own session, on this thread (GPU devices, whose sessions transformers.js sets up). */
function inThreadRunner(model: PreTrainedModel, label: string): PassRunner {
	const session = (model as unknown as { sessions: Record<string, ConstructorParameters<typeof ModelRunner>[0]> }).sessions.model;
	if (!session) {
		void model.dispose();
		throw new ModelLoadError(`${label} is not a decoder-only model (no 'model' ONNX session).`);
	}
	const config = model.config as unknown as Record<string, unknown>;
	return new ModelRunner(session, num(config, ...CACHE_HEAD_KEYS) ?? 0, async () => {
		await model.dispose();
	});
}

/** An error whose message is written for the user. */
export class ModelLoadError extends Error {}

/** transformers.js resolves every path itself; point them at our storage, never at the bundle, and at the hub (HF_ENDPOINT). */
export function configureEnvironment(storagePath: string): void {
	env.allowLocalModels = true;
	env.allowRemoteModels = false;
	env.localModelPath = path.join(storagePath, 'local-models');
	env.cacheDir = path.join(storagePath, 'hub-cache');
	env.useFSCache = true;
	configureHub();
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

/** Where the model's files are on disk, and which weights to load. */
interface Located {
	folder: string;
	dtype: ConcreteDtype;
	/** The weights file, relative to the folder (either layout's name). */
	weights: string;
}

async function locate(source: ModelSource, request: LoadRequest, hooks: LoaderHooks): Promise<Located> {
	const chosen = request.dtype === 'auto' ? (source.spec?.dtype as ConcreteDtype | undefined) : request.dtype;
	if (source.kind === 'folder') {
		if (!fs.existsSync(source.path) || !fs.statSync(source.path).isDirectory()) {
			throw new ModelLoadError(`Model folder not found: ${source.path}. Check the glassbox.model setting.`);
		}
		const dtype = chosen ?? dtypeInFolder(source.path);
		const missing = missingModelFiles(source.path, dtype);
		if (missing.length > 0) {
			throw new ModelLoadError(
				`The model folder ${source.path} is incomplete: missing ${missing.join(', ')}. A model folder needs the transformers.js layout (config.json, tokenizer.json, tokenizer_config.json, onnx/model*.onnx or onnx/decoder_model_merged*.onnx).`,
			);
		}
		readConfig(source.path);
		return { folder: source.path, dtype, weights: findWeights(source.path, dtype)! };
	}
	// transformers.js keeps hub files at <cacheDir>/<id>/<file>.
	const cacheDir = env.cacheDir ?? '';
	const folder = path.join(cacheDir, source.id);
	// Offline, an `auto` dtype for an unknown model is whatever was downloaded before. Only a
	// download that finished counts: its manifest lists every file with its size.
	let dtype = chosen ?? downloadedDtype(folder);
	const done = dtype && completeDownload(folder, dtype);
	if (dtype && done) {
		readConfig(folder);
		return { folder, dtype, weights: done };
	}
	if (!request.allowDownloads) {
		throw new ModelLoadError(
			`${source.id} is not on this machine. Turn on glassbox.allowDownloads to download it once (from ${new URL(env.remoteHost).host}), or point glassbox.model at a local folder.`,
		);
	}
	if (!(await hooks.confirmDownload(source.id, new URL(env.remoteHost).host))) {
		throw new ModelLoadError(`Download of ${source.id} was declined.`);
	}
	try {
		dtype ??= await chooseHubDtype(source.id, hooks.log);
		await downloadHubModel(source.id, dtype, cacheDir, {
			onProgress: (loaded, total, file) => hooks.onDownloadProgress(total > 0 ? loaded / total : 0, file, loaded, total),
			log: hooks.log,
		});
	} catch (e) {
		throw e instanceof DownloadError ? new ModelLoadError(e.message) : e;
	}
	readConfig(folder);
	return { folder, dtype, weights: findWeights(folder, dtype)! };
}

/**
 * Opens the model `request.model` names ('embedded', a folder, or a hub id,
 * downloaded once from HF_ENDPOINT or huggingface.co when
 * `request.allowDownloads` and `hooks.confirmDownload` agree) with its
 * tokenizer, on `request.device`, falling back to the CPU with a notice when
 * that device fails. Throws ModelLoadError with a message
 * for the user: a setting that names nothing, a missing or incomplete folder,
 * invalid config.json, a hub model not on disk without consent, a declined
 * download or a failed one (hubDownload.ts), a model that fails the load-time
 * check (sanityCheck.ts), or what onnxruntime reported (first line).
 */
export async function loadModel(request: LoadRequest, extensionPath: string, hooks: LoaderHooks): Promise<LocalModel> {
	let source: ModelSource;
	try {
		source = resolveModelSource(request.model, extensionPath, os.homedir());
	} catch (e) {
		throw new ModelLoadError((e as Error).message);
	}
	const label = source.spec?.label ?? (source.kind === 'hub' ? source.id : path.basename(source.path));
	let located: Located;
	try {
		located = await locate(source, request, hooks);
	} catch (e) {
		throw wrap(e, label);
	}
	const { folder, dtype, weights } = located;

	const open = async (device: Device): Promise<Opened> => {
		const tokenizer = (await AutoTokenizer.from_pretrained(folder)) as PreTrainedTokenizer;
		if (device === 'cpu') {
			// On the CPU the passes run in a worker thread, on a session of its own (workerRunner.ts).
			const config = readConfig(folder);
			const runner = await WorkerRunner.open({
				modelPath: path.join(folder, weights),
				heads: num(config, ...CACHE_HEAD_KEYS) ?? 0,
				log: (m) => hooks.log(m),
			});
			return { tokenizer, runner, config };
		}
		const model = (await AutoModelForCausalLM.from_pretrained(folder, {
			device,
			dtype,
			model_file_name: weightBase(weights),
		})) as PreTrainedModel;
		return { tokenizer, runner: inThreadRunner(model, label), config: model.config as unknown as Record<string, unknown> };
	};

	let loaded: Opened;
	let device = request.device;
	let notice: string | undefined;
	try {
		loaded = await open(device);
	} catch (e) {
		if (device === 'cpu' || e instanceof ModelLoadError) {
			throw wrap(e, label);
		}
		notice = `${device} is not available here (${firstLine(e)}); running on the CPU.`;
		hooks.log(notice);
		device = 'cpu';
		try {
			loaded = await open(device);
		} catch (e2) {
			throw wrap(e2, label);
		}
	}
	try {
		const model = describe(loaded, { request, label, source, device, dtype, weights, notice });
		await checkOutputs(model, weights);
		return model;
	} catch (e) {
		await loaded.runner.dispose();
		throw e;
	}
}

/** The load-time sanity check (sanityCheck.ts): one pass over a fixed prompt. */
async function checkOutputs(model: LocalModel, weights: string): Promise<void> {
	const sequence = model.runner.start();
	let logits: Float32Array;
	try {
		logits = (await sequence.feed([...model.startIds, ...model.codec.encode(SANITY_PROMPT)], null)).logits;
	} finally {
		sequence.release();
	}
	const verdict = judgeLogits(logits);
	if (!verdict.ok) {
		throw new ModelLoadError(
			`${model.label} (${model.dtype}, ${weights}) loaded, but ${verdict.problem}: its outputs would be garbage. ` +
				'The file or this dtype is broken: try another glassbox.dtype, or another model.',
		);
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
	info: { request: LoadRequest; label: string; source: ModelSource; device: Device; dtype: string; weights: string; notice: string | undefined },
): LocalModel {
	const codec = new TokenCodec(tokenizer);
	const layers = num(config, 'num_hidden_layers', 'n_layer', 'num_layers') ?? runner.attentionLayers;
	const heads = num(config, ...HEAD_KEYS) ?? 0;
	const tokens = tokenFacts(codec, familyFor(info.source.spec, (t) => codec.idOf(t) !== undefined));
	const tokenizerMax = Number(tokenizer.model_max_length);
	const contextLength =
		num(config, 'n_positions', 'max_position_embeddings', 'n_ctx') ??
		(Number.isFinite(tokenizerMax) && tokenizerMax < 1e6 ? tokenizerMax : 2048);
	return {
		kind: 'local',
		request: info.request,
		label: info.label,
		spec: info.source.spec,
		...tokens,
		layers,
		heads,
		runner,
		hasAttention: runner.attentionLayers === layers && layers > 0 && heads > 0,
		contextLength,
		device: info.device,
		dtype: info.dtype,
		weights: info.weights,
		notice: info.notice,
	};
}

/** A model's family and the token ids the prompt code uses: FIM markers, stops, control tokens never output, the document start. */
export interface TokenFacts {
	codec: TokenCodec;
	family: FamilySpec;
	fim: FimTokenIds | null;
	stopIds: Set<number>;
	bannedIds: Set<number>;
	startIds: number[];
}

/** The token facts of `family` in a local tokenizer (a local model's, or a server's that runs the same model). */
export function tokenFacts(codec: TokenCodec, family: FamilySpec): TokenFacts {
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
	return {
		codec,
		family,
		fim,
		stopIds,
		bannedIds: new Set(codec.specialIds.filter((id) => !stopIds.has(id))),
		startIds: startId === undefined ? [] : [startId],
	};
}

/**
 * The tokenizer of the model a setting names, with the family it belongs to, when its files
 * are on this machine (the embedded model, a folder, a hub model downloaded before); undefined
 * otherwise. Loads no weights and downloads nothing: an inference server runs the model.
 */
export async function localTokenizer(setting: string, extensionPath: string): Promise<{ codec: TokenCodec; family: FamilySpec } | undefined> {
	let folder: string;
	let spec: ModelSpec | undefined;
	try {
		const source = resolveModelSource(setting, extensionPath, os.homedir());
		folder = source.kind === 'folder' ? source.path : path.join(env.cacheDir ?? '', source.id);
		spec = source.spec;
	} catch {
		return undefined;
	}
	if (!fs.existsSync(path.join(folder, 'tokenizer.json'))) {
		return undefined;
	}
	try {
		const codec = new TokenCodec((await AutoTokenizer.from_pretrained(folder)) as PreTrainedTokenizer);
		return { codec, family: familyFor(spec, (t) => codec.idOf(t) !== undefined) };
	} catch {
		return undefined;
	}
}
