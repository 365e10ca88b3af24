/**
 * The inference-server rows of `npm run bench`: the same inline completions
 * (the same code, prompts of about 200 and 1,000 tokens, greedy, 32 tokens)
 * through the `llama.cpp` and `openai` backends against a real llama-server
 * serving the embedded model as GGUF, beside the local engine, all measured in
 * the same run and interleaved run by run, so the machine's drift falls on
 * each backend alike.
 *
 * Each run asks twice: cold (no cache holds the prompt: the document's first
 * line names the run, the local engine's parked KV caches are dropped,
 * llama-server's one slot was just given another prompt, untimed, and its
 * cache of earlier prompts in RAM is off, `--cache-ram 0`), then after one
 * keystroke, a backspace (warm: the local engine takes over its parked cache,
 * llama-server its slot's; typing a character instead could type the
 * suggestion, which is answered without the model). Prints p50/p95 of each,
 * the tokens generated, the prompt tokens the cache gave (an
 * OpenAI-compatible stream reports them only at its end, and these are
 * closed by a stop rule first: "n/r"), the ratio of each backend's p50 to the
 * local engine's, and in how many runs each backend suggested the same text
 * as the local engine (the tokens differ only where healing did: a server
 * re-spells the cut token only when an allowed token is among its top 40,
 * the local engine always).
 */
import { LlamaServer } from '../support/llamaServer';
import { firstItemText, ServerHarness } from '../support/serverHarness';
import { percentile } from './benchText';

type Backend = 'local' | 'llama.cpp' | 'openai';
const BACKENDS: Backend[] = ['local', 'llama.cpp', 'openai'];

interface Sample {
	ms: number;
	promptTokens: number;
	reused: number;
	generated: number;
	suggestion: string;
}

type Phase = 'cold' | 'warm';

/** Runs the rows for `texts` (by target size); `settings` as the local bench uses them. */
export async function benchServers(texts: Map<number, string>, runs: number, warmup: number, settings: Record<string, unknown>): Promise<void> {
	// Without its RAM cache of earlier prompts (on by default), so that a cold prompt is computed.
	const llama = await LlamaServer.start({ args: ['--cache-ram', '0'] });
	const harnesses = new Map<Backend, ServerHarness>();
	const settingsFor = (backend: Backend): Record<string, unknown> =>
		backend === 'local' ? settings : { ...settings, backend, serverUrl: backend === 'openai' ? `${llama.url}/v1` : llama.url, serverModel: 'glassbox-mini' };
	try {
		for (const backend of BACKENDS) {
			const harness = await ServerHarness.start({ settings: settingsFor(backend) });
			harnesses.set(backend, harness);
			const status = await harness.waitForState(['ready', 'error', 'unavailable']);
			if (status.state !== 'ready') {
				throw new Error(`${backend}: ${status.message}`);
			}
		}
		const samples = new Map<string, Sample[]>();
		for (const [target, base] of texts) {
			for (let run = 0; run < warmup + runs; run++) {
				for (const backend of BACKENDS) {
					const harness = harnesses.get(backend)!;
					// Clears the answer cache (and the local engine's parked caches): this run computes its prompt.
					await harness.setSettings(settingsFor(backend));
					await evict(llama);
					const text = `// completion ${run} of the ${target}-token bench\n${base}`;
					const uri = `file:///bench/servers/${backend}-${target}-${run}.ts`;
					await harness.open(uri, 'typescript', text);
					const cold = await measure(harness, uri, text);
					// One keystroke: a backspace, so the prompt is the last one less its end.
					const typed = text.slice(0, -1);
					await harness.replace(uri, typed);
					const warm = await measure(harness, uri, typed);
					if (run >= warmup) {
						push(samples, `${backend} ${target} cold`, cold);
						push(samples, `${backend} ${target} warm`, warm);
					}
				}
			}
		}
		print(samples, [...texts.keys()], runs);
	} finally {
		await Promise.all([...harnesses.values()].map((h) => h.dispose()));
		await llama.stop();
	}
}

/** Gives llama-server's slot another prompt, so the next request finds nothing of its own in the cache. */
async function evict(llama: LlamaServer): Promise<void> {
	const res = await fetch(`${llama.url}/completion`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ prompt: 'Another prompt, to evict the cache.', n_predict: 1, cache_prompt: true }),
	});
	if (!res.ok) {
		throw new Error(`evicting llama-server's cache: HTTP ${res.status}`);
	}
	await res.text();
}

async function measure(harness: ServerHarness, uri: string, text: string): Promise<Sample> {
	const lines = text.split('\n');
	const before = await harness.stats();
	const t0 = performance.now();
	const list = await harness.complete(uri, { line: lines.length - 1, character: lines[lines.length - 1].length });
	const ms = performance.now() - t0;
	// Untimed: once idle, the prefetch that follows the answer is counted apart.
	const completions = await harness.completionsSince(before);
	const stats = completions[completions.length - 1];
	if (completions.length !== 1 || !stats) {
		throw new Error(`no completion ran for ${uri}: ${harness.logs.slice(-5).join('\n')}`);
	}
	return { ms, promptTokens: stats.promptTokens, reused: stats.promptReused, generated: stats.generatedTokens, suggestion: firstItemText(list) };
}

function push(map: Map<string, Sample[]>, key: string, sample: Sample): void {
	map.set(key, [...(map.get(key) ?? []), sample]);
}

function print(samples: Map<string, Sample[]>, targets: number[], runs: number): void {
	console.log(
		`\nInference servers: llama-server (llama.cpp v0.4.0, -t 1 -tb 2, one slot, --cache-ram 0) serving the same model as GGUF, on this machine; ` +
			`the same prompts, greedy, 32 tokens; ${runs} runs each, interleaved.`,
	);
	console.log('backend    prompt  cache  tokens  from cache  generated  p50       p95       p50 vs local  same suggestion as local');
	for (const target of targets) {
		for (const phase of ['cold', 'warm'] as Phase[]) {
			const local = samples.get(`local ${target} ${phase}`)!;
			const localP50 = percentile(local.map((s) => s.ms), 50);
			for (const backend of BACKENDS) {
				const rows = samples.get(`${backend} ${target} ${phase}`)!;
				const ms = rows.map((s) => s.ms);
				const same = rows.filter((s, i) => s.suggestion === local[i]?.suggestion).length;
				console.log(
					`${backend.padEnd(10)} ~${String(target).padEnd(5)} ${phase.padEnd(5)}  ${String(percentile(rows.map((s) => s.promptTokens), 50)).padStart(6)}  ` +
						`${(backend === 'openai' ? 'n/r' : String(percentile(rows.map((s) => s.reused), 50))).padStart(10)}  ${String(percentile(rows.map((s) => s.generated), 50)).padStart(9)}  ${percentile(ms, 50).toFixed(1).padStart(7)}ms ${percentile(ms, 95).toFixed(1).padStart(7)}ms  ` +
						`${(percentile(ms, 50) / localP50).toFixed(2).padStart(11)}x  ${backend === 'local' ? '' : `${same} of ${rows.length}`}`,
				);
			}
		}
	}
}
