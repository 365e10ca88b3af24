/**
 * One code-server instance (VS Code 1.100 as a web app) with the packaged
 * .vsix installed into a fresh extensions folder, fresh user data and a fresh
 * copy of the fixture workspace. code-server comes from
 * scripts/setup-code-server.sh and the .vsix from scripts/package.sh; both run
 * before the suite (`npm run test:e2e`).
 */
import { execFile, spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { descendants, listProcesses, waitFor } from './processes';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CODE_SERVER = path.join(REPO_ROOT, '.tools', 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const FIXTURE_WORKSPACE = path.join(REPO_ROOT, 'test', 'e2e', 'fixtures', 'workspace');
export const OUTPUT_DIR = path.join(REPO_ROOT, 'test-output', 'e2e');

/** The settings a test run starts from: no tours, no telemetry, and no suggest widget competing with ghost text for Tab. */
const USER_SETTINGS = {
	'workbench.startupEditor': 'none',
	'workbench.tips.enabled': false,
	'workbench.enableExperiments': false,
	'workbench.welcomePage.walkthroughs.openOnInstall': false,
	'security.workspace.trust.enabled': false,
	'telemetry.telemetryLevel': 'off',
	'update.mode': 'none',
	'extensions.autoCheckUpdates': false,
	'extensions.autoUpdate': false,
	'extensions.ignoreRecommendations': true,
	'git.enabled': false,
	'files.autoSave': 'off',
	'editor.inlineSuggest.enabled': true,
	'editor.quickSuggestions': { other: false, comments: false, strings: false },
	'editor.suggestOnTriggerCharacters': false,
	'editor.parameterHints.enabled': false,
	'editor.acceptSuggestionOnEnter': 'off',
	'editor.autoClosingBrackets': 'never',
	'editor.autoClosingQuotes': 'never',
	'editor.minimap.enabled': false,
	'window.commandCenter': false,
	'chat.commandCenter.enabled': false,
};

export function packagedVsix(): string {
	if (process.env.GLASSBOX_VSIX) {
		return path.resolve(process.env.GLASSBOX_VSIX);
	}
	const { name, version } = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
	return path.join(REPO_ROOT, 'out', `${name}-linux-x64-${version}.vsix`);
}

async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as net.AddressInfo;
			server.close(() => resolve(port));
		});
	});
}

export interface StartOptions {
	/**
	 * Workspace trust on, as in a default VS Code: a folder not yet trusted opens
	 * in Restricted Mode (the startup dialog is left to the test). Off by
	 * default, so other suites never see a trust prompt.
	 */
	workspaceTrust?: boolean;
	/** Changes the fresh copy of the fixture workspace before code-server opens it. */
	prepareWorkspace?: (workspace: string) => void;
	/** Variables added to code-server's environment, which its extension host and the language server inherit (HF_ENDPOINT). */
	env?: Record<string, string>;
	/** The user's keybindings.json: keys for commands VS Code binds to none (accepting a line of ghost text). */
	keybindings?: { key: string; command: string; when?: string }[];
}

export class CodeServer {
	private constructor(
		readonly root: string,
		readonly workspace: string,
		readonly userDataDir: string,
		readonly extensionsDir: string,
		readonly port: number,
		private readonly child: ChildProcess,
		private readonly output: string[],
	) {}

	get url(): string {
		return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
	}

	get pid(): number {
		return this.child.pid ?? -1;
	}

