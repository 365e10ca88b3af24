// `npm run test:electron`: the end-to-end scenarios that the vscode API can
// observe, in desktop VS Code 1.100.3 downloaded by @vscode/test-electron,
// with the packaged .vsix installed (npm run test:electron packages first).
// Needs internet for the download (and a display: xvfb-run -a on a headless
// Linux machine). Offline it says so and exits 1; the code-server suite
// (npm run test:e2e) covers the same scenarios and the UI-only ones.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const VSCODE_VERSION = '1.100.3';
const root = path.resolve(__dirname, '..');
// Same platform names as vsce's --target.
const target = `${process.platform}-${process.arch}`;

function fail(message) {
	console.error(`test:electron: ${message}`);
	process.exit(1);
}

async function main() {
	const { downloadAndUnzipVSCode, resolveCliPathFromVSCodeExecutablePath, runTests } = require('@vscode/test-electron');
	const { name, version } = require(path.join(root, 'package.json'));
	const vsix = path.join(root, 'out', `${name}-${target}-${version}.vsix`);
	if (!fs.existsSync(vsix)) {
		fail(`${path.relative(root, vsix)} is missing: run \`npm run package -- ${target}\` first.`);
	}

	// The suite runs inside VS Code's extension host, which loads JavaScript:
	// bundle it (mocha and vscode stay external; mocha resolves from node_modules).
	const suiteSrc = path.join(root, 'test', 'electron', 'suite');
	const suiteOut = path.join(root, 'out', 'electron');
	fs.rmSync(suiteOut, { recursive: true, force: true });
	await require('esbuild').build({
		entryPoints: fs.readdirSync(suiteSrc).filter((f) => f.endsWith('.ts')).map((f) => path.join(suiteSrc, f)),
		outdir: suiteOut,
		bundle: true,
		platform: 'node',
		target: 'node20',
		format: 'cjs',
		sourcemap: 'inline',
		external: ['vscode', 'mocha'],
		logLevel: 'warning',
	});

	let executable;
	try {
		executable = await downloadAndUnzipVSCode({ version: VSCODE_VERSION, cachePath: path.join(root, '.vscode-test') });
	} catch (e) {
		fail(
			`could not download VS Code ${VSCODE_VERSION} (${e instanceof Error ? e.message : String(e)}).\n` +
				'@vscode/test-electron needs internet access to update.code.visualstudio.com. Without it, run the ' +
				'same scenarios in code-server: `npm run test:e2e`.',
		);
	}

	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-electron-'));
	const profile = [`--extensions-dir=${path.join(tmp, 'extensions')}`, `--user-data-dir=${path.join(tmp, 'user-data')}`];
	const workspace = path.join(tmp, 'workspace');
	fs.cpSync(path.join(root, 'test', 'e2e', 'fixtures', 'workspace'), workspace, { recursive: true });
	fs.mkdirSync(path.join(tmp, 'user-data', 'User'), { recursive: true });
	fs.writeFileSync(
		path.join(tmp, 'user-data', 'User', 'settings.json'),
		JSON.stringify({
			'workbench.startupEditor': 'none',
			'security.workspace.trust.enabled': false,
			'telemetry.telemetryLevel': 'off',
			'update.mode': 'none',
			'extensions.autoUpdate': false,
			'editor.inlineSuggest.enabled': true,
			'editor.quickSuggestions': { other: false, comments: false, strings: false },
		}),
	);

	// Installed as a user would install it, so a file missing from the package fails the run.
	const cli = resolveCliPathFromVSCodeExecutablePath(executable);
	const install = spawnSync(cli, [...profile, '--install-extension', vsix], { stdio: 'inherit', shell: process.platform === 'win32' });
	if (install.status !== 0) {
		fail(`installing ${path.basename(vsix)} failed (exit code ${install.status}).`);
	}

	let code = 1;
	try {
		code = await runTests({
			vscodeExecutablePath: executable,
			// A manifest-only extension that hosts the test runner; Glassbox itself is the installed .vsix.
			extensionDevelopmentPath: path.join(root, 'test', 'electron', 'host'),
			extensionTestsPath: path.join(suiteOut, 'index.js'),
			launchArgs: [workspace, ...profile],
		});
	} catch (e) {
		console.error(`test:electron: ${e instanceof Error ? e.message : String(e)}`);
	} finally {
		fs.rmSync(tmp, { recursive: true, force: true });
	}
	process.exit(code);
}

main().catch((e) => fail(e instanceof Error ? (e.stack ?? e.message) : String(e)));
