/** What the benchmarks share: the code they complete, and percentiles. */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../support/serverHarness';

/** The `p`th percentile of `values` (nearest rank). */
export function percentile(values: number[], p: number): number {
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
	return sorted[rank];
}

/** Real code to complete: the project's own TypeScript (server/src, files in name order). */
export function sourceText(): string {
	const dir = path.join(REPO_ROOT, 'server', 'src');
	return fs
		.readdirSync(dir)
		.filter((f) => f.endsWith('.ts'))
		.sort()
		.map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
		.join('\n');
}
