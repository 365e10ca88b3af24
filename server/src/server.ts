/**
 * The Glassbox language server: hosts the model in its own process (never on
 * the extension host) and serves inline completions through the standard
 * `textDocument/inlineCompletion` request, plus the custom requests declared
 * in protocol/lsp.ts. Any LSP 3.18 client can use it over stdio.
 */
import * as os from 'os';
import * as path from 'path';
import {
	createConnection,
	DidChangeConfigurationNotification,
	NotebookDocuments,
	ProposedFeatures,
	ResponseError,
	TextDocuments,
	TextDocumentSyncKind,
	type InitializeParams,
	type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import {
	AttentionRequest,
	CompletionsIdleRequest,
	ConfirmDownloadRequest,
	EngineStatsRequest,
	ErrorCodes,
	GenerateRequest,
	GenerationEventNotification,
	HoldGenerationRequest,
	LastCompletionRequest,
	ModelStatusNotification,
	ReconnectServerNotification,
	ReleaseGenerationRequest,
	ServerApiKeyRequest,
	TextTaskRequest,
} from '../../protocol/lsp';
import { GenerateService } from './generateService';
import { InlineCompletionService } from './completion/service';
import { configureEnvironment } from './modelLoader';
import { ModelHost } from './modelHost';
import { ServerSettings } from './settings';
import { StepGate } from './testHooks';
import { TextTaskService } from './textTasks';

/** What the extension passes at start; other clients may omit it. */
interface InitializationOptions {
	/** Root of the extension (holds models/). */
	extensionPath?: string;
	/** Writable folder for the hub cache. */
	storagePath?: string;
	/** Serve the test hooks (protocol/lsp.ts); only the project's tests set this. */
	testHooks?: boolean;
}

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
// Notebook cells are kept with the other documents; the notebooks say which cells surround which.
const notebooks = new NotebookDocuments(documents);
const settings = new ServerSettings(connection);
const log = (message: string): void => connection.console.log(message);

let host: ModelHost | undefined;
let completions: InlineCompletionService | undefined;
let tasks: TextTaskService | undefined;
let generator: GenerateService | undefined;
let stepGate: StepGate | undefined;

function requireHost(): ModelHost {
	if (!host) {
		throw new ResponseError(ErrorCodes.ModelUnavailable, 'The server is not initialized yet.');
	}
	return host;
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
	const options = (params.initializationOptions ?? {}) as InitializationOptions;
	// The bundle lives in dist/server/; the extension root is two levels up.
	const extensionPath = options.extensionPath ?? path.resolve(__dirname, '..', '..');
	const storagePath = options.storagePath ?? path.join(os.homedir(), '.cache', 'glassbox');
	configureEnvironment(storagePath);
	settings.canPull = params.capabilities.workspace?.configuration === true;
	if (options.testHooks === true) {
		const gate = new StepGate((event) => void connection.sendNotification(GenerationEventNotification, event));
		connection.onRequest(HoldGenerationRequest, (hold) => gate.arm(hold));
		connection.onRequest(ReleaseGenerationRequest, () => gate.release());
		connection.onRequest(CompletionsIdleRequest, () => completions?.idle());
		stepGate = gate;
	}

	host = new ModelHost(extensionPath, {
		notifyStatus: (status) => void connection.sendNotification(ModelStatusNotification, status),
		confirmDownload: (model, host) =>
			connection.sendRequest(ConfirmDownloadRequest, { model, host }).then(
				(answer) => answer === true,
				() => false,
			),
		log,
		error: (message) => connection.console.error(message),
		beforeStep: stepGate ? (kind, step, token) => stepGate?.beforeStep(kind, step, token) : undefined,
		// A client that does not answer (another editor) has no key to give.
		apiKey: () => connection.sendRequest(ServerApiKeyRequest).then((key) => (typeof key === 'string' && key !== '' ? key : null), () => null),
	});
	completions = new InlineCompletionService(host, documents, notebooks, settings, log, (m) => connection.console.debug(m));
	tasks = new TextTaskService(host, settings, connection);
	generator = new GenerateService(host, connection);

	return {
		capabilities: {
			textDocumentSync: TextDocumentSyncKind.Incremental,
			notebookDocumentSync: { notebookSelector: [{ notebook: '*', cells: [{ language: '*' }] }] },
			inlineCompletionProvider: true,
		},
		serverInfo: { name: 'glassbox', version: '0.1.0' },
	};
});

connection.onInitialized(async () => {
	if (settings.canPull) {
		await connection.client.register(DidChangeConfigurationNotification.type, { section: 'glassbox' }).catch(() => undefined);
	}
	await requireHost().configure(await settings.get());
});

connection.onDidChangeConfiguration(async () => {
	settings.invalidate();
	completions?.clear();
	await requireHost().configure(await settings.get());
});

connection.onNotification(ReconnectServerNotification, () => {
	completions?.clear();
	void requireHost().reconnect();
});

connection.languages.inlineCompletion.on((params, token) => {
	if (!completions) {
		throw new ResponseError(ErrorCodes.ModelUnavailable, 'The server is not initialized yet.');
	}
	return completions.provide(params, token);
});

connection.onRequest(TextTaskRequest, ({ partialResultToken, ...input }, token) => tasks!.run(input, partialResultToken, token));
connection.onRequest(GenerateRequest, (params, token) => generator!.generate(params, token));

connection.onRequest(AttentionRequest, async (params, token) => {
	const data = await requireHost().attentionLayer(params.generationId, params.layer, token);
	if (!data) {
		throw new ResponseError(
			ErrorCodes.ModelUnavailable,
			`No attention for layer ${params.layer} of generation ${params.generationId}: it is gone, or the model has no attention outputs.`,
		);
	}
	return data;
});
connection.onRequest(LastCompletionRequest, () => requireHost().store.lastCompletion());
connection.onRequest(EngineStatsRequest, () => requireHost().stats());

connection.onShutdown(async () => {
	stepGate?.dispose();
	await host?.dispose();
});

// A bug in one request must not take the model down with it; the client restarts us if we do die.
process.on('uncaughtException', (e) => connection.console.error(`Unexpected error: ${e.stack ?? String(e)}`));
process.on('unhandledRejection', (e) => connection.console.error(`Unhandled rejection: ${String(e)}`));

documents.listen(connection);
notebooks.listen(connection);
connection.listen();
