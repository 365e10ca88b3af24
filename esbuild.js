// Builds the three bundles: the extension host client and the language server
// (Node, CommonJS) and the webview script (browser). `node esbuild.js --watch`
// rebuilds on change; `--production` minifies and drops source maps.
const esbuild = require('esbuild');
const path = require('path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const node = {
	bundle: true,
	platform: 'node',
	target: 'node20',
	format: 'cjs',
	sourcemap: !production,
	minify: production,
	logLevel: 'warning',
	// Native packages ship in node_modules: onnxruntime-node loads .node binaries
	// and shares its backend registry with onnxruntime-common, so both stay outside.
	external: ['vscode', 'onnxruntime-node', 'onnxruntime-common'],
	alias: {
		// transformers.js requires sharp at load time for its image pipelines; this
		// extension handles text only, so a stand-in that refuses images saves
		// shipping libvips (about 20 MB).
		sharp: path.join(__dirname, 'server', 'src', 'noImageSupport.js'),
	},
	// transformers.js reads import.meta.url for its default paths; we set every
	// path explicitly (server/src/modelLoader.ts), so a stand-in is enough.
	define: { 'import.meta.url': 'importMetaUrl' },
	banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
	mainFields: ['module', 'main'],
	conditions: ['node', 'require'],
};

const targets = {
	client: { ...node, entryPoints: { 'client/extension': 'client/src/extension.ts' }, outdir: 'dist' },
	// The pass worker is its own bundle: a worker thread loads it from a file beside the server.
	server: { ...node, entryPoints: { 'server/server': 'server/src/server.ts', 'server/passWorker': 'server/src/passWorker.ts' }, outdir: 'dist' },
	webview: {
		entryPoints: { panel: 'media/src/panel.ts' },
		outdir: 'media/dist',
		bundle: true,
		platform: 'browser',
		target: 'es2022',
		format: 'iife',
		sourcemap: !production,
		minify: production,
		logLevel: 'warning',
	},
};
// `node esbuild.js server webview` builds only those; no names: all three.
const named = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const builds = (named.length > 0 ? named : Object.keys(targets)).map((name) => {
	if (!targets[name]) {
		throw new Error(`Unknown build target "${name}"; known: ${Object.keys(targets).join(', ')}`);
	}
	return targets[name];
});

async function main() {
	const contexts = await Promise.all(builds.map((b) => esbuild.context(b)));
	if (watch) {
		await Promise.all(contexts.map((c) => c.watch()));
		console.log('[esbuild] watching');
		return;
	}
	await Promise.all(contexts.map((c) => c.rebuild()));
	await Promise.all(contexts.map((c) => c.dispose()));
}

main().catch((err) => {
	console.error(err);
	process.exit(1);
});
