/**
 * Parses test sources with the real grammars, loaded the way the extension
 * loads them: from @vscode/tree-sitter-wasm's files in this checkout.
 */
import * as path from 'path';
import { Syntax, wasmFolder, type ParsedSource } from '../../../client/src/docComment/syntax';

const syntax = new Syntax(wasmFolder(path.resolve(__dirname, '..', '..', '..')));

export function parse(text: string, languageId: string): Promise<ParsedSource> {
	return syntax.parse(text, languageId);
}
