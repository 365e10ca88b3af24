/**
 * `npm run bench`, typing: per-keystroke completion latency over LSP while a
 * real line of a 1,000-token file is typed character by character, beside a
 * cold request at each same position (parked KV caches and answer cache
 * dropped by a settings change first). Some typed characters match the shown
 * suggestion (answered without the model), most do not.
 *
 * Prints p50/p95 per keystroke for both, their ratio (target: at or below
 * 0.25x the cold request), the model passes and the prompt tokens the model
 * actually computed. The llama-server row (its prompt cache on the same model
 * as GGUF) is measured here once that backend exists.
 */
import { LastCompletionRequest, type GenerationStats } from '../../protocol/lsp';
import { firstItemText, ServerHarness } from '../support/serverHarness';
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
}

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
	const before = (await server.stats()).generations;
	const t0 = performance.now();
	const list = await server.complete(uri, { line, character });
	const ms = performance.now() - t0;
	const stats = await server.stats();
	const ran: GenerationStats | undefined = stats.generations > before ? stats.recent[0] : undefined;
	if (ran) {
		// The record must exist (it is what Inspect Last Suggestion shows); fetching it is part of no timing.
		await server.connection.sendRequest(LastCompletionRequest);
	}
	return {
		ms,
		engineMs: ran ? ran.elapsedMs : null,
		passes: ran?.modelSteps ?? 0,
		promptTokens: ran?.promptTokens ?? 0,
		computed: ran?.promptComputed ?? 0,
		text: firstItemText(list),
	};
}

function withLine(lines: string[], at: number, text: string): string {
	return [...lines.slice(0, at), text, ...lines.slice(at + 1)].join('\n');
}

/**
 * The llama-server comparison: its prompt-cached latency for the same keystrokes on the
 * same model converted to GGUF, measured in this run. Undefined until the llama-server
 * backend (server/src/backends/) and its GGUF conversion exist.
 */
async function llamaServerTyping(): Promise<Sample[] | undefined> {
	return undefined;
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
	let matched = 0;
	let sameAsCold = 0;
	let ranSameAsCold = 0;
	let promptTokens = 0;
	for (const at of targets) {
		const line = lines[at];
		const uri = `file:///bench/typing-${at}.ts`;
		await server.open(uri, 'typescript', withLine(lines, at, ''));
		// The line's first request: cold, like the first keystroke after opening a file (not counted).
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
		// The same positions, cold: nothing parked, nothing cached.
		for (let k = 1; k <= line.length; k++) {
			await server.replace(uri, withLine(lines, at, line.slice(0, k)));
			await server.setSettings(SETTINGS);
			const sample = await measure(server, uri, at, k);
			cold.push(sample);
			promptTokens = Math.max(promptTokens, sample.promptTokens);
			if (sample.text === typed[k - 1].text) {
				sameAsCold++;
				ranSameAsCold += typed[k - 1].engineMs !== null ? 1 : 0;
			}
		}
		warm.push(...typed);
	}
	const llama = await llamaServerTyping();
	await server.dispose();

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
	console.log(llama ? row('llama-server (cache)', llama) : 'llama-server (cache)   not measured: no llama-server backend yet');
	const p50 = (samples: Sample[]) => percentile(samples.map((s) => s.ms), 50);
	const ratio = p50(warm) / p50(cold);
	console.log(`\nkeystroke p50 / cold p50: ${ratio.toPrecision(2)}x ${ratio <= TARGET_RATIO ? `(at or below ${TARGET_RATIO}x)` : `(OVER ${TARGET_RATIO}x)`}`);
	if (ran.length > 0) {
		console.log(`model runs only, p50 / cold p50 at the same positions: ${(p50(ran) / p50(ranCold)).toPrecision(2)}x`);
	}
	if (llama) {
		const vs = percentile(warm.map((s) => s.ms), 50) / percentile(llama.map((s) => s.ms), 50);
		console.log(`keystroke p50 / llama-server p50: ${vs.toFixed(2)}x ${vs <= 1 ? '(at or below)' : '(OVER)'}`);
	}
}

main().catch((e: unknown) => {
	console.error(e);
	process.exit(1);
});
