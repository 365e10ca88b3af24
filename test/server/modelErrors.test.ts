/**
 * A missing or corrupt model: a clear message in the log and the status,
 * the server keeps running, and completions return once the setting points
 * at a good model.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { firstItemText, REPO_ROOT, ServerHarness } from '../support/serverHarness';

const GOOD = path.join(REPO_ROOT, 'models', 'glassbox-mini');
/** A context the embedded model completes (checked in inlineCompletion.test.ts too). */
const RECOVER_TEXT = 'import os\nimport sys\n\n\ndef read_file(path):\n    with open(path) as f:\n        return f.';
const RECOVER_AT = { line: 6, character: 17 };

function copyModel(): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-model-'));
	fs.cpSync(GOOD, dir, { recursive: true });
	return dir;
}

describe('missing or corrupt model (over LSP)', function () {
	this.timeout(20_000);
	let server: ServerHarness | undefined;
	const temp: string[] = [];
	afterEach(async () => {
		await server?.dispose();
		server = undefined;
	});
	after(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

	/** No completions while the model is broken; completions from the model once the setting is fixed. */
	async function expectRecovery(s: ServerHarness): Promise<void> {
		const uri = 'file:///work/recover.py';
		await s.open(uri, 'python', RECOVER_TEXT);
		assert.deepStrictEqual(await s.complete(uri, RECOVER_AT), { items: [] }, 'no completions without a model');
		const after = await s.setSettings({ model: GOOD });
		const status = await s.waitForState(['ready', 'error'], after);
		assert.strictEqual(status.state, 'ready', status.message);
		const before = await s.stats();
		assert.notStrictEqual(firstItemText(await s.complete(uri, RECOVER_AT)), '');
		assert.strictEqual((await s.completionsSince(before)).length, 1, 'the model ran');
	}

	it('a folder that does not exist', async () => {
		server = await ServerHarness.start({ settings: { model: '/nonexistent/glassbox-model' } });
		const status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /Model folder not found: \/nonexistent\/glassbox-model/);
		assert.ok(server.logs.some((l) => l.includes('Model folder not found')), 'the message is in the log');
		await expectRecovery(server);
	});

	it('a folder without the ONNX weights', async () => {
		const dir = copyModel();
		temp.push(dir);
		fs.rmSync(path.join(dir, 'onnx', 'model.onnx'));
		server = await ServerHarness.start({ settings: { model: dir } });
		const status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /incomplete: missing onnx\/model\.onnx/);
		await expectRecovery(server);
	});

	it('corrupt ONNX weights', async () => {
		const dir = copyModel();
		temp.push(dir);
		fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), Buffer.from('this is not a protobuf model'.repeat(100)));
		server = await ServerHarness.start({ settings: { model: dir } });
		const status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /Could not load/);
		await expectRecovery(server);
	});

	it('a corrupt config.json and tokenizer', async () => {
		const dir = copyModel();
		temp.push(dir);
		fs.writeFileSync(path.join(dir, 'config.json'), '{ "model_type": ');
		server = await ServerHarness.start({ settings: { model: dir } });
		let status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /config\.json .* not valid JSON/);

		fs.copyFileSync(path.join(GOOD, 'config.json'), path.join(dir, 'config.json'));
		fs.writeFileSync(path.join(dir, 'tokenizer.json'), '[1, 2');
		const after = await server.setSettings({ model: dir, dtype: 'fp32' });
		status = await server.waitForState(['ready', 'error'], after);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /Could not load/);
		await expectRecovery(server);
	});

	it('a GPU device that is not there falls back to the CPU with a message', async () => {
		server = await ServerHarness.start({ settings: { device: 'cuda' } });
		const status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'ready', status.message);
		assert.strictEqual(status.device, 'cpu');
		assert.match(status.message!, /cuda is not available here .*running on the CPU/);
		const uri = 'file:///work/fallback.py';
		await server.open(uri, 'python', RECOVER_TEXT);
		assert.notStrictEqual(firstItemText(await server.complete(uri, RECOVER_AT)), '');
	});

	it('a hub model that is not downloaded, with downloads off', async () => {
		server = await ServerHarness.start({ settings: { model: 'onnx-community/Qwen2.5-Coder-0.5B-Instruct' } });
		const status = await server.waitForState(['ready', 'error']);
		assert.strictEqual(status.state, 'error');
		assert.match(status.message!, /not on this machine.*allowDownloads/);
		await expectRecovery(server);
	});
});
