/**
 * `npm run bench`, typing: per-keystroke completion latency over LSP while a
 * real line of a 1,000-token file is typed character by character, beside a
 * cold request at each same position (parked KV caches and answer cache
 * dropped by a settings change first). Some typed characters match the shown
 * suggestion (answered from the cache's forwarding entries, without the
 * model), most do not. After each answer the server computes the state after
 * accepting it in the background (the prefetch); the next keystroke cancels it,
 * as when typing, and its passes are counted apart.
 *
 * Prints p50/p95 per keystroke for both, their ratio (target: at or below
 * 0.25x the cold request), the model passes and the prompt tokens the model
 * actually computed. In the same run, llama-server (llama.cpp, built by
 * scripts/setup-llama-server.sh) serves the same model as GGUF and gets the
 * same keystrokes' prompts (the token ids Glassbox built) through the
 * llama.cpp client (server/src/backends/), with its prompt cache, greedy,
 * eight alternatives per token as Glassbox computes, and as many tokens as
 * Glassbox generated there: its prompt-cached latency per keystroke.
 * BENCH_LLAMA=0 leaves that row out.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createRemoteClient, readAll } from '../../server/src/backends';
import { LastCompletionRequest, type EngineStats, type GenerationStats } from '../../protocol/lsp';
import { LlamaServer } from '../support/llamaServer';
import { firstItemText, REPO_ROOT, ServerHarness } from '../support/serverHarness';
import { percentile, sourceText } from './benchText';

const SETTINGS = { completion: { maxNewTokens: 32, multiline: 'always', contextTokens: 1024 } };
/** Lines retyped, each in its own document: enough keystrokes for a p95. */
const LINES = Number(process.env.BENCH_TYPED_LINES ?? 3);
const TARGET_RATIO = 0.25;

interface Sample {
	ms: number;
	/** The server's engine time, when the model ran. */
	engineMs: number | null;
	passes: number;
	promptTokens: number;
	computed: number;
	text: string;
	/** The prompt's ids and the tokens generated, when the model ran. */
	promptIds?: number[];
	generated?: number;
}

/** Passes of prefetches (the state after accepting a suggestion, computed in the background). */
const prefetch = { runs: 0, completed: 0, passes: 0 };

/** The file: about 1,000 tokens (3.4 characters a token in this code), cut at a line end. */
function benchFile(): string[] {
	const source = sourceText();
	return source.slice(0, source.lastIndexOf('\n', 3400)).split('\n');
}

/** Lines worth typing in the file's last quarter (the cursor then has ~800 tokens before it, and a suffix). */
function linesToType(lines: string[]): number[] {
	const picked: number[] = [];
	for (let i = Math.floor(lines.length * 0.75); i < lines.length - 3 && picked.length < LINES; i++) {
		if (lines[i].trim().length >= 30 && !lines[i].trim().startsWith('*') && !lines[i].trim().startsWith('//')) {
			picked.push(i);
			i += 3;
		}
	}
	return picked;
}

async function measure(server: ServerHarness, uri: string, line: number, character: number): Promise<Sample> {
	const before = await server.stats();
	const t0 = performance.now();
	const list = await server.complete(uri, { line, character });
	const ms = performance.now() - t0;
	const ran = since(before, await server.stats());
	const completion = ran.find((g) => g.kind === 'completion');
	let promptIds: number[] | undefined;
	if (completion) {
		// The record must exist (it is what Inspect Last Suggestion shows); fetching it is part of no timing.
		promptIds = (await server.connection.sendRequest(LastCompletionRequest))?.promptIds;
	}
	return {
		ms,
		engineMs: completion ? completion.elapsedMs : null,
		passes: completion?.modelSteps ?? 0,
		promptTokens: completion?.promptTokens ?? 0,
		computed: completion?.promptComputed ?? 0,
		text: firstItemText(list),
		promptIds,
		generated: completion?.generatedTokens,
	};
}

/** Generations recorded since `before` (the previous keystroke's prefetch among them), newest first; prefetches are tallied. */
function since(before: EngineStats, after: EngineStats): GenerationStats[] {
	const ran = after.recent.slice(0, after.generations - before.generations);
	for (const g of ran.filter((r) => r.kind === 'prefetch')) {
		prefetch.runs++;
		prefetch.completed += g.stopReason === 'cancelled' ? 0 : 1;
		prefetch.passes += g.modelSteps;
	}
	return ran;
}

