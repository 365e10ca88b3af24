/**
 * The command table against package.json: every contributed command has a
 * handler (CommandHandlers is keyed by COMMAND_IDS, so the compiler checks
 * that half) and every id in the table is contributed.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { COMMAND_IDS } from '../../client/src/commandIds';

interface Manifest {
	contributes: { commands: Array<{ command: string; title: string }>; menus: Record<string, Array<{ command: string }>> };
}

describe('commandIds', () => {
	const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as Manifest;

	it("equals package.json's contributes.commands, in order", () => {
		assert.deepStrictEqual([...COMMAND_IDS], pkg.contributes.commands.map((c) => c.command));
		assert.strictEqual(new Set(COMMAND_IDS).size, COMMAND_IDS.length, 'an id is listed twice');
	});

	it('every menu entry names a command in the table', () => {
		for (const [menu, entries] of Object.entries(pkg.contributes.menus)) {
			for (const entry of entries) {
				assert.ok((COMMAND_IDS as readonly string[]).includes(entry.command), `${menu} names ${entry.command}`);
			}
		}
	});
});
