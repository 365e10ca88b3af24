/** The Glassbox output channel as an instance's extension host writes it to disk, for tests that check what it says. */
import * as fs from 'fs';
import * as path from 'path';
import type { CodeServer } from './codeServer';
import { waitFor } from './processes';

/** The Glassbox output channel's log files under the instance's user data folder (one per window that ran the extension). */
export function glassboxLogFiles(server: CodeServer): string[] {
	const found: string[] = [];
	const visit = (dir: string): void => {
		for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
			const full = path.join(dir, entry.name);
			if (entry.isDirectory()) {
				visit(full);
			} else if (entry.name === 'Glassbox.log') {
				found.push(full);
			}
		}
	};
	const logs = path.join(server.userDataDir, 'logs');
	if (fs.existsSync(logs)) {
		visit(logs);
	}
	return found;
}

/** The one Glassbox log file of an instance with one window. @throws when there is none yet. */
export function glassboxLogFile(server: CodeServer): string {
	const [file] = glassboxLogFiles(server);
	if (!file) {
		throw new Error('The Glassbox log was not found under the user data folder.');
	}
	return file;
}

/** The text of every Glassbox log of the instance. */
export function glassboxLog(server: CodeServer): string {
	return glassboxLogFiles(server)
		.map((file) => fs.readFileSync(file, 'utf8'))
		.join('\n');
}

/** The first match of `pattern` in the Glassbox log, waiting up to 30 s for it. */
export function waitForLog(server: CodeServer, pattern: RegExp): Promise<string> {
	return waitFor(`a line matching ${pattern} in the Glassbox log`, 30_000, () => pattern.exec(glassboxLog(server))?.[0] ?? false);
}
