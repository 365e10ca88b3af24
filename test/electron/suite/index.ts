/**
 * Entry point that VS Code's extension host calls (--extensionTestsPath):
 * runs every bundled *.test.js next to this file with mocha.
 */
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';

export async function run(): Promise<void> {
	const mocha = new Mocha({ ui: 'bdd', timeout: 180_000, color: true });
	for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js'))) {
		mocha.addFile(path.join(__dirname, file));
	}
	await new Promise<void>((resolve, reject) => {
		mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} end-to-end test(s) failed.`)) : resolve()));
	});
}
