/**
 * `npm run bench`: inline completion latency over LSP for prompts of about
 * 200 and 1,000 tokens, beside a raw onnxruntime-node decode loop of the same
 * model producing the same tokens (same machine, same run, greedy). Prints
 * p50/p95 and the ratio of medians; the target is LSP within 1.2x of raw.
 * Each LSP completion is followed at once by its raw run, so the median of
 * these paired ratios is printed too: it is steadier on a machine whose speed
 * drifts. Also checks that both produce the same tokens. Then the same
 * completions through the inference-server backends beside the local engine
 * (servers.ts).
 */
import * as path from 'path';
import { LastCompletionRequest } from '../../protocol/lsp';
import { percentile, sourceText } from './benchText';
import { REPO_ROOT, ServerHarness } from '../support/serverHarness';
import { RawDecoder } from './rawLoop';
import { benchServers } from './servers';

// Enough runs that a noisy machine's medians settle (about a minute in all).
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
// The first runs in a fresh process pay for page faults on new memory (slow in VMs).
const WARMUP = 4;
const SETTINGS = { completion: { maxNewTokens: 32, multiline: 'always', contextTokens: 1024 } };

interface Sample {
	lspMs: number;
	/** The server's own time for the generation (model passes and per-step work), without LSP and prompt building. */
	engineMs: number;
	rawMs: number;
	promptTokens: number;
	passes: number;
	generated: number;
}

async function main(): Promise<void> {
	const server = await ServerHarness.start({ settings: SETTINGS });
	const status = await server.waitForState(['ready', 'error']);
	if (status.state !== 'ready') {
		throw new Error(`Model did not load: ${status.message}`);
	}
	const raw = await RawDecoder.load(path.join(REPO_ROOT, 'models', 'glassbox-mini'));
	const source = sourceText();
	console.log(`Model: ${status.label} (${status.device}, ${status.dtype}), context ${status.contextLength}; ${RUNS} runs per size after ${WARMUP} warm-up runs.`);

	const results: { target: number; samples: Sample[] }[] = [];
	const texts = new Map<number, string>();
	for (const target of [200, 1000]) {
		// About 3.2 characters a token in this code; the server cuts to its budget anyway.
		let end = Math.round(target * 3.2);
		end = source.lastIndexOf('\n', end) + 1;
		const text = source.slice(0, end) + '\t';
		texts.set(target, text);
		const lines = text.split('\n');
		const position = { line: lines.length - 1, character: lines[lines.length - 1].length };
		const samples: Sample[] = [];
		for (let run = 0; run < WARMUP + RUNS; run++) {
			const uri = `file:///bench/${target}-${run}.ts`;
			await server.open(uri, 'typescript', text);
			await server.setSettings(SETTINGS); // clears the completion cache: every run runs the model
			const before = await server.stats();
			const t0 = performance.now();
			await server.complete(uri, position);
			const lspMs = performance.now() - t0;
			// Untimed: once idle, the prefetch that follows the answer is counted apart.
			const [stats] = await server.completionsSince(before);
			const record = await server.connection.sendRequest(LastCompletionRequest);
			if (!record || !stats) {
				throw new Error('no completion record');
			}
			const r0 = performance.now();
			const ids = await raw.decode(record.promptIds, stats.modelSteps, record.steps[0]?.id);
			const rawMs = performance.now() - r0;
			const serverIds = record.steps.map((s) => s.id);
			if (serverIds.some((id, i) => ids[i] !== id)) {
				throw new Error(`raw loop and server disagree: ${ids.slice(0, serverIds.length)} vs ${serverIds}`);
			}
			if (run >= WARMUP) {
				samples.push({ lspMs, engineMs: stats.elapsedMs, rawMs, promptTokens: record.promptIds.length, passes: stats.modelSteps, generated: stats.generatedTokens });
			}
		}
		results.push({ target, samples });
	}
	await server.dispose();

	console.log('\nprompt  tokens  passes  LSP p50   LSP p95   engine p50  raw p50   raw p95   p50 ratio   paired');
	for (const { target, samples } of results) {
		const lsp = samples.map((s) => s.lspMs);
		const rawMs = samples.map((s) => s.rawMs);
		const ratio = percentile(lsp, 50) / percentile(rawMs, 50);
		const paired = percentile(samples.map((s) => s.lspMs / s.rawMs), 50);
		console.log(
			`~${String(target).padEnd(5)} ${String(percentile(samples.map((s) => s.promptTokens), 50)).padStart(6)}  ${String(percentile(samples.map((s) => s.passes), 50)).padStart(6)}  ` +
				`${percentile(lsp, 50).toFixed(1).padStart(7)}ms ${percentile(lsp, 95).toFixed(1).padStart(7)}ms ` +
				`${percentile(samples.map((s) => s.engineMs), 50).toFixed(1).padStart(9)}ms ` +
				`${percentile(rawMs, 50).toFixed(1).padStart(7)}ms ${percentile(rawMs, 95).toFixed(1).padStart(7)}ms   ${ratio.toFixed(2)}x ${ratio <= 1.2 ? '(within 1.2x)' : '(OVER 1.2x) '} ${paired.toFixed(2)}x`,
		);
	}

	if (process.env.BENCH_SERVERS !== '0') {
		await benchServers(texts, Number(process.env.BENCH_SERVER_RUNS ?? RUNS), WARMUP, SETTINGS);
	}
}

main().catch((e: unknown) => {
	console.error(e);
	process.exit(1);
});
