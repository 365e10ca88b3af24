/**
 * The packaged extension in code-server with a real llama-server as its
 * backend, chosen in the user settings: the status bar names the server's
 * model and backend, ghost text comes from the server and Tab accepts it.
 * The workspace's .vscode/settings.json tries to send the code elsewhere (its
 * own server URL and backend): both are ignored, the log says so, and nothing
 * connects to that address.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { glassboxLog, waitForLog } from './support/glassboxLog';
import { LlamaServer } from '../support/llamaServer';
import { useSession } from './support/session';

const noSpace = (s: string) => s.replace(/\s+/g, '');

describe('e2e: an inference server as the backend (llama-server, user settings)', function () {
	this.timeout(180_000);
	let llama: LlamaServer | undefined;
	/** A port the workspace names as its server: it counts connections, and must see none. */
	let decoy: net.Server | undefined;
	let decoyConnections = 0;
	const decoyAddress = { port: 0 };
	// Filled in by the first hook, read by the session's when code-server starts.
	const userSettings: Record<string, unknown> = { 'glassbox.backend': 'llama.cpp' };

	before(async function () {
		this.timeout(180_000);
		llama = await LlamaServer.start();
		userSettings['glassbox.serverUrl'] = llama.url;
		decoy = net.createServer((socket) => {
			decoyConnections++;
			socket.destroy();
		});
		await new Promise<void>((resolve) => decoy!.listen(0, '127.0.0.1', resolve));
		decoyAddress.port = (decoy.address() as net.AddressInfo).port;
	});
	after(async () => {
		await llama?.stop();
		await new Promise<void>((resolve) => (decoy ? decoy.close(() => resolve()) : resolve()));
	});

	const session = useSession('inference-server', userSettings, {
		prepareWorkspace: (workspace) => {
			fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
			fs.writeFileSync(
				path.join(workspace, '.vscode', 'settings.json'),
				JSON.stringify({ 'glassbox.serverUrl': `http://127.0.0.1:${decoyAddress.port}/v1`, 'glassbox.backend': 'openai' }, null, '\t'),
			);
		},
	});

	it('the status bar names the server model and backend; ghost text comes from the server and Tab accepts it', async function () {
		const wb = session.workbench;
		assert.strictEqual(await wb.waitForModelReady(), 'Glassbox: glassbox-mini is ready');
		assert.strictEqual((await wb.statusItem().innerText()).trim(), 'glassbox-mini (llama.cpp)');
		await waitForLog(session.server, new RegExp(`Connected to glassbox-mini on the llama\\.cpp server at ${llama!.url.replace(/\./g, '\\.')}: .*prompts tokenized by the server`));

		const file = session.file('stats.py');
		const original = fs.readFileSync(file, 'utf8');
		await wb.openFile('stats.py');
		await wb.press('Control+End');
		await wb.press('Enter');
		await wb.press('Enter');
		const from = llama!.log.length;
		const lines = ['def median(values):', 'ordered = sorted('];
		await wb.type(lines.join('\n'));
		const ghost = await wb.waitForGhostText();
		assert.notStrictEqual(ghost.trim(), '');
		// The suggestion came from llama-server: it ran a task for it.
		await llama!.waitForLog(/\| task \d+ \| processing task/, from);
		await wb.screenshot('completion-llama-server');
		await wb.press('Tab');
		const saved = await wb.saveAndRead(file, original);
		const typedAt = saved.lastIndexOf(lines[1]);
		assert.ok(typedAt > 0, `The typed line is not in the saved file:\n${saved}`);
		const rest = saved.slice(typedAt + lines[1].length);
		assert.ok(noSpace(rest).startsWith(noSpace(ghost)), `Tab did not insert the ghost text.\nghost text: ${JSON.stringify(ghost)}\nafter the typed text: ${JSON.stringify(rest)}`);

		// The tooltip says where the model runs and the last completion's time.
		await wb.statusItem().hover();
		const hover = wb.page.locator('.monaco-hover', { hasText: 'llama.cpp server at' });
		await hover.waitFor({ timeout: 15_000 });
		assert.match(await hover.innerText(), /prompts\stokenized\sby\sthe\sserver\s·\sattention\snot\sreturned\sby\sservers/);
		await wb.page.mouse.move(700, 400);
		assert.deepStrictEqual(await wb.errorNotifications(), []);
	});

	it("the workspace's server URL and backend are ignored, with a note in the log, and nothing connects to that URL", async function () {
		const workspaceSettings = path.join(session.server.workspace, '.vscode', 'settings.json');
		const url = await waitForLog(session.server, /Ignored glassbox\.serverUrl = .*/);
		assert.ok(url.includes(`http://127.0.0.1:${decoyAddress.port}/v1`) && url.includes(workspaceSettings), url);
		assert.match(url, new RegExp(`only user settings may set it\\. Using "${llama!.url.replace(/\./g, '\\.')}"\\.$`));
		assert.match(await waitForLog(session.server, /Ignored glassbox\.backend = .*/), /= "openai" from .*only user settings may set it\. Using "llama\.cpp"\.$/);
		assert.strictEqual(decoyConnections, 0, 'nothing connected to the workspace\'s server');
		assert.doesNotMatch(glassboxLog(session.server), new RegExp(`127\\.0\\.0\\.1:${decoyAddress.port}.*(Connected|Nothing answers)`));
	});
});
