/** The Glassbox output channel as an instance's extension host writes it to disk, for tests that check what it says. */
import * as fs from 'fs';
import * as path from 'path';
import type { CodeServer } from './codeServer';
import { waitFor } from './processes';

export function glassboxLog(server: CodeServer): string {
	const found: string[] = [];
	const visit = (dir: string): void => {
		for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) {
				visit(full);
			} else if (entry.name === 'Glassbox.log') {
				found.push(fs.readFileSync(full, 'utf8'));
			}
		}
	};
	const logs = path.join(server.userDataDir, 'logs');
	if (fs.existsSync(logs)) {
		visit(logs);
	}
	return found.join('\n');
}

/** The first match of `pattern` in the Glassbox log, waiting up to 30 s for it. */
export function waitForLog(server: CodeServer, pattern: RegExp): Promise<string> {
	return waitFor(`a line matching ${pattern} in the Glassbox log`, 30_000, () => pattern.exec(glassboxLog(server))?.[0] ?? false);
}
