/**
 * The inspector page in real Chromium (Debian's, driven by playwright-core):
 * the HTML from renderInspectorHtml with its CSP, media/dist/panel.js and
 * media/panel.css served from 127.0.0.1, and a host shim (hostShim.ts) that
 * answers the protocol with a generation RECORDED from the embedded model
 * (fixtures/generation.json, see record-fixture.ts).
 *
 * Build first: `node esbuild.js webview` (or `node esbuild.js`).
 */
import * as assert from 'assert/strict';
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { renderInspectorHtml } from '../../client/src/panel/html';
import { formatNumber, formatPercent, shortToken } from '../../media/src/format';
import { probabilityBucket } from '../../media/src/transforms';
import { packedHeadSize, packedRowOffset, type AttentionLayerData, type GenerationRecord } from '../../protocol/generation';
import { AttentionLayerRequest, GenerateCommand, StopCommand, type EntryView, type IpcMessage } from '../../protocol/webview';
import { loadFixture, loadServerFixture, type GenerationFixture } from './fixture';
import type { ShimSetup } from './hostShim';
import { THEMES } from './themes';

// Page-side callbacks below run in Chromium; the root tsconfig has no DOM
// types, so what they touch is declared here, for this file only.
interface PageElement {
	dataset: Record<string, string | undefined>;
	textContent: string | null;
	disabled?: boolean;
	classList: { contains(name: string): boolean };
	getAttribute(name: string): string | null;
}
declare const document: {
	body: PageElement;
	activeElement: PageElement | null;
	getElementById(id: string): PageElement;
	querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
};
declare function getComputedStyle(element: PageElement): { backgroundColor: string; color: string };

const ROOT = path.resolve(__dirname, '..', '..');
const BUNDLE = path.join(ROOT, 'media', 'dist', 'panel.js');
const SCREENSHOTS = path.join(ROOT, 'test-output', 'webview');
const INJECTION = '<img src=x onerror=alert(1)>';

/**
 * SYNTHETIC OVERLAY on the recorded generation: one generated token's text
 * (and its entry among the alternatives), one alternative of another step and
 * the title are replaced by an HTML injection string. Probabilities,
 * alternatives and attention stay exactly as recorded.
 */
function withInjection(record: GenerationRecord): { record: GenerationRecord; injected: number } {
	const clone = structuredClone(record);
	const injected = Math.min(2, clone.steps.length - 1);
	const step = clone.steps[injected];
	for (const alt of step.top) {
		if (alt.id === step.id) {
			alt.text = INJECTION;
		}
	}
	step.text = INJECTION;
	const other = clone.steps[(injected + 1) % clone.steps.length];
	const alternative = other.top.find((a) => a.id !== other.id);
	if (alternative) {
		alternative.text = INJECTION;
	}
	clone.text = clone.steps.map((s) => s.text).join('');
	clone.title = `${clone.title} ${INJECTION}`;
	return { record: clone, injected };
}

function entryFor(record: GenerationRecord, key: string, prompt: string): EntryView {
	return {
		key,
		title: record.title,
		kind: record.kind,
		status: 'done',
		tokens: record.steps.length,
		createdAt: record.createdAt,
		stoppable: false,
		prompt,
		steps: record.steps,
		record,
		note: null,
		error: null,
	};
}

/** The recorded weight of query `q` on key `k`, straight from the packed bytes. */
function recordedWeight(layer: AttentionLayerData, head: number | 'avg', q: number, k: number): number {
	const bytes = Buffer.from(layer.data, 'base64');
	const size = packedHeadSize(layer.totalTokens, layer.rowStart);
	const at = (h: number) => bytes[h * size + packedRowOffset(q, layer.rowStart) + k];
	if (head !== 'avg') {
		return at(head) / 255;
	}
	let sum = 0;
	for (let h = 0; h < layer.heads; h++) {
		sum += at(h);
	}
	return sum / (255 * layer.heads);
}

