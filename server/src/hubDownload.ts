/**
 * Downloading a hub model into the extension's storage, with transformers.js'
 * own download code (it writes each file to a temporary name and renames it
 * when complete, so an interrupted download leaves no half-written file).
 * Around it: the hub endpoint (HF_ENDPOINT, for mirrors and the tests), which
 * dtype and file name a repository has, a check for disk space and a
 * writable cache before the first byte, progress over all files, a size check
 * after each file, a manifest once all are whole (downloadManifest.ts), and a
 * message for each way a download fails.
 */
import * as fs from 'fs';
import * as path from 'path';
import { AutoModelForCausalLM, AutoTokenizer, env, type PreTrainedModel } from '@huggingface/transformers';
import { recordDownload } from './downloadManifest';
import { DTYPE_SUFFIX, OPTIONAL_FILES, REQUIRED_FILES, weightBase, weightCandidates, type ConcreteDtype } from './modelFiles';

export const DEFAULT_HUB = 'https://huggingface.co/';

/**
 * The hub's base URL: HF_ENDPOINT (huggingface_hub's variable for a mirror)
 * when set in the language server's environment, else huggingface.co. Never
 * a workspace setting, so a repository cannot redirect downloads.
 */
export function hubEndpoint(environment: NodeJS.ProcessEnv = process.env): string {
	const value = environment.HF_ENDPOINT?.trim();
	if (!value) {
		return DEFAULT_HUB;
	}
	const url = new URL(value); // throws on a malformed value: better than downloading from somewhere unexpected
	return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

/** Set when HF_ENDPOINT is not a URL: downloads then fail with this, rather than go to another host. */
let endpointProblem: string | undefined;

/** Points transformers.js' remote host at the endpoint (its path template is the hub's: {model}/resolve/{revision}/). */
export function configureHub(environment: NodeJS.ProcessEnv = process.env): void {
	try {
		env.remoteHost = hubEndpoint(environment);
		endpointProblem = undefined;
	} catch {
		endpointProblem = `HF_ENDPOINT is set to "${environment.HF_ENDPOINT}", which is not a URL: fix or unset it to download models.`;
	}
	env.remotePathTemplate = '{model}/resolve/{revision}/';
}

/** A message for the user (the loader passes it on as the model's error). */
export class DownloadError extends Error {}

export interface DownloadHooks {
	/** Bytes of all files so far and in all (the total from the hub's sizes), and the file being fetched. */
	onProgress(loaded: number, total: number, file: string): void;
	log(message: string): void;
}

function fileUrl(id: string, file: string): string {
	return `${env.remoteHost}${id}/resolve/main/${file}`;
}

function hostOf(): string {
	return new URL(env.remoteHost).host;
}

/** What a network error says, with its cause (undici hides the useful part there). */
function networkReason(e: unknown): string {
	const err = e as Error & { cause?: { message?: string; code?: string } };
	const cause = err.cause?.code ?? err.cause?.message;
	return cause ? `${err.message}: ${cause}` : String(err.message ?? e);
}

/** Size of a hub file from a one-byte range request; undefined when the repository has no such file. */
async function probe(id: string, file: string): Promise<{ size: number | undefined } | undefined> {
	if (endpointProblem) {
		throw new DownloadError(endpointProblem);
	}
	let res: Response;
	try {
		res = await fetch(fileUrl(id, file), { headers: { Range: 'bytes=0-0' } });
	} catch (e) {
		throw new DownloadError(`Cannot reach ${hostOf()} to download ${id} (${networkReason(e)}). Check the connection (or HF_ENDPOINT), then load the model again.`);
	}
	await res.body?.cancel().catch(() => undefined);
	if (res.status === 404) {
		return undefined;
	}
	if (res.status === 401 || res.status === 403) {
		// The hub answers 401 for a repository that does not exist (and for a gated one without a token).
		throw new DownloadError(`${id} was not found on ${hostOf()} (HTTP ${res.status}): check the model id.`);
	}
	if (res.status !== 200 && res.status !== 206) {
		throw new DownloadError(`${hostOf()} answered HTTP ${res.status} for ${id}/${file}. Try again later.`);
	}
	const range = /\/(\d+)$/.exec(res.headers.get('content-range') ?? '');
	const length = res.headers.get('content-length');
	const size = range ? Number(range[1]) : res.status === 200 && length ? Number(length) : undefined;
	return { size };
}

/** The weights file of `dtype` in the repository (either layout), with its size. */
async function findRemoteWeights(id: string, dtype: ConcreteDtype): Promise<{ file: string; size: number | undefined } | undefined> {
	for (const file of weightCandidates(dtype)) {
		const found = await probe(id, file);
		if (found) {
			return { file, size: found.size };
		}
	}
	return undefined;
}

/** Dtypes the CPU runtime loads (q4f16 and fp16 exports are reported failing or slow in Node), smallest files first. */
const AUTO_DTYPES: ConcreteDtype[] = ['q8', 'q4', 'fp32'];

/**
 * The dtype for a hub model the registry does not know, when the setting is
 * `auto`: of the dtypes that load on the CPU, the one with the smallest file.
 */
export async function chooseHubDtype(id: string, log: (m: string) => void): Promise<ConcreteDtype> {
	const found: { dtype: ConcreteDtype; size: number }[] = [];
	for (const dtype of AUTO_DTYPES) {
		const weights = await findRemoteWeights(id, dtype);
		if (weights) {
			found.push({ dtype, size: weights.size ?? Number.POSITIVE_INFINITY });
		}
	}
	if (found.length === 0) {
		throw new DownloadError(`${id} has no ONNX weights that load here (looked for ${AUTO_DTYPES.flatMap(weightCandidates).join(', ')}).`);
	}
	found.sort((a, b) => a.size - b.size);
	log(`${id}: ${found.map((f) => `${f.dtype} ${megabytes(f.size)}`).join(', ')}; choosing ${found[0].dtype}.`);
	return found[0].dtype;
}

function megabytes(bytes: number): string {
	return Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(1)} MB` : 'size unknown';
}

/** Free bytes where `dir` is (or would be created). */
function freeBytes(dir: string): number | undefined {
	try {
		const s = fs.statfsSync(nearestExisting(dir));
		return s.bavail * s.bsize;
	} catch {
		return undefined;
	}
}

function errorCode(e: unknown): string | undefined {
	const code = (e as { code?: unknown }).code;
	return typeof code === 'string' ? code : undefined;
}

/** The message for a failure while writing into the cache, or undefined when it was something else. */
function storageProblem(e: unknown, id: string, cacheDir: string): string | undefined {
	const code = errorCode(e);
	if (code === 'ENOSPC' || code === 'EDQUOT') {
		return `The disk holding ${cacheDir} is full: ${id} could not be saved. Nothing partial was kept; free some space and load the model again.`;
	}
	if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
		return `The model cache ${cacheDir} is not writable (${code}), so ${id} cannot be downloaded into it. Make the folder writable, then load the model again.`;
	}
	return undefined;
}

/** The folder itself, or its nearest ancestor that exists. */
function nearestExisting(dir: string): string {
	let at = dir;
	while (!fs.existsSync(at) && path.dirname(at) !== at) {
		at = path.dirname(at);
	}
	return at;
}

/** Create the model's cache folder and write a file in it, so a read-only cache fails before any download. */
function checkWritable(dir: string, id: string, cacheDir: string): void {
	try {
		// access() reports a read-only file system (EROFS) even to root, where a recursive mkdir says ENOENT.
		fs.accessSync(nearestExisting(dir), fs.constants.W_OK);
		fs.mkdirSync(dir, { recursive: true });
		const probeFile = path.join(dir, `.glassbox-write-test-${process.pid}`);
		fs.writeFileSync(probeFile, '');
		fs.unlinkSync(probeFile);
	} catch (e) {
		throw new DownloadError(storageProblem(e, id, cacheDir) ?? `Cannot use the model cache ${cacheDir}: ${(e as Error).message}`);
	}
}

interface Planned {
	file: string;
	size: number | undefined;
}

/**
 * Download `id`'s files for `dtype` into `<cacheDir>/<id>/` (transformers.js'
 * layout there), skipping files already complete. Resolves when every file
 * is on disk with the size the hub announced; rejects with a DownloadError
 * whose message says what happened and that loading again retries.
 */
export async function downloadHubModel(id: string, dtype: ConcreteDtype, cacheDir: string, hooks: DownloadHooks): Promise<void> {
	const folder = path.join(cacheDir, id);
	const weights = await findRemoteWeights(id, dtype);
	if (!weights) {
		const others: string[] = [];
		for (const other of Object.keys(DTYPE_SUFFIX) as ConcreteDtype[]) {
			if (other !== dtype && (await findRemoteWeights(id, other))) {
				others.push(other);
			}
		}
		throw new DownloadError(
			`${id} has no ${dtype} weights on ${hostOf()} (no ${weightCandidates(dtype).join(' or ')}: HTTP 404). ` +
				(others.length > 0 ? `It has ${others.join(', ')}: set glassbox.dtype to one of them.` : 'It has no ONNX weights that Glassbox can load.'),
		);
	}
	const plan: Planned[] = [];
	for (const file of [...REQUIRED_FILES, ...OPTIONAL_FILES]) {
		const found = await probe(id, file);
		if (!found && (REQUIRED_FILES as readonly string[]).includes(file)) {
			throw new DownloadError(`${id} is not a model Glassbox can load: it has no ${file}.`);
		}
		if (found) {
			plan.push({ file, size: found.size });
		}
	}
	plan.push(weights);
	// Large exports keep their weights beside the graph: <file>_data, then <file>_data_1, _data_2, ...
	for (let chunk = 0; chunk < 100; chunk++) {
		const file = `${weights.file}_data${chunk === 0 ? '' : `_${chunk}`}`;
		const found = await probe(id, file);
		if (!found) {
			break;
		}
		plan.push({ file, size: found.size });
	}
	// transformers.js takes any file already in its cache as done: one of another size is stale and goes.
	const todo = plan.filter((p) => {
		const at = path.join(folder, p.file);
		if (fs.existsSync(at) && p.size !== undefined && fs.statSync(at).size !== p.size) {
			fs.rmSync(at, { force: true });
		}
		return !fs.existsSync(at);
	});
	const total = todo.reduce((sum, p) => sum + (p.size ?? 0), 0);

	const free = freeBytes(folder);
	if (free !== undefined && total > free) {
		throw new DownloadError(
			`Not enough disk space for ${id}: it needs ${megabytes(total)} and ${megabytes(free)} is free where the model cache is (${cacheDir}). Free some space, then load the model again.`,
		);
	}
	checkWritable(folder, id, cacheDir);
	hooks.log(`Downloading ${id} (${dtype}, ${weights.file}) from ${env.remoteHost}: ${todo.map((p) => `${p.file} ${megabytes(p.size ?? NaN)}`).join(', ')}.`);

	// Progress: bytes of files already finished plus the current file's bytes, over all bytes.
	const loadedByFile = new Map<string, number>();
	const progress_callback = (p: { status?: string; file?: string; loaded?: number }) => {
		if (p.status === 'progress' && p.file && typeof p.loaded === 'number') {
			loadedByFile.set(p.file, p.loaded);
			let loaded = 0;
			loadedByFile.forEach((n) => (loaded += n));
			hooks.onProgress(Math.min(loaded, total), total, p.file);
		}
	};
	const previous = env.allowRemoteModels;
	env.allowRemoteModels = true;
	let failure: unknown;
	try {
		// The tokenizer's files, then config.json, generation_config.json and the weights with the model
		// (which transformers.js opens: a file that does not parse fails here).
		await AutoTokenizer.from_pretrained(id, { progress_callback });
		const model = (await AutoModelForCausalLM.from_pretrained(id, {
			dtype,
			model_file_name: weightBase(weights.file),
			device: 'cpu',
			progress_callback,
		})) as PreTrainedModel;
		await model.dispose();
	} catch (e) {
		failure = e;
	} finally {
		env.allowRemoteModels = previous;
	}
	// A file whose size is not the announced one was cut short on the way (a proxy, a server that
	// closed cleanly too early): it goes, whatever else happened.
	for (const p of plan) {
		const at = path.join(folder, p.file);
		const size = fs.existsSync(at) ? fs.statSync(at).size : undefined;
		if (size !== undefined && p.size !== undefined && size !== p.size) {
			fs.rmSync(at, { force: true });
			throw new DownloadError(
				`The download of ${id} is incomplete: ${p.file} has ${size} bytes, the hub announced ${p.size}. It was deleted; load the model again to download it again.`,
			);
		}
	}
	if (failure !== undefined) {
		throw new DownloadError(describeFailure(failure, id, cacheDir, folder, weights.file));
	}
	const missing = plan.filter((p) => !fs.existsSync(path.join(folder, p.file)));
	if (missing.length > 0) {
		throw new DownloadError(`The download of ${id} did not save ${missing.map((p) => p.file).join(', ')}. Load the model again to retry.`);
	}
	try {
		recordDownload(folder, dtype, weights.file, plan.map((p) => p.file));
	} catch (e) {
		throw new DownloadError(storageProblem(e, id, cacheDir) ?? `Could not record the download of ${id}: ${(e as Error).message}`);
	}
}

/** The user's message for a failed download; deletes a weights file that arrived whole but will not load. */
function describeFailure(e: unknown, id: string, cacheDir: string, folder: string, weightsFile: string): string {
	const storage = storageProblem(e, id, cacheDir);
	if (storage) {
		return storage;
	}
	const message = String((e as Error)?.message ?? e);
	const code = (e as { cause?: { code?: string } }).cause?.code;
	if (message === 'terminated' || message === 'fetch failed' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
		return `The download of ${id} from ${hostOf()} was interrupted (${networkReason(e)}). Nothing partial was kept; load the model again to retry.`;
	}
	if (/\b404\b|could not locate|not found/i.test(message)) {
		return `${id}: a file is missing on ${hostOf()} (${message.split('\n')[0]}).`;
	}
	// The files arrived but onnxruntime could not read the weights: a damaged file must not stay in the cache.
	const weights = path.join(folder, weightsFile);
	if (fs.existsSync(weights)) {
		fs.rmSync(weights, { force: true });
		return `The downloaded ${weightsFile} of ${id} does not load (${message.split('\n')[0].slice(0, 200)}). It was deleted; load the model again to download it again.`;
	}
	return `Downloading ${id} failed: ${message.split('\n')[0].slice(0, 300)}`;
}
