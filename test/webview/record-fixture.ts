/**
 * Records test/webview/fixtures/generation.json from the real embedded model:
 * starts the built language server, prompts it through GenerateRequest (greedy,
 * so a re-recording gives the same tokens), keeps the streamed chunks, then
 * fetches every attention layer through AttentionRequest. With --server it
 * records fixtures/server-generation.json instead: the same prompt through
 * the llama.cpp backend on a real llama-server serving the model as GGUF
 * (no attention; entropy estimated from the top alternatives).
 *
 *   node esbuild.js && npx tsx test/webview/record-fixture.ts [--server]
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
	ConfigurationRequest,
	createProtocolConnection,
	ExitNotification,
	InitializedNotification,
	InitializeRequest,
	LogMessageNotification,
	RegistrationRequest,
	ShutdownRequest,
	StreamMessageReader,
	StreamMessageWriter,
	WorkDoneProgressCreateRequest,
	type ProtocolConnection,
} from 'vscode-languageserver-protocol/node';
import type { SamplingOptions, TokenStep } from '../../protocol/generation';
import {
	AttentionRequest,
	ConfirmDownloadRequest,
	GenerateRequest,
	GenerationProgress,
	ModelStatusNotification,
	type ModelStatus,
} from '../../protocol/lsp';
import { LlamaServer } from '../support/llamaServer';
import { FIXTURE_PATH, SERVER_FIXTURE_PATH, type GenerationFixture } from './fixture';

const ROOT = path.resolve(__dirname, '..', '..');
const SERVER = path.join(ROOT, 'dist', 'server', 'server.js');
const PROMPT = 'def fibonacci(n):\n';
const SAMPLING: SamplingOptions = { maxNewTokens: 24, greedy: true, temperature: 1, topK: 0, topP: 1, seed: 0 };
const LOAD_TIMEOUT_MS = 300_000;
const THROUGH_SERVER = process.argv.includes('--server');

async function main(): Promise<void> {
	const llama = THROUGH_SERVER ? await LlamaServer.start() : undefined;
	try {
		await recordWith(llama ? { backend: 'llama.cpp', serverUrl: llama.url } : {});
	} finally {
		await llama?.stop();
	}
}

async function recordWith(settings: Record<string, unknown>): Promise<void> {
	if (!fs.existsSync(SERVER)) {
		throw new Error(`${path.relative(ROOT, SERVER)} is missing: run \`node esbuild.js\` first.`);
	}
	const storagePath = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-fixture-'));
	const child = spawn(process.execPath, [SERVER, '--stdio'], { cwd: ROOT, stdio: 'pipe' });
	// Kept for the error report (a crash in a minified bundle prints whole lines of it).
	let stderr = '';
	child.stderr.on('data', (d: Buffer) => {
		stderr = (stderr + d.toString()).slice(-4000);
	});
	const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));

	// The client's side of the server's requests: default settings, no downloads.
	connection.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => settings));
	connection.onRequest(RegistrationRequest.type, () => undefined);
	connection.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
	connection.onRequest(ConfirmDownloadRequest, () => false);
	connection.onNotification(LogMessageNotification.type, (m) => console.error(`[server] ${m.message}`));
	const loaded = new Promise<ModelStatus>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('The model did not load in time.')), LOAD_TIMEOUT_MS);
		connection.onNotification(ModelStatusNotification, (s) => {
			console.error(`[status] ${s.state} ${s.label} ${s.message ?? ''}`);
			if (s.state === 'ready') {
				clearTimeout(timer);
				resolve(s);
			} else if (s.state === 'error') {
				clearTimeout(timer);
				reject(new Error(`The model did not load: ${s.message ?? 'unknown error'}`));
			}
		});
	});
	loaded.catch(() => undefined); // observed through record()
	// A server that crashes never answers: fail instead of waiting forever.
	let done = false;
	const exited = new Promise<never>((_, reject) =>
		child.on('exit', (code, signal) => {
			if (!done) {
				reject(new Error(`The server exited (code ${code}, signal ${signal}) before the fixture was recorded.`));
			}
		}),
	);
	exited.catch(() => undefined);
	connection.listen();

	try {
		await Promise.race([exited, record(connection, loaded, storagePath)]);
	} catch (err) {
		// A crash first shows as "Connection is closed"; the exit code says more.
		const code = child.exitCode ?? (await new Promise<number | null>((r) => setTimeout(() => r(child.exitCode), 1000)));
		if (code === null) {
			throw err;
		}
		throw new Error(`The server exited with code ${code}. The end of its stderr:\n${stderr.slice(-1500)}`);
	} finally {
		done = true;
		try {
			await Promise.race([connection.sendRequest(ShutdownRequest.type), new Promise((r) => setTimeout(r, 3000))]);
			await connection.sendNotification(ExitNotification.type);
		} catch {
			// The connection is already closed.
		}
		connection.dispose();
		child.kill();
		fs.rmSync(storagePath, { recursive: true, force: true });
	}
}

async function record(connection: ProtocolConnection, loaded: Promise<ModelStatus>, storagePath: string): Promise<void> {
	await connection.sendRequest(InitializeRequest.type, {
		processId: process.pid,
		rootUri: null,
		capabilities: { workspace: { configuration: true }, window: { workDoneProgress: true } },
		initializationOptions: { extensionPath: ROOT, storagePath },
	});
	await connection.sendNotification(InitializedNotification.type, {});
	const ready = await loaded;
	if (!ready.hasAttention && !THROUGH_SERVER) {
		throw new Error(`Model ${ready.label} reports no attention outputs; the webview test needs them.`);
	}

	const chunks: TokenStep[][] = [];
	const partialResultToken = 'webview-fixture';
	const progress = connection.onProgress(GenerationProgress, partialResultToken, (chunk) => {
		chunks.push(chunk.steps);
	});
	const generation = await connection.sendRequest(GenerateRequest, { prompt: PROMPT, sampling: SAMPLING, partialResultToken });
	progress.dispose();
	if (!generation.attention && !THROUGH_SERVER) {
		throw new Error('The generation came back without attention.');
	}
	const attention = [];
	for (let layer = 0; layer < (generation.attention?.layers ?? 0); layer++) {
		attention.push(await connection.sendRequest(AttentionRequest, { generationId: generation.id, layer }));
	}

	const fixture: GenerationFixture = {
		source: {
			recordedAt: new Date().toISOString(),
			command: `npx tsx test/webview/record-fixture.ts${THROUGH_SERVER ? ' --server' : ''}`,
			serverBundle: 'dist/server/server.js',
			model: ready.label,
			device: ready.device,
			dtype: ready.dtype,
		},
		prompt: PROMPT,
		sampling: SAMPLING,
		chunks,
		record: generation,
		attention,
	};
	const file = THROUGH_SERVER ? SERVER_FIXTURE_PATH : FIXTURE_PATH;
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, `${JSON.stringify(fixture, null, '\t')}\n`);
	console.log(
		`Wrote ${path.relative(ROOT, file)}: ${generation.promptTokens.length} prompt + ${generation.steps.length} generated tokens, ` +
			`${attention.length} layers × ${generation.attention?.heads ?? 0} heads, ${chunks.length} streamed chunks.`,
	);
}

main().catch((err: unknown) => {
	console.error(err instanceof Error ? err.message : err);
	process.exitCode = 1;
});
