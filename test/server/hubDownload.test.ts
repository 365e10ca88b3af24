/**
 * Downloading hub models over real HTTP: the language server, pointed at a
 * hub on 127.0.0.1 with HF_ENDPOINT, downloads the tiny Qwen2 test model
 * with transformers.js' own download code into its storage, starts offline
 * from that cache, and turns each way a download fails into a clear message,
 * keeps nothing half-written, and succeeds when loading again.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HubServer } from '../support/hubServer';
import { REPO_ROOT, ServerHarness } from '../support/serverHarness';

const TEST_MODELS = path.join(REPO_ROOT, 'models', 'test-models');
const REPO = 'glassbox-test/tiny-qwen2';
const MERGED_REPO = 'glassbox-test/tiny-qwen2-merged';
const Q8 = 'onnx/model_quantized.onnx';

/** Files under `dir`, relative, sorted (hidden ones and temporary downloads included). */
function filesUnder(dir: string): string[] {
	if (!fs.existsSync(dir)) {
		return [];
	}
	return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/** Runs `body` with a tmpfs mounted on a new folder (root only: the way to get a full or read-only disk for real). */
async function withTmpfs(options: string, body: (dir: string) => Promise<void>): Promise<void> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-tmpfs-'));
	execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
	try {
		await body(dir);
	} finally {
		execFileSync('umount', [dir]);
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

/** Whether this process may mount a tmpfs (root on Linux); the disk tests are skipped otherwise. */
function canMount(): boolean {
	if (process.platform !== 'linux' || process.getuid?.() !== 0) {
		return false;
	}
	try {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-mount-probe-'));
		execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16k', 'tmpfs', dir]);
		execFileSync('umount', [dir]);
		fs.rmSync(dir, { recursive: true });
		return true;
	} catch {
		return false;
	}
}

describe('hub downloads over HTTP (local hub, tiny Qwen2 test model)', function () {
	this.timeout(120_000);
	let hub: HubServer;
	let server: ServerHarness | undefined;
	const storages: string[] = [];

	before(async () => {
		hub = await HubServer.start({ [REPO]: path.join(TEST_MODELS, 'tiny-qwen2'), [MERGED_REPO]: path.join(TEST_MODELS, 'tiny-qwen2-merged') });
	});
	after(async () => {
		await hub?.close();
		storages.forEach((s) => fs.rmSync(s, { recursive: true, force: true }));
	});
	afterEach(async () => {
		hub.clearFaults();
		await server?.dispose();
		server = undefined;
	});

	function newStorage(): string {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-hub-test-'));
		storages.push(dir);
		return dir;
	}

	async function start(storagePath: string, settings: Record<string, unknown> = {}, endpoint = hub.url): Promise<ServerHarness> {
		server = await ServerHarness.start({
			settings: { model: REPO, allowDownloads: true, ...settings },
			env: { HF_ENDPOINT: endpoint },
			storagePath,
			confirmDownload: true,
		});
		return server;
	}

	const cacheOf = (storage: string, repo = REPO) => path.join(storage, 'hub-cache', repo);

	/** Load again with the same settings (what a retry is), and wait for the outcome. */
	async function retry(s: ServerHarness, settings: Record<string, unknown> = {}) {
		const after = await s.setSettings({ model: REPO, allowDownloads: true, ...settings });
		return s.waitForState(['ready', 'error'], after);
	}

	it('downloads into the storage with progress in the status, then starts offline from the cache', async () => {
		const storage = newStorage();
		hub.fault(REPO, Q8, 'hold');
		const s = await start(storage);
		// While the weights are held halfway, the status shows how far the download got.
		await hub.whenHeld();
		let seen = 0;
		for (;;) {
			const next = await s.waitForState(['downloading', 'ready', 'error'], seen);
			seen = s.statuses.length;
			if (next.state !== 'downloading' || (next.message?.startsWith(`Downloading ${Q8}`) && next.progress! > 0.5)) {
				assert.strictEqual(next.state, 'downloading', next.message);
				assert.ok(next.progress! < 1, `held halfway: ${next.progress}`);
				break;
			}
		}
		hub.clearFaults();
		hub.release();
		const status = await s.waitForState(['ready', 'error'], seen);
		assert.strictEqual(status.state, 'ready', status.message);
		assert.deepStrictEqual(s.confirmations, [REPO], 'the user was asked once');
		// auto: of the dtypes that load on the CPU, the smallest file (the test model's q8, like Qwen2.5-Coder-0.5B's).
		assert.strictEqual(status.dtype, 'q8');
		const downloading = s.statuses.filter((x) => x.state === 'downloading');
		assert.ok(downloading.length > 0, 'the status said downloading');
		assert.ok(downloading.every((x) => x.progress! >= 0 && x.progress! <= 1));
		assert.strictEqual(downloading[downloading.length - 1].progress, 1);
		assert.ok(downloading.some((x) => /^Downloading (onnx\/model_quantized\.onnx|[\w.]+\.json) \(\d+\.\d of \d+\.\d MB\)$/.test(x.message ?? '')), JSON.stringify(downloading));
		// The files, and the manifest that says the download finished.
		assert.deepStrictEqual(filesUnder(cacheOf(storage)), ['.glassbox-download.json', 'config.json', 'generation_config.json', Q8, 'tokenizer.json', 'tokenizer_config.json']);
		// The weights came the hub's way: a redirect to LFS storage, then the file.
		const weights = hub.requestsFor(REPO).filter((r) => r.path.endsWith(Q8) && !r.range);
		assert.deepStrictEqual(weights.map((r) => r.status), [302, 200]);
		await s.dispose();
		server = undefined;

		// A second start needs no network: the hub is not asked anything, and there is no question.
		const asked = hub.requests.length;
		const again = await start(storage, {}, 'http://127.0.0.1:9/');
		const second = await again.waitForState(['ready', 'error']);
		assert.strictEqual(second.state, 'ready', second.message);
		assert.strictEqual(second.dtype, 'q8');
		assert.strictEqual(hub.requests.length, asked);
		assert.deepStrictEqual(again.confirmations, []);
		await again.dispose();
		server = undefined;

		// Weights damaged in the cache afterwards (a disk error, a copy cut short) are not loaded: downloaded again.
		const weightsPath = path.join(cacheOf(storage), Q8);
		fs.truncateSync(weightsPath, 1000);
		const third = await start(storage);
		const repaired = await third.waitForState(['ready', 'error']);
		assert.strictEqual(repaired.state, 'ready', repaired.message);
		assert.deepStrictEqual(third.confirmations, [REPO]);
		assert.strictEqual(fs.statSync(weightsPath).size, fs.statSync(path.join(TEST_MODELS, 'tiny-qwen2', Q8)).size);
	});

	it('a connection dropped mid-file: a clear message, nothing half-written kept, and loading again works', async () => {
		const storage = newStorage();
		hub.fault(REPO, Q8, 'drop');
		const s = await start(storage);
		const status = await s.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /The download of glassbox-test\/tiny-qwen2 from 127\.0\.0\.1:\d+ was interrupted \(.+\)\. Nothing partial was kept; load the model again to retry\./);
		assert.ok(!filesUnder(cacheOf(storage)).some((f) => f.startsWith('onnx/')), `no weights, whole or partial: ${filesUnder(cacheOf(storage))}`);
		hub.clearFaults();
		const retried = await retry(s);
		assert.strictEqual(retried.state, 'ready', retried.message);
		assert.ok(filesUnder(cacheOf(storage)).includes(Q8));
	});

	it('a dtype the repository lacks (404): the message names the dtypes it has', async () => {
		const storage = newStorage();
		const s = await start(storage, { dtype: 'fp16' });
		const status = await s.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /glassbox-test\/tiny-qwen2 has no fp16 weights on 127\.0\.0\.1:\d+ \(no onnx\/model_fp16\.onnx or onnx\/decoder_model_merged_fp16\.onnx: HTTP 404\)\. It has fp32, q8, q4: set glassbox\.dtype to one of them\./);
		assert.deepStrictEqual(filesUnder(cacheOf(storage)), []);
		const retried = await retry(s, { dtype: 'q4' });
		assert.strictEqual(retried.state, 'ready', retried.message);
		assert.strictEqual(retried.dtype, 'q4');
		assert.ok(filesUnder(cacheOf(storage)).includes('onnx/model_q4.onnx'));
	});

	it('a file cut short is caught by its size, deleted, and downloaded again', async () => {
		const storage = newStorage();
		hub.fault(REPO, Q8, 'truncate');
		const s = await start(storage);
		const status = await s.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /incomplete: onnx\/model_quantized\.onnx has \d+ bytes, the hub announced \d+\. It was deleted; load the model again/);
		assert.ok(!filesUnder(cacheOf(storage)).includes(Q8));
		hub.clearFaults();
		assert.strictEqual((await retry(s)).state, 'ready');
	});

	it('damaged weights of the right size do not load: deleted, with a message', async () => {
		const storage = newStorage();
		hub.fault(REPO, Q8, 'corrupt');
		const s = await start(storage);
		const status = await s.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /The downloaded onnx\/model_quantized\.onnx of glassbox-test\/tiny-qwen2 does not load \(.+\)\. It was deleted/);
		assert.ok(!filesUnder(cacheOf(storage)).includes(Q8));
		hub.clearFaults();
		assert.strictEqual((await retry(s)).state, 'ready');
	});

	it('a repository in the older merged layout downloads and loads', async () => {
		const storage = newStorage();
		const s = await start(storage, { model: MERGED_REPO });
		const status = await s.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'ready', status.message);
		assert.ok(filesUnder(cacheOf(storage, MERGED_REPO)).includes('onnx/decoder_model_merged_quantized.onnx'));
	});

	it('a repository that does not exist, and a hub that cannot be reached', async () => {
		const s = await start(newStorage(), { model: 'glassbox-test/no-such-model' });
		let status = await s.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /glassbox-test\/no-such-model was not found on 127\.0\.0\.1:\d+ \(HTTP 401\): check the model id\./);
		await s.dispose();
		const offline = await start(newStorage(), {}, 'http://127.0.0.1:9/');
		status = await offline.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /Cannot reach 127\.0\.0\.1:9 to download glassbox-test\/tiny-qwen2 \(.+\)\. Check the connection \(or HF_ENDPOINT\)/);
	});

	describe('disks', function () {
		before(function () {
			if (!canMount()) {
				// A full or read-only disk is made with a tmpfs mount, which needs root (as CI and the dev machines have).
				this.skip();
			}
		});

		it('a disk too small for the model: a message before any download', async () => {
			await withTmpfs('size=64k', async (dir) => {
				const before = hub.requests.length;
				const s = await start(dir);
				const status = await s.waitForState(['ready', 'error']);
				assert.strictEqual(status.state, 'error');
				assert.match(status.message!, /Not enough disk space for glassbox-test\/tiny-qwen2: it needs \d+\.\d MB and \d+\.\d MB is free/);
				assert.ok(!hub.requests.slice(before).some((r) => r.path.startsWith('/lfs/') && !r.range), 'the weights were not fetched');
				await s.dispose();
				server = undefined;
			});
		});

		it('a read-only cache: a message before any download', async () => {
			await withTmpfs('ro,size=4m', async (dir) => {
				const s = await start(dir);
				const status = await s.waitForState(['ready', 'error']);
				assert.strictEqual(status.state, 'error');
				assert.match(status.message!, /The model cache .* is not writable \(EROFS\), so glassbox-test\/tiny-qwen2 cannot be downloaded into it/);
				await s.dispose();
				server = undefined;
			});
		});
	});
});
