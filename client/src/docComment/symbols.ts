/**
 * The function, method or class around a line, read from the syntax tree:
 * its span (decorators, annotations and attributes included), the line of
 * the declaration itself, and what its signature says for parameter and
 * return tags. Pure (no `vscode` import).
 */
import type { Node } from '@vscode/tree-sitter-wasm';
import type { SignatureInfo } from './format';
import type { SymbolKind } from './grammars';
import type { ParsedSource } from './syntax';

export interface SymbolSpan {
	name: string;
	kind: SymbolKind;
	/** First line of the symbol: its decorators, annotations or attributes when it has any. */
	startLine: number;
	/** Line where the declaration itself starts (`def`, `fn`, `class`, modifiers, the signature). */
	declarationLine: number;
	/** Last line of the body, or of the declaration when it has no body. */
	endLine: number;
}

/** A symbol with the nodes it came from. */
export interface DocSymbol extends SymbolSpan {
	/** Column where the symbol starts on `startLine` (other code may stand before it). */
	startColumn: number;
	/** The declaration, or the variable, field or property holding a function. */
	node: Node;
	/** The function itself: `node`, or the value `node` holds. */
	fn: Node;
}

const isComment = (node: Node): boolean => /comment$/.test(node.type);

function children(node: Node): Node[] {
	return node.children.filter((c): c is Node => c !== null);
}

/** The row of a node's last character (a node that ends with its line break ends on the line before). */
function endRow(node: Node): number {
	const { endPosition: end, startPosition: start } = node;
	return end.column === 0 && end.row > start.row ? end.row - 1 : end.row;
}

/** Last row that holds code of `node`: trailing comments tree-sitter attached to it do not count. */
function lastCodeRow(node: Node): number {
	const code = children(node).filter((c) => !isComment(c));
	const last = code[code.length - 1];
	return last ? lastCodeRow(last) : endRow(node);
}

/** The symbol `node` declares, if it is documentable. */
function symbolOf(src: ParsedSource, node: Node): DocSymbol | undefined {
	const { rules } = src;
	let kind = rules.symbols[node.type];
	let fn = node;
	const field = rules.holders?.[node.type];
	if (!kind && field) {
		const value = node.childForFieldName(field);
		if (!value || !rules.functionValues?.includes(value.type)) {
			return undefined;
		}
		kind = 'function';
		fn = value;
	}
	if (!kind) {
		return undefined;
	}
	const anchor = anchorOf(src, node);
	const first = firstDecorator(src, anchor) ?? anchor;
	const name = (node.childForFieldName('name') ?? node.childForFieldName('key'))?.text ?? 'default';
	const { row, column } = first.startPosition;
	return { name, kind, node, fn, startLine: row, startColumn: column, declarationLine: firstCodeRow(src, anchor), endLine: lastCodeRow(anchor) };
}

/** The outermost node that stands for the declaration: exports, decorated definitions, single declarations around it. */
function anchorOf(src: ParsedSource, node: Node): Node {
	let anchor = node;
	for (let parent = anchor.parent; parent && src.rules.wrappers.includes(parent.type); parent = parent.parent) {
		const declarations = children(parent).filter((c) => c.isNamed && !isComment(c) && !src.rules.decorators.includes(c.type));
		if (declarations.length !== 1) {
			break;
		}
		anchor = parent;
	}
	return anchor;
}

/** The first of the decorators directly before `anchor` (TypeScript members, Rust attributes), if it has any. */
function firstDecorator(src: ParsedSource, anchor: Node): Node | undefined {
	let first: Node | undefined;
	for (let s = anchor.previousSibling; s && (isComment(s) || src.rules.decorators.includes(s.type)); s = s.previousSibling) {
		if (!isComment(s)) {
			first = s;
		}
	}
	return first;
}

/** Row of the first token that is neither a decorator nor a comment. */
function firstCodeRow(src: ParsedSource, node: Node): number {
	const visit = (n: Node): number | undefined => {
		if (isComment(n) || src.rules.decorators.includes(n.type)) {
			return undefined;
		}
		if (n.childCount === 0) {
			return n.startPosition.row;
		}
		for (const c of children(n)) {
			const row = visit(c);
			if (row !== undefined) {
				return row;
			}
		}
		return undefined;
	};
	return visit(node) ?? node.startPosition.row;
}

