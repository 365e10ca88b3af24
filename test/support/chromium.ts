/**
 * Debian's Chromium under playwright-core, for the webview and e2e tests.
 * Without these flags it keeps trying the network.
 */
import { chromium, type BrowserContext } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

/** Headless Chromium with its profile in `profileDir`. */
export function launchChromium(profileDir: string, viewport: { width: number; height: number }): Promise<BrowserContext> {
	return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport });
}