	static async start(extraSettings: Record<string, unknown> = {}, options: StartOptions = {}): Promise<CodeServer> {
		for (const [file, hint] of [
			[CODE_SERVER, 'run scripts/setup-code-server.sh'],
			[packagedVsix(), 'run `npm run package`'],
		]) {
			if (!fs.existsSync(file)) {
				throw new Error(`${file} is missing: ${hint} (npm run test:e2e does both).`);
			}
		}
		const root = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-e2e-'));
		const workspace = path.join(root, 'workspace');
		const userDataDir = path.join(root, 'user-data');
		const extensionsDir = path.join(root, 'extensions');
		fs.cpSync(FIXTURE_WORKSPACE, workspace, { recursive: true });
		options.prepareWorkspace?.(workspace);
		const trust = options.workspaceTrust === true ? { 'security.workspace.trust.enabled': true } : {};
		fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
		fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...USER_SETTINGS, ...trust, ...extraSettings }, null, '\t'));
		if (options.keybindings) {
			fs.writeFileSync(path.join(userDataDir, 'User', 'keybindings.json'), JSON.stringify(options.keybindings, null, '\t'));
		}
		fs.mkdirSync(extensionsDir);

		const common = ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--config', path.join(root, 'config.yaml')];
		// Installing the .vsix (not copying the source folder) is the point: a
		// file the package lacks fails the tests.
		try {
			await promisify(execFile)(process.execPath, [CODE_SERVER, ...common, '--install-extension', packagedVsix()], { timeout: 60_000 });
			const installed = fs.readdirSync(extensionsDir).filter((d) => d.startsWith('glassbox.glassbox-'));
			if (installed.length !== 1) {
				throw new Error(`Installing ${packagedVsix()} left ${JSON.stringify(fs.readdirSync(extensionsDir))} in ${extensionsDir}.`);
			}
		} catch (e) {
			fs.rmSync(root, { recursive: true, force: true });
			throw e;
		}

		const port = await freePort();
		const output: string[] = [];
		const child = spawn(
			process.execPath,
			[
				CODE_SERVER,
				...common,
				'--auth',
				'none',
				'--bind-addr',
				`127.0.0.1:${port}`,
				'--disable-telemetry',
				'--disable-update-check',
				...(options.workspaceTrust === true ? [] : ['--disable-workspace-trust']),
				workspace,
			],
			// Its own process group, so that stop() also ends the extension host and the language server.
			{ detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
		);
		const collect = (d: Buffer) => output.push(d.toString());
		child.stdout?.on('data', collect);
		child.stderr?.on('data', collect);
		const server = new CodeServer(root, workspace, userDataDir, extensionsDir, port, child, output);
		try {
			await waitFor(`code-server on port ${port}`, 30_000, async () => {
				if (child.exitCode !== null) {
					throw new Error(`code-server exited with ${child.exitCode}:\n${output.join('')}`);
				}
				const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
				return res?.ok === true;
			});
		} catch (e) {
			await server.stop();
			throw e;
		}
		return server;
	}

	/** The language server processes this instance's extension host started (normally one). */
	languageServerPids(): number[] {
		return descendants(this.pid)
			.filter((p) => p.cmdline.includes(this.extensionsDir) && p.cmdline.includes(path.join('dist', 'server', 'server.js')))
			.map((p) => p.pid);
	}

	/** Copies code-server's output and VS Code's logs (the Glassbox output channel among them) next to the screenshots. */
	saveLogs(label: string): string {
		const dest = path.join(OUTPUT_DIR, 'logs', label);
		fs.rmSync(dest, { recursive: true, force: true });
		fs.mkdirSync(dest, { recursive: true });
		fs.writeFileSync(path.join(dest, 'code-server.log'), this.output.join(''));
		const logs = path.join(this.userDataDir, 'logs');
		if (fs.existsSync(logs)) {
			fs.cpSync(logs, path.join(dest, 'vscode'), { recursive: true });
		}
		return dest;
	}

	async stop(): Promise<void> {
		const group = this.pid;
		if (group > 0 && this.child.exitCode === null) {
			const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
			try {
				process.kill(-group, 'SIGTERM');
			} catch {
				// already gone
			}
			await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
		}
		// Whatever outlived SIGTERM, in the group or re-parented: anything still naming this run's folder.
		try {
			process.kill(-group, 'SIGKILL');
		} catch {
			// none left in the group
		}
		for (const p of listProcesses()) {
			if (p.cmdline.includes(this.root)) {
				try {
					process.kill(p.pid, 'SIGKILL');
				} catch {
					// exited meanwhile
				}
			}
		}
		if (!process.env.GLASSBOX_E2E_KEEP) {
			fs.rmSync(this.root, { recursive: true, force: true });
		}
	}
}
