/**
 * The one table of per-language facts, shared by the extension and the
 * language server: the display name, how the language comments and
 * documents code, how its blocks are delimited (which the completion rules
 * need to know where a suggestion's scope ends), the tree-sitter grammar
 * that reads its structure, and the group that picks its prompt templates
 * (models/registry.json keys task templates by group). Adding a language
 * touches this table only. No imports, so every bundle can use it.
 */

/** Prompt-template group: languages that comment code the same way share templates. */
export type TemplateGroup = 'python' | 'block' | 'triple' | 'go' | 'hash' | 'prose' | 'line';

/** How documentation comments are written, when Glassbox can write them. */
export type DocCommentStyle = 'jsdoc' | 'javadoc' | 'docstring' | 'rustdoc' | 'csharpxml' | 'godoc';

/**
 * How a block's end is marked: `braces` ({ } closes it; the closer line ends
 * a suggestion's scope), `indent` (the block ends where indentation drops;
 * a `}` line is not a closer), `keywords` (`end`, `fi`, `done`, `esac`), or
 * `none` (prose and data: no blocks).
 */
export type BlockStyle = 'braces' | 'indent' | 'keywords' | 'none';

export interface LanguageInfo {
	/** VS Code language id. */
	id: string;
	/** Name for messages and prompts. */
	name: string;
	templateGroup: TemplateGroup;
	blocks: BlockStyle;
	/** Line comment marker, when the language has one. */
	lineComment?: string;
	/** Documentation comment style, when Glassbox writes them for this language. */
	docComment?: DocCommentStyle;
	/** tree-sitter grammar (as @vscode/tree-sitter-wasm names it), when the doc-comment feature reads this language's structure. */
	grammar?: string;
}

type Entry = Omit<LanguageInfo, 'id'>;

const TABLE: Record<string, Entry> = {
	typescript: { name: 'TypeScript', templateGroup: 'block', blocks: 'braces', lineComment: '//', docComment: 'jsdoc', grammar: 'typescript' },
	typescriptreact: { name: 'TypeScript React', templateGroup: 'block', blocks: 'braces', lineComment: '//', docComment: 'jsdoc', grammar: 'tsx' },
	javascript: { name: 'JavaScript', templateGroup: 'block', blocks: 'braces', lineComment: '//', docComment: 'jsdoc', grammar: 'javascript' },
	javascriptreact: { name: 'JavaScript React', templateGroup: 'block', blocks: 'braces', lineComment: '//', docComment: 'jsdoc', grammar: 'javascript' },
	python: { name: 'Python', templateGroup: 'python', blocks: 'indent', lineComment: '#', docComment: 'docstring', grammar: 'python' },
	java: { name: 'Java', templateGroup: 'block', blocks: 'braces', lineComment: '//', docComment: 'javadoc', grammar: 'java' },
	rust: { name: 'Rust', templateGroup: 'triple', blocks: 'braces', lineComment: '//', docComment: 'rustdoc', grammar: 'rust' },
	csharp: { name: 'C#', templateGroup: 'triple', blocks: 'braces', lineComment: '//', docComment: 'csharpxml', grammar: 'c-sharp' },
	go: { name: 'Go', templateGroup: 'go', blocks: 'braces', lineComment: '//', docComment: 'godoc', grammar: 'go' },
	c: { name: 'C', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	cpp: { name: 'C++', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	'objective-c': { name: 'Objective-C', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	kotlin: { name: 'Kotlin', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	scala: { name: 'Scala', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	swift: { name: 'Swift', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	php: { name: 'PHP', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	dart: { name: 'Dart', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	css: { name: 'CSS', templateGroup: 'block', blocks: 'braces' },
	scss: { name: 'SCSS', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	less: { name: 'Less', templateGroup: 'block', blocks: 'braces', lineComment: '//' },
	json: { name: 'JSON', templateGroup: 'line', blocks: 'braces' },
	jsonc: { name: 'JSON with Comments', templateGroup: 'line', blocks: 'braces', lineComment: '//' },
	fsharp: { name: 'F#', templateGroup: 'triple', blocks: 'indent', lineComment: '//' },
	shellscript: { name: 'Shell Script', templateGroup: 'hash', blocks: 'keywords', lineComment: '#' },
	ruby: { name: 'Ruby', templateGroup: 'hash', blocks: 'keywords', lineComment: '#' },
	lua: { name: 'Lua', templateGroup: 'line', blocks: 'keywords', lineComment: '--' },
	perl: { name: 'Perl', templateGroup: 'hash', blocks: 'braces', lineComment: '#' },
	r: { name: 'R', templateGroup: 'hash', blocks: 'braces', lineComment: '#' },
	elixir: { name: 'Elixir', templateGroup: 'hash', blocks: 'keywords', lineComment: '#' },
	coffeescript: { name: 'CoffeeScript', templateGroup: 'hash', blocks: 'indent', lineComment: '#' },
	powershell: { name: 'PowerShell', templateGroup: 'hash', blocks: 'braces', lineComment: '#' },
	yaml: { name: 'YAML', templateGroup: 'hash', blocks: 'indent', lineComment: '#' },
	toml: { name: 'TOML', templateGroup: 'hash', blocks: 'none', lineComment: '#' },
	dockerfile: { name: 'Dockerfile', templateGroup: 'hash', blocks: 'none', lineComment: '#' },
	makefile: { name: 'Makefile', templateGroup: 'hash', blocks: 'indent', lineComment: '#' },
	sql: { name: 'SQL', templateGroup: 'line', blocks: 'none', lineComment: '--' },
	html: { name: 'HTML', templateGroup: 'line', blocks: 'none' },
	markdown: { name: 'Markdown', templateGroup: 'prose', blocks: 'none' },
	plaintext: { name: 'Plain Text', templateGroup: 'prose', blocks: 'none' },
	latex: { name: 'LaTeX', templateGroup: 'prose', blocks: 'none', lineComment: '%' },
	restructuredtext: { name: 'reStructuredText', templateGroup: 'prose', blocks: 'none' },
	asciidoc: { name: 'AsciiDoc', templateGroup: 'prose', blocks: 'none' },
};

/**
 * What Glassbox knows of a language id. Unknown ids get a neutral record
 * (their own id as the name, braces for blocks, the generic template group),
 * so every caller gets an answer.
 */
export function languageInfo(languageId: string): LanguageInfo {
	const entry = Object.prototype.hasOwnProperty.call(TABLE, languageId) ? TABLE[languageId] : undefined;
	return entry ? { id: languageId, ...entry } : { id: languageId, name: languageId, templateGroup: 'line', blocks: 'braces' };
}

/** Every language in the table, in table order. */
export function knownLanguages(): LanguageInfo[] {
	return Object.entries(TABLE).map(([id, entry]) => ({ id, ...entry }));
}

/** The documentation comment style of a language, or undefined when Glassbox writes none for it. */
export function docCommentStyle(languageId: string): DocCommentStyle | undefined {
	return languageInfo(languageId).docComment;
}

/**
 * The one message for a language without a documentation comment style,
 * shown by the extension before it asks and sent by the server if asked
 * anyway. Lists the languages that have one, from the table.
 */
export function unsupportedDocCommentMessage(languageId: string): string {
	const names = knownLanguages()
		.filter((l) => l.docComment !== undefined)
		.map((l) => l.name);
	const list = `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
	return `Glassbox can't write documentation comments for ${languageInfo(languageId).name} files: it knows the comment styles of ${list}.`;
}
