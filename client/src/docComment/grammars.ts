/**
 * What the doc-comment feature reads from each tree-sitter grammar: which
 * nodes declare a documentable function or class, which wrap one (an export,
 * a decorated definition), which are decorators, annotations or attributes,
 * and what a signature says about its return value. Keyed by grammar (the
 * language table in protocol/languages.ts says which grammar a language
 * uses); node type names are the grammars' own. Pure (no `vscode` import).
 */
import type { Node } from '@vscode/tree-sitter-wasm';

export type SymbolKind = 'function' | 'class';

/** Whether a function returns a value, as far as its signature says. */
export type Returns = 'yes' | 'no' | 'unknown';

export interface GrammarRules {
	/** Declarations of documentable symbols. */
	symbols: Readonly<Record<string, SymbolKind>>;
	/** Nodes that document a function when the value in their field is a function (`const f = () => {}`): node type → field. */
	holders?: Readonly<Record<string, string>>;
	/** Function values for `holders`. */
	functionValues?: readonly string[];
	/** Parents that wrap exactly one declaration, whose comment goes above them (`export`, `@decorator` + `def`). */
	wrappers: readonly string[];
	/** Decorators, annotations and attributes, above a declaration or in its head. */
	decorators: readonly string[];
	/** What the signature of a function (its declaration, or the function value of a holder) says it returns. */
	returns?: (declaration: Node, fn: Node) => Returns;
	/** Docstrings (the first statement of a body when it is a lone string): the body's node, and what a lone string is. */
	docstrings?: { body: string; statement: string; strings: readonly string[] };
}

const childTokens = (node: Node): string[] => node.children.filter((c): c is Node => c !== null && !c.isNamed).map((c) => c.type);

const JS_LIKE: GrammarRules = {
	symbols: {
		function_declaration: 'function',
		generator_function_declaration: 'function',
		function_signature: 'function',
		method_definition: 'function',
		method_signature: 'function',
		abstract_method_signature: 'function',
		class_declaration: 'class',
		abstract_class_declaration: 'class',
		interface_declaration: 'class',
		enum_declaration: 'class',
	},
	holders: { variable_declarator: 'value', public_field_definition: 'value', field_definition: 'value', pair: 'value' },
	functionValues: ['arrow_function', 'function_expression', 'function', 'generator_function'],
	wrappers: ['export_statement', 'lexical_declaration', 'variable_declaration'],
	decorators: ['decorator'],
	returns: (declaration, fn) => {
		const name = declaration.childForFieldName('name')?.text;
		if (name === 'constructor' || childTokens(declaration).includes('set')) {
			return 'no';
		}
		const type = fn.childForFieldName('return_type')?.text.replace(/^:\s*/, '');
		if (type === undefined) {
			return 'unknown';
		}
		return /^(?:void|never|undefined|Promise\s*<\s*(?:void|undefined)\s*>|asserts\b[\s\S]*)$/.test(type) ? 'no' : 'yes';
	},
};

export const GRAMMARS: Readonly<Record<string, GrammarRules>> = {
	typescript: JS_LIKE,
	tsx: JS_LIKE,
	javascript: JS_LIKE,
	python: {
		symbols: { function_definition: 'function', class_definition: 'class' },
		wrappers: ['decorated_definition'],
		decorators: ['decorator'],
		docstrings: { body: 'block', statement: 'expression_statement', strings: ['string', 'concatenated_string'] },
	},
	java: {
		symbols: {
			method_declaration: 'function',
			constructor_declaration: 'function',
			compact_constructor_declaration: 'function',
			class_declaration: 'class',
			interface_declaration: 'class',
			enum_declaration: 'class',
			record_declaration: 'class',
			annotation_type_declaration: 'class',
		},
		wrappers: [],
		decorators: ['marker_annotation', 'annotation'],
		returns: (declaration) => (declaration.type !== 'method_declaration' || declaration.childForFieldName('type')?.type === 'void_type' ? 'no' : 'yes'),
	},
	'c-sharp': {
		symbols: {
			method_declaration: 'function',
			constructor_declaration: 'function',
			local_function_statement: 'function',
			class_declaration: 'class',
			struct_declaration: 'class',
			interface_declaration: 'class',
			enum_declaration: 'class',
			record_declaration: 'class',
		},
		wrappers: [],
		decorators: ['attribute_list'],
		returns: (declaration) => {
			const type = declaration.childForFieldName('returns')?.text;
			return declaration.type === 'constructor_declaration' || /^(?:void|Task|ValueTask)$/.test(type ?? '') ? 'no' : 'yes';
		},
	},
	go: {
		symbols: { function_declaration: 'function', method_declaration: 'function', type_spec: 'class' },
		wrappers: ['type_declaration'],
		decorators: [],
	},
	rust: {
		symbols: {
			function_item: 'function',
			function_signature_item: 'function',
			struct_item: 'class',
			enum_item: 'class',
			union_item: 'class',
			trait_item: 'class',
		},
		wrappers: [],
		decorators: ['attribute_item'],
	},
};