/** Every documentable symbol whose span holds `line`, outermost first. */
function symbolsAround(src: ParsedSource, line: number): DocSymbol[] {
	const found: DocSymbol[] = [];
	const visit = (node: Node): void => {
		for (const child of children(node)) {
			const symbol = symbolOf(src, child);
			if (symbol && symbol.startLine <= line && line <= symbol.endLine) {
				found.push(symbol);
			}
			if (child.startPosition.row <= line && line <= child.endPosition.row) {
				visit(child);
			}
		}
	};
	visit(src.tree.rootNode);
	return found;
}

/** The innermost of `symbols` (the smallest span; the deeper one of equal spans). */
function innermost(symbols: DocSymbol[]): DocSymbol | undefined {
	let best: DocSymbol | undefined;
	for (const s of symbols) {
		if (!best || s.endLine - s.startLine <= best.endLine - best.startLine) {
			best = s;
		}
	}
	return best;
}

/**
 * The line to look for a symbol at: a cursor on a comment directly above
 * code (an existing doc comment, typically) means the code below it.
 */
export function adjustCursorLine(src: ParsedSource, line: number): number {
	const l = Math.max(0, Math.min(line, src.lines.length - 1));
	let k = l;
	while (k < src.lines.length && src.commentOnly[k]) {
		k++;
	}
	return k > l && k < src.lines.length && src.lines[k].trim() !== '' ? k : l;
}

/** The innermost function, method or class whose lines (decorators included) contain `line`. */
export function findSymbolAt(src: ParsedSource, line: number): DocSymbol | undefined {
	return innermost(symbolsAround(src, adjustCursorLine(src, line)));
}

/**
 * The symbol a target names: declared on its declaration line, the one
 * with its name and last line when several are (the innermost otherwise).
 */
export function symbolForTarget(src: ParsedSource, target: { name: string; declarationLine: number; endLine: number }): DocSymbol | undefined {
	const declared = symbolsAround(src, target.declarationLine).filter((s) => s.declarationLine === target.declarationLine);
	const exact = declared.filter((s) => s.name === cleanSymbolName(target.name) && s.endLine === target.endLine);
	return innermost(exact.length > 0 ? exact : declared);
}

/** Providers name symbols differently: `(*Server).Start`, `add(int, int) : int`, `Outer.inner`. */
export function cleanSymbolName(name: string): string {
	const bare = name.replace(/^\([^)]*\)\./, '').split(/[\s(<:]/)[0];
	const last = bare.split('.').pop() ?? bare;
	return last === '' ? name.trim() : last;
}

/**
 * The tree's symbol for one a language server reported: the innermost one
 * at its name's line (or its first line of code) with the same name.
 */
export function matchProviderSymbol(src: ParsedSource, reported: { name: string; startLine: number; endLine: number; nameLine?: number }): DocSymbol | undefined {
	let line = reported.nameLine ?? reported.startLine;
	while (reported.nameLine === undefined && line < reported.endLine && (src.lines[line]?.trim() === '' || src.commentOnly[line])) {
		line++;
	}
	const symbol = innermost(symbolsAround(src, line));
	return symbol && symbol.name === cleanSymbolName(reported.name) ? symbol : undefined;
}

/** A parameter's name, or undefined for destructuring, `self`, `this` and separators. */
function parameterName(node: Node): string | undefined {
	if (node.type === 'identifier') {
		return node.text.replace(/^@/, '');
	}
	const named = node.childForFieldName('name') ?? node.childForFieldName('pattern') ?? node.childForFieldName('left');
	if (named) {
		return parameterName(named);
	}
	// `...rest`, `*args`, `mut x`, `String... rest`: the name is inside.
	const inner = node.namedChildren.find((c): c is Node => c !== null && (c.type === 'identifier' || c.childForFieldName('name') !== null));
	return inner ? parameterName(inner) : undefined;
}

/** Parameter names and whether a value is returned, as the declaration says (never guessed). */
export function signatureOf(src: ParsedSource, symbol: DocSymbol): SignatureInfo {
	const list = symbol.fn.childForFieldName('parameters') ?? symbol.fn.childForFieldName('parameter');
	const params = !list ? [] : list.type === 'identifier' ? [list] : list.namedChildren.filter((c): c is Node => c !== null && !isComment(c));
	return {
		params: params.map(parameterName).filter((p): p is string => p !== undefined),
		returns: src.rules.returns?.(symbol.node, symbol.fn) ?? 'unknown',
	};
}
