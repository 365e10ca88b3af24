/**
 * The function, method or class at the cursor: from the editor's document
 * symbols when a language extension provides them, else from the
 * indentation/brace fallback (symbolFallback.ts).
 */
import * as vscode from 'vscode';
import { scanCode } from './codeScan';
import type { DocTarget } from './docCommentEdit';
import { adjustCursorLine, findSymbolAt, normaliseSymbolSpan, parseDeclarationAt } from './symbolFallback';

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
const MAYBE_FUNCTION = new Set([
	vscode.SymbolKind.Variable,
	vscode.SymbolKind.Constant,
	vscode.SymbolKind.Property,
	vscode.SymbolKind.Field,
]);

interface Candidate {
	name: string;
	kind: vscode.SymbolKind;
	range: vscode.Range;
	/** The name's line, when the provider says (DocumentSymbol). */
	nameLine: number | undefined;
}

export async function findDocTarget(
	document: vscode.TextDocument,
	line: number,
	log: vscode.LogOutputChannel,
): Promise<DocTarget | undefined> {
	const text = document.getText();
	const { languageId } = document;
	const scan = scanCode(text, languageId);
	const at = adjustCursorLine(scan, line, languageId);

	let symbols: Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined;
	try {
		symbols = await vscode.commands.executeCommand<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined>(
			'vscode.executeDocumentSymbolProvider',
			document.uri,
		);
	} catch (e) {
		log.warn(`Document symbols for ${document.uri.toString(true)} failed: ${String(e)}`);
	}

	if (symbols && symbols.length > 0) {
		const documentable = (c: Candidate): boolean =>
			DOCUMENTABLE.has(c.kind) || (MAYBE_FUNCTION.has(c.kind) && parseDeclarationAt(scan, c.nameLine ?? c.range.start.line, languageId)?.kind === 'function');
		const containing = flatten(symbols).filter((c) => c.range.start.line <= at && at <= c.range.end.line && documentable(c));
		const innermost = containing.sort(bySize)[0];
		if (innermost) {
			const span = normaliseSymbolSpan(text, languageId, {
				startLine: innermost.range.start.line,
				endLine: innermost.range.end.line,
				nameLine: innermost.nameLine,
			});
			return { name: innermost.name, ...span };
		}
	}
	// No provider, or it sees nothing documentable here: the fallback may still (a local function, say).
	const fallback = findSymbolAt(text, line, languageId);
	if (fallback) {
		log.info(`Documentation target from the fallback parser: ${fallback.name} (lines ${fallback.startLine + 1}-${fallback.endLine + 1}).`);
	}
	return fallback;
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
