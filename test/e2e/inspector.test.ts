/**
 * The inspector sidebar: opened from the activity bar (Glassbox → Inspector),
 * a prompt generated from inside the webview, and the result drawn as tokens
 * coloured by probability and an attention heatmap.
 */
import * as assert from 'assert';
import { useSession } from './support/session';

/** What the in-page callbacks use (the project's lib has no DOM types; they run in the webview). */
interface Canvas {
	width: number;
	height: number;
	getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
declare function getComputedStyle(element: unknown): { backgroundColor: string };

describe('e2e: the inspector view (packaged extension in code-server)', function () {
	this.timeout(180_000);
	const session = useSession('inspector');

	it('opens from the activity bar, generates, and shows coloured tokens and the attention heatmap', async function () {
		const wb = session.workbench;
		await wb.openFile('src/shapes.ts');
		await wb.page.locator('.activitybar .action-item a.action-label[aria-label="Glassbox"]').click();
		// A container with one view shows the view's name in the sidebar's title.
		await wb.page.locator('.sidebar .composite.title', { hasText: /Inspector/i }).waitFor({ timeout: 15_000 });
		await wb.setSidebarWidth(480);
		const panel = await wb.webviewFrame('#prompt-form');
		// The page's script has run (the model line is filled in by it) before we type.
		await panel.locator('#model-status', { hasText: /ready/ }).waitFor({ timeout: 30_000 });

		// Mid-expression, so that even a small model has something to continue.
		await panel.locator('#prompt').fill('def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(');
		await panel.locator('#generate').click();
		await panel.locator('#generation').waitFor({ state: 'visible', timeout: 15_000 });
		// Finished: Stop is disabled again and the attention body replaces its message.
		await panel.locator('#stop:disabled').waitFor({ timeout: 120_000 });
		await panel.locator('#attention-body').waitFor({ state: 'visible', timeout: 30_000 });

		const colours = await panel.locator('#token-strip .tok:not(.prompt)').evaluateAll((spans) =>
			spans.map((s) => getComputedStyle(s).backgroundColor),
		);
		assert.ok(colours.length > 0, 'No generated tokens in the strip.');
		const painted = colours.filter((c) => c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent');
		assert.ok(painted.length > 0, `No generated token has a probability colour: ${JSON.stringify(colours)}`);

		// The heatmap is a canvas: it must have a size and more than one colour in it.
		const heatmap = await panel.locator('#heatmap').evaluate(async (node) => {
			const canvas = node as unknown as Canvas;
			for (let i = 0; i < 50 && canvas.width === 0; i++) {
				await new Promise((r) => setTimeout(r, 100));
			}
			const ctx = canvas.getContext('2d');
			if (!ctx || canvas.width === 0 || canvas.height === 0) {
				return { width: canvas.width, height: canvas.height, colours: 0 };
			}
			const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
			const seen = new Set<number>();
			for (let i = 0; i < data.length && seen.size < 64; i += 4) {
				seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
			}
			return { width: canvas.width, height: canvas.height, colours: seen.size };
		});
		assert.ok(heatmap.width > 0 && heatmap.height > 0, `The heatmap canvas is empty: ${JSON.stringify(heatmap)}`);
		assert.ok(heatmap.colours > 1, `The heatmap is a single colour: ${JSON.stringify(heatmap)}`);
		// For the screenshot: the coloured tokens at the top, the heatmap below them.
		await panel.locator('#legend').evaluate((node) => (node as unknown as { scrollIntoView(options: object): void }).scrollIntoView({ block: 'start' }));
		await wb.screenshot('inspector');
		assert.deepStrictEqual(await wb.errorNotifications(), []);
	});
});
