/**
 * The recorded generation the webview test replays: written by
 * record-fixture.ts from the real embedded model over a real LSP connection,
 * read here. Nothing in it is hand-made.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AttentionLayerData, GenerationRecord, SamplingOptions, TokenStep } from '../../protocol/generation';

export const FIXTURE_PATH = path.join(__dirname, 'fixtures', 'generation.json');
/** The same prompt through an inference server (the llama.cpp backend on llama-server): no attention, entropy estimated. */
export const SERVER_FIXTURE_PATH = path.join(__dirname, 'fixtures', 'server-generation.json');

export interface GenerationFixture {
	/** How and when it was recorded, for a reader of the JSON. */
	source: {
		recordedAt: string;
		command: string;
		serverBundle: string;
		model: string;
		device: string;
		dtype: string;
	};
	prompt: string;
	sampling: SamplingOptions;
	/** The steps as the server streamed them ($/progress chunks), in order. */
	chunks: TokenStep[][];
	record: GenerationRecord;
	/** Every layer, in order (empty when the model has no attention outputs). */
	attention: AttentionLayerData[];
}

/** The server fixture: written by `record-fixture.ts --server`; it has no attention. */
export function loadServerFixture(): GenerationFixture {
	if (!fs.existsSync(SERVER_FIXTURE_PATH)) {
		throw new Error(
			`${path.relative(process.cwd(), SERVER_FIXTURE_PATH)} is missing. Record it through llama-server: ` +
				'`node esbuild.js && npx tsx test/webview/record-fixture.ts --server`.',
		);
	}
	const fixture = JSON.parse(fs.readFileSync(SERVER_FIXTURE_PATH, 'utf8')) as GenerationFixture;
	if (!fixture.record?.server || fixture.record.attention !== null) {
		throw new Error('The server fixture is not a server generation: re-record it with --server.');
	}
	return fixture;
}

export function loadFixture(): GenerationFixture {
	if (!fs.existsSync(FIXTURE_PATH)) {
		throw new Error(
			`${path.relative(process.cwd(), FIXTURE_PATH)} is missing. Record it from the embedded model: ` +
				'`node esbuild.js && npx tsx test/webview/record-fixture.ts`.',
		);
	}
	const fixture = JSON.parse(fs.readFileSync(FIXTURE_PATH, 'utf8')) as GenerationFixture;
	if (!fixture.record?.attention || fixture.attention.length !== fixture.record.attention.layers) {
		throw new Error('The fixture has no attention layers: re-record it with a model that exports attention.');
	}
	return fixture;
}
