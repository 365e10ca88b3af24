/**
 * `npm run bench:activation`: how long the packaged extension takes to start
 * in a real VS Code (code-server), read from the extension's own log: the
 * activate() call, the language server's start, and the model load. Runs a
 * few fresh instances and prints medians.
 */
import * as fs from 'fs';
import { CodeServer } from '../e2e/support/codeServer';
import { glassboxLogFile } from '../e2e/support/glassboxLog';
import { Workbench } from '../e2e/support/workbench';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
}

async function main(): Promise<void> {
	const activate: number[] = [];
	const serverStart: number[] = [];
	const modelLoad: number[] = [];
	for (let run = 0; run < RUNS; run++) {
		const server = await CodeServer.start();
		const workbench = await Workbench.open(server.url);
		try {
			await workbench.waitForModelReady();
			const file = glassboxLogFile(server);
			const log = fs.readFileSync(file, 'utf8');
			const number = (re: RegExp) => {
				const m = re.exec(log);
				if (!m) {
					throw new Error(`Not in the log (${re}):\n${log}`);
				}
				return Number(m[1]);
			};
			activate.push(number(/Activated in (\d+) ms/));
			serverStart.push(number(/Language server started (\d+) ms after activation began/));
			modelLoad.push(number(/Loaded .* in (\d+) ms/));
		} finally {
			await workbench.close();
			await server.stop();
		}
	}
	console.log(`Extension start in code-server 4.100.3, median of ${RUNS} fresh instances:`);
	console.log(`  activate() returns            ${median(activate)} ms   (${activate.join(', ')})`);
	console.log(`  language server initialized   ${median(serverStart)} ms after activation began   (${serverStart.join(', ')})`);
	console.log(`  embedded model loaded         ${median(modelLoad)} ms in the server   (${modelLoad.join(', ')})`);
}

main().catch((e: unknown) => {
	console.error(e);
	process.exit(1);
});
