/**
 * The server's view of the `glassbox` settings: pulled through
 * workspace/configuration when the client supports it, cached, and dropped
 * when the client says they changed.
 */
import type { Connection } from 'vscode-languageserver';
import { DEFAULT_SETTINGS, parseSettings, SETTINGS_SECTION, type GlassboxSettings } from '../../protocol/settings';

export class ServerSettings {
	private cached: Promise<GlassboxSettings> | undefined;
	/** Set from the client's capabilities during initialize. */
	canPull = false;

	constructor(private readonly connection: Connection) {}

	get(): Promise<GlassboxSettings> {
		if (!this.canPull) {
			return Promise.resolve(DEFAULT_SETTINGS);
		}
		this.cached ??= this.connection.workspace
			.getConfiguration({ section: SETTINGS_SECTION })
			.then(parseSettings, (e: unknown) => {
				this.connection.console.warn(`Could not read settings, using defaults: ${String(e)}`);
				this.cached = undefined;
				return DEFAULT_SETTINGS;
			});
		return this.cached;
	}

	invalidate(): void {
		this.cached = undefined;
	}
}
