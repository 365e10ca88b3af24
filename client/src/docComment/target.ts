/**
 * The function, method or class at the cursor: from the editor's document
 * symbols when a language extension provides them (its choice of symbol
 * wins), with the lines read from the syntax tree, which knows decorators
 * and comments; from the syntax tree alone otherwise.
 */
import * as vscode from 'vscode';
import type { DocTarget } from './edit';
import { adjustCursorLine, findSymbolAt, matchProviderSymbol } from './symbols';
import type { ParsedSource } from './syntax';

const DOCUMENTABLE = new Set([
	vscode.SymbolKind.Function,
	vscode.SymbolKind.Method,
	vscode.SymbolKind.Constructor,
	vscode.SymbolKind.Class,
	vscode.SymbolKind.Interface,
	vscode.SymbolKind.Struct,
	vscode.SymbolKind.Enum,
]);

/** Kinds that are documentable when they hold a function (`const f = () => {}`). */
const MAYBE_FUNCTION = new Set([vscode.SymbolKind.Variable, vscode.SymbolKind.Constant, vscode.SymbolKind.Property, vscode.SymbolKind.Field]);

interface Candidate {
	name: string;
	kind: vscode.SymbolKind;
	range: vscode.Range;
	/** The name's line, when the provider says (DocumentSymbol). */
	nameLine: number | undefined;
}

export async function findDocTarget(
	document: vscode.TextDocument,
	src: ParsedSource,
	line: number,
	log: vscode.LogOutputChannel,
): Promise<DocTarget | undefined> {
	const at = adjustCursorLine(src, line);
	let symbols: Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined;
	try {
		symbols = await vscode.commands.executeCommand<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined>(
			'vscode.executeDocumentSymbolProvider',
			document.uri,
		);
	} catch (e) {
		log.warn(`Document symbols for ${document.uri.toString(true)} failed: ${String(e)}`);
	}

	const candidates = flatten(symbols ?? []).filter((c) => c.range.start.line <= at && at <= c.range.end.line);
	for (const candidate of candidates.sort(bySize)) {
		const reported = { name: candidate.name, startLine: candidate.range.start.line, endLine: candidate.range.end.line, nameLine: candidate.nameLine };
		const tree = matchProviderSymbol(src, reported);
		if (DOCUMENTABLE.has(candidate.kind) || (MAYBE_FUNCTION.has(candidate.kind) && tree?.kind === 'function')) {
			// The provider chose the symbol; the tree knows where its decorators and comments are.
			return tree
				? { name: candidate.name, startLine: tree.startLine, declarationLine: tree.declarationLine, endLine: tree.endLine }
				: { name: candidate.name, startLine: reported.startLine, declarationLine: reported.nameLine ?? reported.startLine, endLine: reported.endLine };
		}
	}
	// No provider, or it sees nothing documentable here: the syntax tree may still (a local function, say).
	const symbol = findSymbolAt(src, line);
	if (symbol) {
		log.info(`Documentation target from the syntax tree: ${symbol.name} (lines ${symbol.startLine + 1}-${symbol.endLine + 1}).`);
	}
	return symbol && { name: symbol.name, startLine: symbol.startLine, declarationLine: symbol.declarationLine, endLine: symbol.endLine };
}

/** DocumentSymbol trees and flat SymbolInformation lists, as one list. */
function flatten(symbols: ReadonlyArray<vscode.DocumentSymbol | vscode.SymbolInformation>): Candidate[] {
	const out: Candidate[] = [];
	const visit = (s: vscode.DocumentSymbol | vscode.SymbolInformation): void => {
		if ('children' in s && 'range' in s && s.range) {
			out.push({ name: s.name, kind: s.kind, range: s.range, nameLine: s.selectionRange?.start.line });
			s.children.forEach(visit);
		} else if ('location' in s && s.location) {
			out.push({ name: s.name, kind: s.kind, range: s.location.range, nameLine: undefined });
		}
	};
	symbols.forEach(visit);
	return out;
}

/** Smaller ranges first: the innermost symbol containing the cursor. */
function bySize(a: Candidate, b: Candidate): number {
	const lines = a.range.end.line - a.range.start.line - (b.range.end.line - b.range.start.line);
	if (lines !== 0) {
		return lines;
	}
	return b.range.start.character - a.range.start.character || a.range.end.character - b.range.end.character;
}