/** What a token span shows: real text, with ↵ before newlines and ∅ for an empty token. */
function shownText(text: string): string {
	return text === '' ? '∅' : text.replace(/\n/g, '↵\n');
}

type Rgba = [number, number, number, number];

/** Parses Chromium's computed colours: rgb(), rgba() and color(srgb …) (what color-mix computes to). */
function parseColor(css: string): Rgba {
	let m = /^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/.exec(css);
	if (m) {
		return [Number(m[1]) / 255, Number(m[2]) / 255, Number(m[3]) / 255, m[4] === undefined ? 1 : Number(m[4])];
	}
	m = /^color\(srgb ([\d.e-]+) ([\d.e-]+) ([\d.e-]+)(?: \/ ([\d.]+))?\)$/.exec(css);
	if (m) {
		return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])];
	}
	throw new Error(`Unparsed colour ${css}`);
}

function over(top: Rgba, bottom: Rgba): Rgba {
	const a = top[3];
	return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat(1) as Rgba;
}

/** WCAG 2 contrast ratio of two opaque colours. */
function contrast(a: Rgba, b: Rgba): number {
	const lum = (c: Rgba) => {
		const [r, g, bl] = c.slice(0, 3).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
		return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
	};
	const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
	return (hi + 0.05) / (lo + 0.05);
}