function withLine(lines: string[], at: number, text: string): string {
	return [...lines.slice(0, at), text, ...lines.slice(at + 1)].join('\n');
}

/** The embedded model's FIM control tokens, which Glassbox never generates (its tokenizer's added tokens but the end token). */
function controlTokens(): number[] {
	const tokenizer = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'models', 'glassbox-mini', 'tokenizer.json'), 'utf8')) as {
		added_tokens: { id: number; content: string }[];
	};
	return tokenizer.added_tokens.filter((t) => t.content.startsWith('<fim_')).map((t) => t.id);
}

/**
 * llama-server's prompt-cached latency for the same keystrokes: each cold
 * request's prompt (the ids Glassbox built) in typing order, one line after
 * the other, so its slot holds the previous keystroke's prompt as Glassbox's
 * parked cache does. Undefined when BENCH_LLAMA=0.
 */
async function llamaServerTyping(lines: Sample[][]): Promise<Sample[] | undefined> {
	if (process.env.BENCH_LLAMA === '0') {
		return undefined;
	}
	const server = await LlamaServer.start();
	try {
		const client = createRemoteClient('llama.cpp', { url: server.url });
		const bannedTokens = controlTokens();
		const samples: Sample[] = [];
		for (const line of lines) {
			// The line's first prompt primes the slot, like the first keystroke after opening a file (not counted).
			for (const [k, sample] of [line[0], ...line].entries()) {
				if (!sample.promptIds) {
					throw new Error('a cold request ran no model');
				}
				const maxTokens = Math.max(1, sample.generated ?? 1);
				const t0 = performance.now();
				const stream = client.stream(
					{ prompt: sample.promptIds, maxTokens, temperature: 0, topK: 0, topP: 1, seed: 0, topLogprobs: 8, stop: [], bannedTokens, cachePrompt: true },
					new AbortController().signal,
				);
				const result = await readAll(stream);
				const ms = performance.now() - t0;
				if (k > 0) {
					const promptTokens = result.finish?.promptTokens ?? sample.promptIds.length;
					samples.push({
						ms,
						engineMs: ms,
						passes: result.tokens.length + 1,
						promptTokens: sample.promptIds.length,
						computed: Math.max(0, promptTokens - (result.finish?.cachedTokens ?? 0)),
						text: result.tokens.map((t) => t.text).join(''),
					});
				}
			}
		}
		return samples;
	} finally {
		await server.stop();
	}
}

function row(name: string, samples: Sample[]): string {
	const ms = samples.map((s) => s.ms);
	const engine = samples.map((s) => s.engineMs).filter((m): m is number => m !== null);
	const passes = samples.reduce((a, s) => a + s.passes, 0);
	const computed = samples.reduce((a, s) => a + s.computed, 0);
	const prompt = samples.reduce((a, s) => a + s.promptTokens, 0);
	const noModel = samples.filter((s) => s.engineMs === null).length;
	return (
		`${name.padEnd(22)} ${percentile(ms, 50).toFixed(1).padStart(7)}ms ${percentile(ms, 95).toFixed(1).padStart(7)}ms ` +
		`${engine.length ? percentile(engine, 50).toFixed(1).padStart(8) + 'ms' : '       –  '} ` +
		`${String(passes).padStart(7)} ${`${computed} of ${prompt}`.padStart(18)} ${String(noModel).padStart(9)}`
	);
}

