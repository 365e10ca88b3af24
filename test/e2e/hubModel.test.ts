/**
 * A hub model the way a user gets one, in the packaged extension in
 * code-server: choose it from the model menu, allow and confirm the
 * download, watch its progress in the status bar, and get ghost text from
 * it. code-server runs with HF_ENDPOINT pointing at a hub on 127.0.0.1 that
 * serves the tiny Qwen2 test model (models/test-models/tiny-qwen2) in the
 * hub's layout; the hub holds the weights halfway until the progress has
 * been seen.
 */
import * as assert from 'assert';
import * as path from 'path';
import { HubServer } from '../support/hubServer';
import { REPO_ROOT } from './support/codeServer';
import { waitFor } from './support/processes';
import { useSession } from './support/session';

const REPO = 'glassbox-test/tiny-qwen2';
const WEIGHTS = 'onnx/model_quantized.onnx';

describe('e2e: a hub model from the model menu (local hub, packaged extension in code-server)', function () {
	this.timeout(180_000);
	let hub: HubServer;
	before(async () => {
		hub = await HubServer.start({ [REPO]: path.join(REPO_ROOT, 'models', 'test-models', 'tiny-qwen2') });
		hub.fault(REPO, WEIGHTS, 'hold');
	});
	after(() => hub?.close());
	// Registered after the hub's hook, so the hub is up when code-server starts.
	const session = useSession('hub-model', {}, { env: () => ({ HF_ENDPOINT: hub.url }) });

	it('chooses the model, confirms the download, shows its progress, then ghost text from it', async () => {
		const wb = session.workbench;
		// The status bar item opens the Glassbox menu; its first row is the model, which opens the model menu.
		await wb.statusItem().click();
		await wb.pickQuickItem('Glassbox Mini (embedded)');
		await wb.screenshot('hub-model-menu');
		await wb.pickQuickItem('Hugging Face Model…');
		await wb.answerInput(REPO);
		// Downloads are off by default: the menu asks to turn them on, then the server asks for this model.
		assert.match(await wb.clickDialogButton('Allow Download'), /glassbox-test\/tiny-qwen2 is downloaded from 127\.0\.0\.1:\d+ the first time/);
		const question = await wb.clickDialogButton('Download');
		assert.match(question, new RegExp(`Download ${REPO} from 127\\.0\\.0\\.1:\\d+\\?`));

		await hub.whenHeld();
		// The JSON files are done and half the weights: the status settles there while the hub holds the rest.
		const downloading = await waitFor('the status bar to show the download held halfway', 30_000, async () => {
			const percent = /^Glassbox: Downloading glassbox-test\/tiny-qwen2: (\d+)%$/.exec(await wb.statusLabel())?.[1];
			return percent !== undefined && Number(percent) >= 50 ? Number(percent) : false;
		});
		assert.ok(downloading < 100, `the weights are held halfway: ${downloading}%`);
		assert.strictEqual(await wb.statusItem().locator('.codicon-cloud-download').count(), 1);
		await wb.screenshot('hub-download');
		hub.release();

		const ready = await wb.waitForModelReady();
		assert.match(ready, /^Glassbox: glassbox-test\/tiny-qwen2 is ready$/);
		assert.ok(hub.requestsFor(REPO).some((r) => r.path.endsWith(WEIGHTS) && r.status === 200), 'the weights came from the local hub');

		await wb.openFile('stats.py');
		await wb.press('Control+End');
		await wb.press('Enter');
		await wb.press('Enter');
		await wb.type('def median(values):\nordered = sorted(');
		const ghost = await wb.waitForGhostText();
		assert.notStrictEqual(ghost.trim(), '');
		await wb.screenshot('hub-ghost-text');
	});
});