describe('inspector webview in Chromium', function () {
	this.timeout(120_000);

	let fixture: GenerationFixture;
	let serverRecord: GenerationRecord;
	let shown: GenerationRecord;
	let injectedStep: number;
	let promptLength: number;
	let server: http.Server;
	let userDataDir: string;
	let context: BrowserContext;
	let page: Page;
	const requested: string[] = [];
	const dialogs: string[] = [];
	const problems: string[] = [];

	const received = (): Promise<IpcMessage[]> => page.evaluate('window.glassboxShim.received') as Promise<IpcMessage[]>;
	const tokens = () => page.locator('#token-strip .tok');

	before(async () => {
		fixture = loadFixture();
		serverRecord = loadServerFixture().record;
		if (!fs.existsSync(BUNDLE)) {
			throw new Error('media/dist/panel.js is missing: run `node esbuild.js webview` first.');
		}
		// A stale bundle would test yesterday's code and pass.
		const sources = [
			...fs.readdirSync(path.join(ROOT, 'media', 'src')).map((f) => path.join(ROOT, 'media', 'src', f)),
			path.join(ROOT, 'protocol', 'webview.ts'),
			path.join(ROOT, 'protocol', 'generation.ts'),
		];
		const newest = sources.reduce((a, f) => Math.max(a, fs.statSync(f).mtimeMs), 0);
		if (fs.statSync(BUNDLE).mtimeMs < newest) {
			throw new Error('media/dist/panel.js is older than its sources: run `node esbuild.js webview` first.');
		}
		({ record: shown, injected: injectedStep } = withInjection(fixture.record));
		promptLength = shown.promptTokens.length;
		const noAttention: GenerationRecord = { ...structuredClone(fixture.record), id: `${fixture.record.id}-no-attention`, attention: null };
		noAttention.title = 'Same tokens, attention removed';
		const setup: ShimSetup = {
			entries: [entryFor(shown, 'g2', fixture.prompt), entryFor(noAttention, 'g1', fixture.prompt), entryFor(serverRecord, 'g0', fixture.prompt)],
			model: { label: fixture.source.model, device: fixture.source.device, state: 'ready', detail: null },
			layers: { [shown.id]: fixture.attention },
			generation: { chunks: fixture.chunks, record: shown, delayMs: 40 },
			themes: THEMES,
			theme: 'dark',
		};
		const shim = await esbuild.build({
			stdin: { contents: "import { installHostShim } from './hostShim'; installHostShim(window as never, (window as never as { __shimSetup: never }).__shimSetup);", resolveDir: __dirname, loader: 'ts' },
			bundle: true,
			format: 'iife',
			platform: 'browser',
			write: false,
			logLevel: 'silent',
		});

		server = http.createServer((req, res) => {
			const url = new URL(req.url ?? '/', 'http://127.0.0.1');
			requested.push(url.pathname);
			const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
			const files: Record<string, [string, string]> = {
				'/media/dist/panel.js': [BUNDLE, 'text/javascript'],
				'/media/panel.css': [path.join(ROOT, 'media', 'panel.css'), 'text/css'],
			};
			if (url.pathname === '/') {
				res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
				res.end(
					renderInspectorHtml({
						cspSource: origin,
						nonce: Buffer.from(String(Math.random())).toString('base64url'),
						scriptUri: `${origin}/media/dist/panel.js`,
						styleUri: `${origin}/media/panel.css`,
					}),
				);
			} else if (url.pathname === '/favicon.ico') {
				res.writeHead(204).end(); // the browser asks on its own; not part of the page
			} else if (files[url.pathname]) {
				res.writeHead(200, { 'content-type': files[url.pathname][1] });
				res.end(fs.readFileSync(files[url.pathname][0]));
			} else {
				res.writeHead(404).end();
			}
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

		userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-chromium-'));
		context = await launchChromium(userDataDir, { width: 380, height: 1100 });
		page = context.pages()[0] ?? (await context.newPage());
		page.on('dialog', (dialog) => {
			dialogs.push(dialog.message());
			void dialog.dismiss();
		});
		page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
		page.on('console', (msg) => {
			if (msg.type() === 'error' || msg.type() === 'warning') {
				problems.push(`console ${msg.type()}: ${msg.text()}`);
			}
		});
		await page.addInitScript({ content: `window.__shimSetup = ${JSON.stringify(setup)};\n${shim.outputFiles[0].text}` });
		await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
		await tokens().first().waitFor();
	});

	after(async () => {
		await context?.close();
		server?.close();
		if (userDataDir) {
			fs.rmSync(userDataDir, { recursive: true, force: true });
		}
	});

	it('loads under its CSP with nothing blocked and no errors', async () => {
		const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
		assert.match(csp ?? '', /default-src 'none'/);
		assert.ok(requested.includes('/media/panel.css') && requested.includes('/media/dist/panel.js'));
		// The stylesheet applied: the body takes the theme's sidebar colour.
		assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(24, 24, 24)');
		assert.deepEqual(problems, []);
		const methods = (await received()).map((m) => m.method);
		assert.equal(methods[0], 'inspector/ready', 'the handshake comes first');
	});

	it('colours every recorded token by its probability, matching the legend', async () => {
		const spans = await tokens().evaluateAll((els: PageElement[]) =>
			els.map((el) => ({ text: el.textContent, bucket: el.dataset.bucket, bg: getComputedStyle(el).backgroundColor, label: el.getAttribute('aria-label') })),
		);
		assert.equal(spans.length, shown.steps.length);
		assert.equal(await page.locator('#prompt-strip .tok').count(), promptLength);
		const legend = await page.locator('#legend .swatch').evaluateAll((els: PageElement[]) =>
			Object.fromEntries(els.map((el) => [el.dataset.bucket, getComputedStyle(el).backgroundColor])),
		);
		assert.equal(new Set(Object.values(legend)).size, 5, 'five distinct legend colours');
		shown.steps.forEach((step, i) => {
			const bucket = probabilityBucket(step.prob);
			assert.equal(spans[i].text, shownText(step.text), `text of token ${i}`);
			assert.equal(spans[i].bucket, String(bucket), `bucket of token ${i} (p=${step.prob})`);
			assert.equal(spans[i].bg, legend[bucket], `colour of token ${i} matches the legend`);
			assert.ok(spans[i].label?.endsWith(formatPercent(step.prob)), `aria-label of token ${i}`);
		});
	});

	it('keeps every probability colour legible in dark, light and high contrast themes', async () => {
		try {
			for (const theme of ['dark', 'light', 'hc'] as const) {
				await page.evaluate(`window.glassboxShim.applyTheme(${JSON.stringify(theme)})`);
				const colours = await page.evaluate(() => ({
					output: getComputedStyle(document.getElementById('output')).backgroundColor,
					swatches: [...document.querySelectorAll('#token-strip .tok[data-bucket]')].map((el: PageElement) => ({
						bucket: el.dataset.bucket,
						bg: getComputedStyle(el).backgroundColor,
						fg: getComputedStyle(el).color,
					})),
				}));
				const base = parseColor(colours.output);
				for (const s of colours.swatches) {
					const ratio = contrast(parseColor(s.fg), over(parseColor(s.bg), base));
					assert.ok(ratio >= 4.5, `${theme}: bucket ${s.bucket} text contrast ${ratio.toFixed(2)} < 4.5`);
				}
			}
		} finally {
			await page.evaluate('window.glassboxShim.applyTheme("dark")');
		}
	});

	it('shows alternatives and entropy on hover and on keyboard focus', async () => {
		const check = async (i: number) => {
			const step = shown.steps[i];
			const card = page.locator('#token-card');
			await card.waitFor({ state: 'visible' });
			const text = (await card.textContent()) ?? '';
			assert.ok(text.includes(formatPercent(step.prob)), `card shows p=${formatPercent(step.prob)}: ${text}`);
			assert.ok(text.includes(`entropy ${formatNumber(step.entropy)} nats`), `card shows the entropy: ${text}`);
			const rows = await card.locator('tbody tr').allTextContents();
			const chosenListed = step.top.some((a) => a.id === step.id);
			assert.equal(rows.length, step.top.length + (chosenListed ? 0 : 1));
			step.top.forEach((alt, r) => {
				assert.ok(rows[r].includes(shortToken(alt.text, 28)) && rows[r].includes(formatPercent(alt.prob)), `alternative ${r}: ${rows[r]}`);
			});
		};
		// Hover: the least likely token, where the alternatives matter most.
		const least = shown.steps.reduce((best, s, i) => (s.prob < shown.steps[best].prob ? i : best), 0);
		await tokens().nth(least).hover();
		await check(least);
		// Keyboard: one tab stop for the strip, arrows move between tokens.
		await page.mouse.move(0, 0);
		await tokens().first().focus();
		await page.keyboard.press('ArrowRight');
		await page.keyboard.press('ArrowRight');
		assert.equal(await page.evaluate(() => document.activeElement?.dataset.index), '2');
		assert.equal(await tokens().nth(2).getAttribute('aria-describedby'), 'token-card');
		await check(2);
		assert.equal(await tokens().nth(2).getAttribute('tabindex'), '0');
		assert.equal(await tokens().nth(0).getAttribute('tabindex'), '-1');
	});

	it('draws the heatmap cells with the recorded weights for a chosen layer and head', async () => {
		const shape = shown.attention!;
		const layer = shape.layers - 1;
		const head = Math.min(1, shape.heads - 1);
		await page.selectOption('#layer', String(layer));
		await page.selectOption('#head', String(head));
		const canvas = page.locator('#heatmap');
		await page.waitForFunction(
			(label: string) => document.getElementById('heatmap').getAttribute('aria-label')?.includes(label) === true && document.getElementById('heatmap').dataset.state === 'ready',
			`layer ${layer + 1}, head ${head + 1}`,
		);
		const data = fixture.attention[layer];
		assert.equal(await canvas.getAttribute('data-block'), '1', 'a short generation is drawn cell by cell');
		const cellPx = Number(await canvas.getAttribute('data-cell-px'));
		const rowStart = data.rowStart;
		const last = data.totalTokens - 1;
		const cells: [number, number][] = [
			[rowStart, 0],
			[last, 0],
			[last, last],
			[Math.floor((rowStart + last) / 2), Math.floor((rowStart + last) / 4)],
			[last, promptLength - 1],
		];
		const hoverCell = async (q: number, k: number) => {
			await canvas.hover({ position: { x: k * cellPx + cellPx / 2, y: (q - rowStart) * cellPx + cellPx / 2 } });
			// Chromium delivers pointermove aligned to the next frame, after hover() returns: wait for the readout to follow.
			await page.waitForFunction(
				([query, key]: number[]) => (document.getElementById('heatmap-readout').textContent ?? '').includes(`(${query}) → `) && (document.getElementById('heatmap-readout').textContent ?? '').includes(`(${key}):`),
				[q, k],
			);
			return canvas.evaluate((el: PageElement) => ({
				query: el.dataset.query,
				key: el.dataset.key,
				weight: el.dataset.weight,
				readout: document.getElementById('heatmap-readout').textContent ?? '',
			}));
		};
		for (const [q, k] of cells) {
			const seen = await hoverCell(q, k);
			const weight = recordedWeight(data, head, q, k).toFixed(3);
			assert.equal(seen.query, String(q));
			assert.equal(seen.key, String(k));
			assert.equal(seen.weight, weight, `weight of ${q} → ${k}`);
			assert.match(seen.readout, new RegExp(`\\(${q}\\) → .*\\(${k}\\): ${weight}$`));
		}
		if (rowStart < last) {
			const masked = await hoverCell(rowStart, last);
			assert.match(masked.readout, /masked/);
			assert.equal(masked.weight, undefined);
		}

		await page.selectOption('#head', 'avg');
		await page.waitForFunction(() => document.getElementById('heatmap').getAttribute('aria-label')?.includes('average over heads'));
		const avg = await hoverCell(last, 0);
		assert.equal(avg.weight, recordedWeight(data, 'avg', last, 0).toFixed(3), 'average over heads');

		// Keyboard: with the pointer gone, focus puts the cursor on the first cell and arrows move it.
		await page.mouse.move(0, 0);
		await canvas.focus();
		await page.keyboard.press('ArrowDown');
		await page.keyboard.press('ArrowRight');
		const keyed = await canvas.evaluate((el: PageElement) => ({ ...el.dataset }));
		assert.equal(keyed.query, String(rowStart + 1));
		assert.equal(keyed.key, '1');
		assert.equal(keyed.weight, recordedWeight(data, 'avg', rowStart + 1, 1).toFixed(3));

		// Layers arrive one at a time, each once: switching heads reuses the decoded layer.
		const layerRequests = (await received()).filter((m) => AttentionLayerRequest.is(m)).map((m) => (m.params as { layer: number }).layer);
		assert.deepEqual(
			layerRequests.sort((a, b) => a - b),
			[0, layer].sort((a, b) => a - b),
		);
	});

	it('paints "attention from the selected token" onto the text', async () => {
		const layer = shown.attention!.layers - 1;
		const data = fixture.attention[layer];
		const step = Math.min(5, shown.steps.length - 2);
		const position = promptLength + step;
		await tokens().nth(step).click();
		await page.locator('#selection-info', { hasText: 'Attention from' }).waitFor();
		const painted = await page.locator('.tok[data-position]').evaluateAll((els: PageElement[]) =>
			els.map((el) => ({ position: Number(el.dataset.position), attention: el.dataset.attention, future: el.classList.contains('future'), selected: el.getAttribute('aria-selected') })),
		);
		assert.equal(painted.length, promptLength + shown.steps.length);
		for (const t of painted) {
			if (t.position <= position) {
				assert.equal(t.attention, recordedWeight(data, 'avg', position, t.position).toFixed(3), `weight on position ${t.position}`);
				assert.equal(t.future, false);
			} else {
				assert.equal(t.future, true, `position ${t.position} comes later`);
			}
			assert.equal(t.selected, String(t.position === position));
		}
		// The legend follows what the backgrounds mean.
		assert.equal(await page.isVisible('#attention-legend'), true);
		assert.equal(await page.isHidden('#legend'), true);
		await tokens().nth(step).press('Escape');
		await page.waitForFunction(() => document.querySelectorAll('.tok[data-attention]').length === 0);
		assert.equal(await page.isVisible('#legend'), true);
	});

	it('shows model output as text: an injected <img> is inert', async () => {
		const span = tokens().nth(injectedStep);
		assert.equal(await span.textContent(), INJECTION);
		await span.hover();
		const card = (await page.locator('#token-card').textContent()) ?? '';
		assert.ok(card.includes(shortToken(INJECTION, 40)));
		await tokens().nth(injectedStep + 1).hover();
		assert.ok(((await page.locator('#token-card').textContent()) ?? '').includes(shortToken(INJECTION, 28)));
		assert.ok(((await page.locator('#gen-title').textContent()) ?? '').endsWith(INJECTION));
		assert.equal(await page.locator('img').count(), 0, 'no <img> element exists');
		assert.deepEqual(dialogs, [], 'no dialog fired');
		assert.ok(!requested.includes('/x'), 'nothing tried to load src=x');
	});

	it('says plainly when a record has no attention outputs', async () => {
		await page.selectOption('#history', 'g1');
		const message = page.locator('#attention-message');
		await message.waitFor({ state: 'visible' });
		assert.match((await message.textContent()) ?? '', /export has no attention outputs/);
		assert.equal(await page.locator('#attention-body').isHidden(), true);
		await page.selectOption('#history', 'g2');
		await page.locator('#attention-body').waitFor({ state: 'visible' });
	});

	it("a server's generation: colours and alternatives, entropy marked estimated, and why there is no attention", async () => {
		await page.selectOption('#history', 'g0');
		const message = page.locator('#attention-message');
		await message.waitFor({ state: 'visible' });
		assert.equal(await message.textContent(), 'Inference servers do not return attention, so there is none to show for this generation.');
		assert.match((await page.locator('#gen-meta').textContent()) ?? '', /glassbox-mini on the llama\.cpp server at http:\/\/127\.0\.0\.1:\d+/);
		const strip = tokens();
		assert.equal(await strip.count(), serverRecord.steps.length);
		const i = serverRecord.steps.reduce((best, step, k) => (step.prob < serverRecord.steps[best].prob ? k : best), 0);
		const step = serverRecord.steps[i];
		assert.equal(step.entropyEstimated, true, 'recorded from the server with its entropy estimated');
		assert.equal(await strip.nth(i).getAttribute('data-bucket'), String(probabilityBucket(step.prob)));
		await strip.nth(i).hover();
		const card = page.locator('#token-card');
		await card.waitFor({ state: 'visible' });
		const text = (await card.textContent()) ?? '';
		assert.ok(text.includes(`entropy ≥ ${formatNumber(step.entropy)} nats (estimated from the top ${step.top.length})`), text);
		assert.equal(await card.locator('tbody tr').count(), step.top.length + (step.top.some((a) => a.id === step.id) ? 0 : 1));
		await page.mouse.move(0, 0);
		await page.selectOption('#history', 'g2');
		await page.locator('#attention-body').waitFor({ state: 'visible' });
	});

	it('saves screenshots', async () => {
		fs.mkdirSync(SCREENSHOTS, { recursive: true });
		// Overview: a token selected (attention painted on the text), a heatmap cell under the pointer.
		await tokens().nth(Math.min(6, shown.steps.length - 1)).click();
		await page.locator('#selection-info', { hasText: 'Attention from' }).waitFor();
		const canvas = page.locator('#heatmap');
		await canvas.focus(); // focus leaves the token, so its card closes
		const cellPx = Number(await canvas.getAttribute('data-cell-px'));
		await canvas.hover({ position: { x: cellPx * 1.5, y: cellPx * (Number(await canvas.getAttribute('data-rows')) - 0.5) } });
		await page.locator('#heatmap-readout', { hasText: '→' }).waitFor();
		for (const [theme, file] of [['dark', 'inspector.png'], ['light', 'inspector-light.png'], ['hc', 'inspector-hc.png']] as const) {
			await page.evaluate(`window.glassboxShim.applyTheme(${JSON.stringify(theme)})`);
			await page.screenshot({ path: path.join(SCREENSHOTS, file), fullPage: true });
		}
		await page.evaluate('window.glassboxShim.applyTheme("dark")');
		// The hover card over a token, with probability colours back on.
		await page.click('#selection-info .link-button');
		await tokens().nth(Math.min(3, shown.steps.length - 1)).hover();
		await page.locator('#token-card').waitFor({ state: 'visible' });
		await page.screenshot({ path: path.join(SCREENSHOTS, 'inspector-card.png'), fullPage: true });
		await page.mouse.move(0, 0);
		assert.ok(fs.statSync(path.join(SCREENSHOTS, 'inspector.png')).size > 10_000);
	});

	it('restores layer, head and the selected token when the view is shown again', async () => {
		const layer = shown.attention!.layers > 1 ? 1 : 0;
		await page.selectOption('#layer', String(layer));
		await page.selectOption('#head', '0');
		const step = 4;
		await tokens().nth(step).click();
		await page.locator('#selection-info', { hasText: 'Attention from' }).waitFor();
		// A hidden webview view is torn down; showing it again reloads the page.
		await page.reload();
		await page.locator('#selection-info', { hasText: 'Attention from' }).waitFor();
		assert.equal(await page.inputValue('#layer'), String(layer));
		assert.equal(await page.inputValue('#head'), '0');
		assert.equal(await tokens().nth(step).getAttribute('aria-selected'), 'true');
		const methods = (await received()).map((m) => m.method);
		assert.equal(methods[0], 'inspector/ready', 'the reloaded page shakes hands again');
	});

	it('streams a generation from the prompt box, and Stop cancels one', async () => {
		await page.fill('#prompt', fixture.prompt);
		await page.locator('#sampling > summary').click();
		await page.check('#greedy');
		assert.equal(await page.isDisabled('#temperature'), true, 'greedy disables the sampler settings');
		await page.fill('#max-new-tokens', String(fixture.sampling.maxNewTokens));
		await page.click('#generate');
		await page.locator('#gen-meta', { hasText: 'Generating…' }).waitFor();
		assert.equal(await page.isEnabled('#stop'), true);
		await page.waitForFunction(() => !document.getElementById('gen-meta').textContent?.includes('Generating'));
		assert.equal(await tokens().count(), shown.steps.length);
		assert.equal(await page.isDisabled('#stop'), true);
		const generate = (await received()).filter((m) => GenerateCommand.is(m)).at(-1)!;
		assert.deepEqual(generate.params, {
			prompt: fixture.prompt,
			sampling: { ...(generate.params as { sampling: object }).sampling, greedy: true, maxNewTokens: fixture.sampling.maxNewTokens },
		});

		await page.click('#generate');
		await page.locator('#gen-meta', { hasText: 'Generating…' }).waitFor();
		await page.click('#stop');
		await page.locator('#gen-meta', { hasText: 'stopped' }).waitFor();
		assert.ok((await received()).some((m) => StopCommand.is(m)));
		assert.ok((await tokens().count()) < shown.steps.length);
	});

	it('shows backend errors as messages, not crashes', async () => {
		await page.evaluate('window.glassboxShim.failNextGenerate = "The model is not available: missing onnx/model.onnx"');
		await page.click('#generate');
		const error = page.locator('#gen-error');
		await error.waitFor({ state: 'visible' });
		assert.equal(await error.textContent(), 'The model is not available: missing onnx/model.onnx');

		await page.selectOption('#history', 'g2');
		await page.locator('#attention-body').waitFor({ state: 'visible' });
		await page.evaluate('window.glassboxShim.failNextAttention = "Generation g2 is gone"');
		const fresh = shown.attention!.layers > 2 ? 2 : 0;
		await page.selectOption('#head', '1');
		await page.selectOption('#layer', String(fresh));
		await page.locator('#selection-info', { hasText: 'Could not load attention' }).waitFor();
		assert.match((await page.locator('#selection-info').textContent()) ?? '', /Generation g2 is gone/);
		assert.equal(await page.locator('#heatmap').getAttribute('data-state'), 'error');
		assert.deepEqual(
			problems.filter((p) => !p.includes('malformed')),
			[],
		);
	});
});
