/**
 * Language ids grouped by how their code is commented, which picks the prompt
 * template for each task (models/registry.json keys templates by group).
 */

export type CommentGroup = 'python' | 'block' | 'triple' | 'go' | 'hash' | 'prose' | 'line';

const GROUPS: Record<string, CommentGroup> = {
	python: 'python',
	typescript: 'block',
	typescriptreact: 'block',
	javascript: 'block',
	javascriptreact: 'block',
	java: 'block',
	c: 'block',
	cpp: 'block',
	kotlin: 'block',
	scala: 'block',
	php: 'block',
	swift: 'block',
	css: 'block',
	scss: 'block',
	less: 'block',
	'objective-c': 'block',
	rust: 'triple',
	csharp: 'triple',
	fsharp: 'triple',
	go: 'go',
	shellscript: 'hash',
	ruby: 'hash',
	perl: 'hash',
	r: 'hash',
	yaml: 'hash',
	toml: 'hash',
	dockerfile: 'hash',
	makefile: 'hash',
	powershell: 'hash',
	elixir: 'hash',
	coffeescript: 'hash',
	markdown: 'prose',
	plaintext: 'prose',
	latex: 'prose',
	restructuredtext: 'prose',
	asciidoc: 'prose',
};

export function commentGroup(languageId: string): CommentGroup {
	return GROUPS[languageId] ?? 'line';
}

/** Languages whose documentation comment style the extension writes. */
export const DOC_COMMENT_LANGUAGES: Readonly<Record<string, string>> = {
	typescript: 'TypeScript',
	typescriptreact: 'TypeScript',
	javascript: 'JavaScript',
	javascriptreact: 'JavaScript',
	python: 'Python',
	java: 'Java',
	rust: 'Rust',
	csharp: 'C#',
	go: 'Go',
};

/** A readable name for prompts and messages. */
export function languageName(languageId: string): string {
	const known = DOC_COMMENT_LANGUAGES[languageId];
	if (known) {
		return known;
	}
	const names: Record<string, string> = {
		markdown: 'Markdown',
		plaintext: 'plain text',
		shellscript: 'shell script',
		cpp: 'C++',
		c: 'C',
		json: 'JSON',
		html: 'HTML',
		css: 'CSS',
	};
	return names[languageId] ?? languageId;
}
