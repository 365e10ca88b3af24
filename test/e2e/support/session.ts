/**
 * Mocha hooks that give a suite one code-server instance and one browser
 * page, started once (starting costs 20 to 40 s on two cores) and ready when
 * the model is. A failing test leaves a screenshot and VS Code's logs in
 * test-output/e2e/.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CodeServer, type StartOptions } from './codeServer';
import { Workbench } from './workbench';

export interface Session {
	readonly server: CodeServer;
	readonly workbench: Workbench;
	/** Absolute path of a file in this session's copy of the fixture workspace. */
	file(relativePath: string): string;
}

export interface SessionOptions extends Omit<StartOptions, 'env'> {
	/** Runs once the workbench is open, before waiting for the model (a dialog to answer, say). */
	onOpen?: (workbench: Workbench) => Promise<void>;
	/** Called when the session starts, for variables that code-server's processes get (a test server's address). */
	env?: () => Record<string, string>;
}

export function useSession(label: string, settings: Record<string, unknown> = {}, options: SessionOptions = {}): Session {
	let server: CodeServer | undefined;
	let workbench: Workbench | undefined;

	before(async function () {
		this.timeout(240_000);
		const started = Date.now();
		server = await CodeServer.start(settings, { ...options, env: options.env?.() });
		try {
			workbench = await Workbench.open(server.url);
			await options.onOpen?.(workbench);
			await workbench.waitForModelReady();
			await workbench.debugGlassboxLog();
		} catch (e) {
			if (workbench) {
				await workbench.screenshot(`failed-${label}-startup`).catch(() => undefined);
			}
			console.log(`    logs: ${server.saveLogs(label)}`);
			throw e;
		}
		console.log(`    (code-server, workbench and model ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
	});

	afterEach(async function () {
		const test = this.currentTest;
		if (test?.state === 'failed' && server && workbench) {
			const slug = test.title.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
			await workbench.screenshot(`failed-${label}-${slug}`).catch(() => undefined);
			console.log(`    logs: ${server.saveLogs(label)}`);
		}
	});

	after(async function () {
		this.timeout(60_000);
		await workbench?.close();
		await server?.stop();
	});

	const need = <T>(value: T | undefined): T => {
		if (value === undefined) {
			throw new Error('The e2e session did not start (see the before hook).');
		}
		return value;
	};
	return {
		get server() {
			return need(server);
		},
		get workbench() {
			return need(workbench);
		},
		file(relativePath: string) {
			const file = path.join(need(server).workspace, relativePath);
			if (!fs.existsSync(file)) {
				throw new Error(`${relativePath} is not in the fixture workspace.`);
			}
			return file;
		},
	};
}
