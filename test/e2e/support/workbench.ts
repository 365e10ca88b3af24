/**
 * Drives the VS Code workbench in Chromium the way a person does: keyboard,
 * command palette, clicks. Selectors are VS Code 1.100's DOM; each helper
 * waits for the state it needs with a deadline rather than sleeping.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BrowserContext, Frame, Locator, Page } from 'playwright-core';
import { launchChromium } from '../../support/chromium';
import { OUTPUT_DIR } from './codeServer';
import { waitFor } from './processes';

/** The DOM the in-page callbacks touch (the project's lib has no DOM types; they run in the page). */
interface PageElement {
	textContent: string | null;
	classList: { contains(name: string): boolean };
	querySelector(selector: string): PageElement | null;
	querySelectorAll(selector: string): Iterable<PageElement>;
	closest(selector: string): PageElement | null;
}
declare const document: PageElement;

// Extension status bar items get the id `<extension id>.<item id>`.
const STATUS_ITEM = '[id="glassbox.glassbox.glassbox.status"]';
const QUICK_INPUT = '.quick-input-widget';

export class Workbench {
	private constructor(
		private readonly context: BrowserContext,
		readonly page: Page,
		private readonly profile: string,
	) {}

	static async open(url: string): Promise<Workbench> {
		const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'glassbox-e2e-chromium-'));
		const context = await launchChromium(profile, { width: 1400, height: 860 });
		const page = context.pages()[0] ?? (await context.newPage());
		const workbench = new Workbench(context, page, profile);
		await page.goto(url);
		await page.locator('.monaco-workbench .part.editor').waitFor({ timeout: 60_000 });
		return workbench;
	}

	async close(): Promise<void> {
		await this.context.close().catch(() => undefined);
		fs.rmSync(this.profile, { recursive: true, force: true });
	}

	async screenshot(name: string): Promise<string> {
		fs.mkdirSync(OUTPUT_DIR, { recursive: true });
		const file = path.join(OUTPUT_DIR, `${name}.png`);
		await this.page.screenshot({ path: file });
		return file;
	}

	// ---- Status bar ------------------------------------------------------------

	statusItem(): Locator {
		return this.page.locator(STATUS_ITEM);
	}

	/** The Glassbox item's accessible label ("Glassbox: … is ready", "Glassbox: Loading …"). */
	async statusLabel(): Promise<string> {
		const item = this.statusItem();
		if ((await item.count()) === 0) {
			return '';
		}
		const own = await item.getAttribute('aria-label');
		const inner = await item.locator('[aria-label]').first().getAttribute('aria-label').catch(() => null);
		return own ?? inner ?? '';
	}

	/**
	 * Waits until the status bar says the model is ready (sparkle icon,
	 * "ready" in the label). An error notification (the server did not start,
	 * the model did not load) ends the wait at once.
	 */
	async waitForModelReady(timeoutMs = 120_000): Promise<string> {
		let last = '';
		try {
			return await waitFor('the Glassbox status bar item to say the model is ready', timeoutMs, async () => {
				last = await this.statusLabel();
				const sparkle = await this.statusItem().locator('.codicon-sparkle').count();
				if (/ready/i.test(last) && sparkle > 0) {
					return last;
				}
				const errors = await this.errorNotifications();
				if (errors.length > 0) {
					throw new Error(`Error notification while waiting for the model: ${errors.join(' | ')}`);
				}
				return false;
			}, 500);
		} catch (e) {
			throw new Error(`${e instanceof Error ? e.message : String(e)} (status bar: "${last}")`);
		}
	}

	/** Drags the sash between the sidebar and the editor so that the sidebar is `width` pixels wide. */
	async setSidebarWidth(width: number): Promise<void> {
		const box = await this.page.locator('.part.sidebar').boundingBox();
		if (!box) {
			throw new Error('The sidebar is not open.');
		}
		const y = box.y + box.height / 2;
		await this.page.mouse.move(box.x + box.width, y);
		await this.page.mouse.down();
		await this.page.mouse.move(box.x + width, y, { steps: 10 });
		await this.page.mouse.up();
	}

	// ---- Quick input: files and commands --------------------------------------

	private async quickInput(opener: string, text: string): Promise<void> {
		await this.page.keyboard.press(opener);
		const input = this.page.locator(`${QUICK_INPUT} input`);
		await input.waitFor({ state: 'visible', timeout: 15_000 });
		await input.fill(text);
	}

	/** Opens a workspace file through Quick Open (Ctrl+P) and waits for its editor to have focus. */
	async openFile(relativePath: string): Promise<void> {
		const base = path.basename(relativePath);
		await this.quickInput('Control+P', relativePath);
		// Clicked rather than Enter: the list refilters as the text arrives.
		const row = this.page.locator(`${QUICK_INPUT} .monaco-list-row[aria-label^="${base}"]`).first();
		await row.click({ timeout: 15_000 });
		await this.page.locator(`.tabs-container .tab.active[aria-label^="${base}"]`).waitFor({ timeout: 15_000 });
		await this.page.locator('.editor-instance .monaco-editor.focused').waitFor({ timeout: 15_000 });
	}

	/** Opens a notebook through Quick Open and waits for its notebook editor. */
	async openNotebook(relativePath: string): Promise<void> {
		const base = path.basename(relativePath);
		await this.quickInput('Control+P', relativePath);
		await this.page.locator(`${QUICK_INPUT} .monaco-list-row[aria-label^="${base}"]`).first().click({ timeout: 15_000 });
		await this.page.locator(`.tabs-container .tab.active[aria-label^="${base}"]`).waitFor({ timeout: 15_000 });
		await this.page.locator('.notebook-editor .cell-list-container').waitFor({ timeout: 30_000 });
	}

	/** Moves the cursor to the start of a line (1-based) with Go to Line (Ctrl+G). */
	async goToLine(line: number): Promise<void> {
		await this.quickInput('Control+G', `:${line}`);
		await this.page.keyboard.press('Enter');
		await this.page.locator(QUICK_INPUT).waitFor({ state: 'hidden', timeout: 15_000 });
		await this.page.keyboard.press('Home');
	}

	/** Waits until the active editor has unsaved changes (an edit made by a command landed). */
	async waitForDirty(timeoutMs = 90_000): Promise<void> {
		await this.page.locator('.tabs-container .tab.active.dirty').waitFor({ timeout: timeoutMs });
	}

	/**
	 * Runs a command from the command palette by its title as shown there
	 * ("Glassbox: Summarize"): the row with exactly that label is clicked.
	 * `opensQuickPick`: the command shows a quick pick of its own, so the
	 * quick input stays open.
	 */
	async runCommand(title: string, options: { opensQuickPick?: boolean } = {}): Promise<void> {
		await this.quickInput('F1', `>${title}`);
		const row = await waitFor(`"${title}" in the command palette`, 15_000, async () => {
			const rows = this.page.locator(`${QUICK_INPUT} .monaco-list-row`);
			for (let i = 0; i < (await rows.count()); i++) {
				const label = (await rows.nth(i).getAttribute('aria-label').catch(() => null)) ?? '';
				// The row's label is the title, sometimes followed by its keybinding.
				if (label === title || label.startsWith(`${title}, `)) {
					return rows.nth(i);
				}
			}
			return false;
		});
		await row.click();
		if (!options.opensQuickPick) {
			await this.page.locator(QUICK_INPUT).waitFor({ state: 'hidden', timeout: 15_000 });
		}
	}

	/**
	 * The Glassbox output channel at Debug level, so its log has the server's
	 * line per completion request (what a failed test's saved logs need).
	 * code-server's own --log level does not reach an extension's channel.
	 */
	async debugGlassboxLog(): Promise<void> {
		await this.runCommand('Developer: Set Log Level...', { opensQuickPick: true });
		await this.pickQuickItem('Glassbox');
		await this.pickQuickItem('Debug');
	}

	/** Clicks the row of the open quick pick whose label contains `label` (codicons aside). */
	async pickQuickItem(label: string): Promise<void> {
		const row = await waitFor(`"${label}" in the quick pick`, 15_000, async () => {
			const rows = this.page.locator(`${QUICK_INPUT} .monaco-list-row`);
			for (let i = 0; i < (await rows.count()); i++) {
				const text = (await rows.nth(i).getAttribute('aria-label').catch(() => null)) ?? '';
				if (text.includes(label)) {
					return rows.nth(i);
				}
			}
			return false;
		});
		await row.click();
	}

	/** Types into the open quick input (an input box) and presses Enter. */
	async answerInput(text: string): Promise<void> {
		const input = this.page.locator(`${QUICK_INPUT} input`);
		await input.waitFor({ state: 'visible', timeout: 15_000 });
		await input.fill(text);
		await input.press('Enter');
	}

	/** Clicks a button of the modal dialog (showWarningMessage with modal: true), once it is shown; returns the dialog's text. */
	async clickDialogButton(label: string, timeoutMs = 30_000): Promise<string> {
		// A dialog that was just closed can still be in the DOM: only the visible one counts.
		const dialog = this.page.locator('.monaco-dialog-box').filter({ visible: true });
		const button = dialog.locator('.dialog-buttons .monaco-button', { hasText: label }).first();
		await button.waitFor({ state: 'visible', timeout: timeoutMs });
		const message = (await dialog.first().innerText()).trim();
		await button.click();
		await button.waitFor({ state: 'hidden', timeout: 15_000 });
		return message;
	}

	// ---- The editor ----------------------------------------------------------

	/** Types into the focused editor, key by key, as a person would (auto-indent applies). */
	async type(text: string): Promise<void> {
		await this.page.keyboard.type(text, { delay: 15 });
	}

	async press(keys: string): Promise<void> {
		await this.page.keyboard.press(keys);
	}

	/** Inline suggestion text shown in the active editor, or '' when there is none. */
	async ghostText(): Promise<string> {
		return this.page.evaluate(() => {
			// The focused editor: a file's, or a notebook cell's.
			const editor = document.querySelector('.monaco-editor.focused') ?? document.querySelector('.editor-instance .monaco-editor');
			if (!editor) {
				return '';
			}
			// The part on the cursor's line is `ghost-text-decoration` spans in that
			// view line; further lines of a multi-line suggestion are `ghost-text`
			// spans in view lines of a zone below it (blank lines have no span).
			const inline: string[] = [];
			const below = new Map<PageElement, string>();
			for (const el of editor.querySelectorAll('[class*="ghost-text"]')) {
				if (el.querySelector('[class*="ghost-text"]')) {
					continue;
				}
				const text = el.textContent ?? '';
				if (el.classList.contains('ghost-text-decoration')) {
					inline.push(text);
				} else {
					const line = el.closest('.view-line') ?? el;
					below.set(line, (below.get(line) ?? '') + text);
				}
			}
			return [inline.join(''), ...below.values()].join('\n').replace(/\u00a0/g, ' ');
		});
	}

	/**
	 * Waits for ghost text with something other than whitespace in it. Every
	 * `triggerAfterMs` without one it asks explicitly, through the command
	 * palette's Trigger Inline Suggestion. Not Alt+\\: in some fresh
	 * code-server 4.100.3 sessions VS Code asked no inline completion provider
	 * after the first typing, and Alt+\\ did not either, for minutes, while the
	 * palette's command did every time (seen with a log line at the top of the
	 * client's provider, on the embedded model and on llama-server alike).
	 */
	async waitForGhostText(timeoutMs = 60_000, triggerAfterMs = 8_000): Promise<string> {
		let asked = Date.now();
		return waitFor('ghost text (an inline suggestion) in the editor', timeoutMs, async () => {
			const text = await this.ghostText();
			if (text.trim() !== '') {
				return text;
			}
			if (Date.now() - asked > triggerAfterMs) {
				await this.runCommand('Trigger Inline Suggestion');
				asked = Date.now();
			}
			return false;
		});
	}

	/** Saves the active editor and returns the file's new content on disk (which must differ from `before`). */
	async saveAndRead(file: string, before: string): Promise<string> {
		await this.page.keyboard.press('Control+S');
		// Clean again means the write finished; reading earlier can see a half-written file.
		await this.page.locator('.tabs-container .tab.active:not(.dirty)').waitFor({ timeout: 15_000 });
		return waitFor(`${path.basename(file)} to be saved`, 15_000, () => {
			const now = fs.readFileSync(file, 'utf8');
			return now !== before ? now : false;
		});
	}

	// ---- Notifications ---------------------------------------------------------

	/**
	 * Text of the first notification toast that matches `pattern`. An error
	 * notification, or a toast matching `failOn`, ends the wait at once.
	 */
	async waitForNotification(pattern: RegExp, timeoutMs = 60_000, failOn?: RegExp): Promise<string> {
		return waitFor(`a notification matching ${pattern}`, timeoutMs, async () => {
			const errors = await this.errorNotifications();
			if (errors.length > 0) {
				throw new Error(`Error notification instead: ${errors.join(' | ')}`);
			}
			const toasts = this.page.locator('.notifications-toasts .notification-toast');
			for (let i = 0; i < (await toasts.count()); i++) {
				const text = (await toasts.nth(i).locator('.notification-list-item-message').innerText().catch(() => '')).trim();
				if (pattern.test(text)) {
					return text;
				}
				if (failOn?.test(text)) {
					throw new Error(`Notification instead: ${text}`);
				}
			}
			return false;
		}, 500);
	}

	/** Errors shown as notifications, for assertions that none appeared. */
	async errorNotifications(): Promise<string[]> {
		const items = this.page.locator('.notifications-toasts .notification-toast:has(.codicon-error) .notification-list-item-message');
		return items.allInnerTexts();
	}

	// ---- Webviews --------------------------------------------------------------

	/**
	 * The frame that holds a webview's own document: webviews are nested
	 * iframes, so the one that has `selector` in it is the one we want.
	 */
	async webviewFrame(selector: string, timeoutMs = 30_000): Promise<Frame> {
		return waitFor(`a webview frame containing ${selector}`, timeoutMs, async () => {
			for (const frame of this.page.frames()) {
				if (frame === this.page.mainFrame() || frame.isDetached()) {
					continue;
				}
				const found = await frame.$(selector).catch(() => null);
				if (found) {
					return frame;
				}
			}
			return false;
		}, 500);
	}
}
