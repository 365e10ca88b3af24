/**
 * Every command the extension contributes, in package.json's order. The
 * handlers are one record keyed by these ids (CommandHandlers), so a command
 * without a handler, or a handler for a command package.json lacks, does not
 * compile; extension.ts registers the record in one loop, and a unit test
 * checks this list against package.json's `contributes.commands`. Pure (no
 * `vscode` import) for that test.
 */
export const COMMAND_IDS = [
	'glassbox.summarize',
	'glassbox.explain',
	'glassbox.generateDocComment',
	'glassbox.inspectLastSuggestion',
	'glassbox.openInspector',
	'glassbox.showMenu',
	'glassbox.toggleCompletions',
	'glassbox.toggleLanguage',
	'glassbox.snooze',
	'glassbox.cancelSnooze',
	'glassbox.selectModel',
	'glassbox.setServerApiKey',
	'glassbox.clearServerApiKey',
	'glassbox.restartServer',
	'glassbox.showLog',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];

/** What runs for each command; a rejected promise is logged and shown by the registration loop. */
export type CommandHandlers = Record<CommandId, () => unknown>;
