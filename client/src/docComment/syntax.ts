/**
 * Code structure through tree-sitter, from @vscode/tree-sitter-wasm (the
 * build VS Code itself uses: runtime and grammars in one package, so they
 * always match). The runtime and each grammar load once, on first use, from
 * the extension's own files: nothing at activation, nothing from the network.
 */
import type { Language, Node, Parser, Tree } from '@vscode/tree-sitter-wasm';
import * as fs from 'fs';
import * as path from 'path';
import { languageInfo } from '../../../protocol/languages';
import { GRAMMARS, type GrammarRules } from './grammars';

type TreeSitter = typeof import('@vscode/tree-sitter-wasm');

/** A document parsed with its language's grammar, and the per-line facts the comment placement reads. */
export interface ParsedSource {
	readonly text: string;
	readonly languageId: string;
	readonly tree: Tree;
	readonly rules: GrammarRules;
	/** Lines without their line breaks. */
	readonly lines: readonly string[];
	/** Lines that hold a comment and nothing else (or lie inside a multi-line comment). */
	readonly commentOnly: readonly boolean[];
}

/** Where the package's wasm files are, inside an installed extension or this checkout. */
export function wasmFolder(extensionRoot: string): string {
	return path.join(extensionRoot, 'node_modules', '@vscode', 'tree-sitter-wasm', 'wasm');
}

/**
 * Loads grammars lazily and parses with them. One per extension; `dispose`
 * frees the parsers' native memory.
 */
export class Syntax {
	private runtime: Promise<TreeSitter> | undefined;
	private readonly parsers = new Map<string, Promise<Parser>>();

	constructor(private readonly wasmDir: string) {}

	/** Whether the language has a grammar Glassbox reads. */
	static supports(languageId: string): boolean {
		const grammar = languageInfo(languageId).grammar;
		return grammar !== undefined && grammar in GRAMMARS;
	}

	/**
	 * Parses `text` as `languageId`. Throws when the language has no grammar
	 * here, or when the grammar's file is missing or does not load (a broken
	 * installation).
	 */
	async parse(text: string, languageId: string): Promise<ParsedSource> {
		const grammar = languageInfo(languageId).grammar;
		if (grammar === undefined || !(grammar in GRAMMARS)) {
			throw new Error(`No tree-sitter grammar for ${languageInfo(languageId).name}.`);
		}
		let parser = this.parsers.get(grammar);
		if (!parser) {
			parser = this.load(grammar);
			this.parsers.set(grammar, parser);
			// A failed load may succeed later (a file restored): do not keep the failure.
			parser.catch(() => this.parsers.delete(grammar));
		}
		const tree = (await parser).parse(text);
		if (!tree) {
			throw new Error(`tree-sitter could not parse this ${languageInfo(languageId).name} file.`);
		}
		const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
		return { text, languageId, tree, rules: GRAMMARS[grammar], lines, commentOnly: commentOnlyLines(tree.rootNode, lines) };
	}

	private async load(grammar: string): Promise<Parser> {
		this.runtime ??= import('@vscode/tree-sitter-wasm').then(async (module) => {
			// A CommonJS module: its exports are the default export when Node's ESM loader imports it.
			const ts = (module as { default?: TreeSitter }).default ?? module;
			await ts.Parser.init({ locateFile: (file: string) => path.join(this.wasmDir, file) });
			return ts;
		});
		const ts = await this.runtime;
		const file = path.join(this.wasmDir, `tree-sitter-${grammar}.wasm`);
		const language: Language = await ts.Language.load(await fs.promises.readFile(file));
		const parser = new ts.Parser();
		parser.setLanguage(language);
		return parser;
	}

	dispose(): void {
		for (const parser of this.parsers.values()) {
			parser.then((p) => p.delete(), () => undefined);
		}
		this.parsers.clear();
	}
}

/** Every comment node in the tree (tree-sitter attaches comments wherever they fall). */
export function commentNodes(root: Node): Node[] {
	const out: Node[] = [];
	const visit = (node: Node): void => {
		if (/comment$/.test(node.type)) {
			out.push(node);
			return;
		}
		for (const child of node.children) {
			if (child) {
				visit(child);
			}
		}
	};
	visit(root);
	return out;
}

function commentOnlyLines(root: Node, lines: readonly string[]): boolean[] {
	// Each line with the comments' characters blanked: what is left is code.
	const rest = [...lines];
	for (const comment of commentNodes(root)) {
		const { startPosition: start, endPosition: end } = comment;
		for (let row = start.row; row <= end.row && row < rest.length; row++) {
			const from = row === start.row ? start.column : 0;
			const to = row === end.row ? end.column : rest[row].length;
			rest[row] = rest[row].slice(0, from) + ' '.repeat(Math.max(0, to - from)) + rest[row].slice(to);
		}
	}
	return lines.map((line, i) => line.trim() !== '' && rest[i].trim() === '');
}