async function main(): Promise<void> {
	const server = await ServerHarness.start({ settings: SETTINGS });
	const status = await server.waitForState(['ready', 'error']);
	if (status.state !== 'ready') {
		throw new Error(`Model did not load: ${status.message}`);
	}
	const lines = benchFile();
	const targets = linesToType(lines);
	const warm: Sample[] = [];
	const cold: Sample[] = [];
	const coldLines: Sample[][] = [];
	let matched = 0;
	let sameAsCold = 0;
	let ranSameAsCold = 0;
	let promptTokens = 0;
	for (const at of targets) {
		const line = lines[at];
		const uri = `file:///bench/typing-${at}.ts`;
		await server.open(uri, 'typescript', withLine(lines, at, ''));
		// The line's first request: cold, like the first keystroke after opening a file (not counted).
		await server.idle();
		await server.setSettings(SETTINGS);
		let shown = (await measure(server, uri, at, 0)).text;
		const typed: Sample[] = [];
		for (let k = 1; k <= line.length; k++) {
			if (shown.startsWith(line[k - 1])) {
				matched++;
			}
			await server.replace(uri, withLine(lines, at, line.slice(0, k)));
			const sample = await measure(server, uri, at, k);
			typed.push(sample);
			shown = sample.text;
		}
		// The same positions, cold: nothing parked, nothing cached, nothing computing ahead.
		const coldLine: Sample[] = [];
		for (let k = 1; k <= line.length; k++) {
			await server.replace(uri, withLine(lines, at, line.slice(0, k)));
			await server.idle();
			await server.setSettings(SETTINGS);
			const sample = await measure(server, uri, at, k);
			coldLine.push(sample);
			promptTokens = Math.max(promptTokens, sample.promptTokens);
			if (sample.text === typed[k - 1].text) {
				sameAsCold++;
				ranSameAsCold += typed[k - 1].engineMs !== null ? 1 : 0;
			}
		}
		warm.push(...typed);
		cold.push(...coldLine);
		coldLines.push(coldLine);
	}
	await server.dispose();
	const llama = await llamaServerTyping(coldLines);

	console.log(
		`\nTyping: ${targets.length} real lines of a ${lines.length}-line file, ${warm.length} keystrokes, prompts of up to ${promptTokens} tokens ` +
			`(${status.label}, ${status.device}, ${status.dtype}); a completion after each keystroke, up to 32 tokens, greedy.`,
	);
	const ran = warm.filter((s) => s.engineMs !== null);
	const ranCold = cold.filter((_, i) => warm[i].engineMs !== null);
	console.log(
		`${matched} typed characters matched the suggestion shown (answered from it, without the model); ` +
			`${sameAsCold} of ${warm.length} answers were the cold request's (${ranSameAsCold} of the ${ran.length} the model ran for).`,
	);
	console.log('\n                           p50      p95   engine p50  passes  prompt computed  no model');
	console.log(row('keystroke (KV reuse)', warm));
	console.log(row('  those the model ran', ran));
	console.log(row('cold, same positions', cold));
	console.log(row('  those the model ran', ranCold));
	console.log(llama ? row('llama-server (cache)', llama) : 'llama-server (cache)   not measured (BENCH_LLAMA=0)');
	console.log(
		`\nprefetches (the state after accepting each suggestion, in the background): ${prefetch.runs} started, ` +
			`${prefetch.completed} finished before the next keystroke, ${prefetch.passes} model passes in all.`,
	);
	if (llama) {
		console.log(
			'llama-server: the same cold prompts in typing order, its prompt cache on (-np 1, -t 1 -tb 2), greedy, 8 alternatives per token, ' +
				'as many tokens as Glassbox generated there; engine = its HTTP request; "computed" = prompt tokens not from its cache.',
		);
	}
	const p50 = (samples: Sample[]) => percentile(samples.map((s) => s.ms), 50);
	const ratio = p50(warm) / p50(cold);
	console.log(`\nkeystroke p50 / cold p50: ${ratio.toPrecision(2)}x ${ratio <= TARGET_RATIO ? `(at or below ${TARGET_RATIO}x)` : `(OVER ${TARGET_RATIO}x)`}`);
	if (ran.length > 0) {
		console.log(`model runs only, p50 / cold p50 at the same positions: ${(p50(ran) / p50(ranCold)).toPrecision(2)}x`);
	}
	if (llama) {
		const vs = p50(warm) / p50(llama);
		console.log(`keystroke p50 / llama-server p50: ${vs.toPrecision(2)}x ${vs <= 1 ? '(at or below)' : '(OVER)'}`);
		if (ran.length > 0) {
			const llamaRan = llama.filter((_, i) => warm[i].engineMs !== null);
			console.log(`model runs only, p50 / llama-server p50 at the same positions: ${(p50(ran) / p50(llamaRan)).toPrecision(2)}x`);
		}
	}
}

main().catch((e: unknown) => {
	console.error(e);
	process.exit(1);
});
