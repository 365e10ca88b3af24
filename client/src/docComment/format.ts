/**
 * Turns the model's documentation text into a comment in the language's own
 * style: JSDoc, Javadoc, Python docstrings, Rust `///`, C# `///` XML, Go `//`.
 * The model's text is data: stray comment markers it wrote are trimmed,
 * anything that could end the comment early (or start a new line of code) is
 * neutralised, and prose is re-wrapped. Where the comment goes is
 * edit.ts. Pure (no `vscode` import).
 */
import type { DocCommentStyle } from '../../../protocol/languages';

export type CommentStyle = DocCommentStyle;

/** What the signature says, for parameter and return tags. */
export interface SignatureInfo {
	params: string[];
	/** 'unknown' when the signature does not say (no annotation). */
	returns: 'yes' | 'no' | 'unknown';
}

export interface FormatOptions {
	style: CommentStyle;
	/** Indentation of every comment line (the symbol's, or the body's for docstrings). */
	indent: string;
	tabSize: number;
	/** Column to wrap prose at; 80 when missing. */
	width?: number;
	/** Symbol name: Go doc comments start with it. */
	name: string;
	/** Write @param/@returns (or XML) tags for these; none when undefined (classes, or tags turned off). */
	signature?: SignatureInfo;
}

export class DocFormatError extends Error {}

/** Visual width of an indentation, tabs counted as `tabSize` columns. */
export function indentWidth(indent: string, tabSize: number): number {
	let w = 0;
	for (const ch of indent) {
		w = ch === '\t' ? w + tabSize - (w % tabSize) : w + 1;
	}
	return w;
}

/** Styles with parameter and return tags. */
const TAGGED: ReadonlySet<CommentStyle> = new Set(['jsdoc', 'javadoc', 'csharpxml']);

/** Narrowest prose column however deep the indentation. */
const MIN_TEXT_WIDTH = 30;

/**
 * The comment's lines, each with its indentation. Throws DocFormatError when
 * the model's text holds no documentation.
 */
export function formatDocComment(raw: string, options: FormatOptions): string[] {
	const parts = parseDoc(cleanModelText(raw, options.style), options.style);
	// Tags alone (@param, @returns, @see) still document the symbol.
	if (parts.blocks.length === 0 && parts.params.length === 0 && parts.returns === undefined && parts.tags.length === 0) {
		throw new DocFormatError('The model returned no documentation text.');
	}
	const { style } = options;
	if (style === 'godoc' && parts.blocks[0].kind === 'para') {
		parts.blocks[0] = { ...parts.blocks[0], text: goLead(parts.blocks[0].text, options.name) };
	}
	const width = options.width ?? 80;
	const indentCols = indentWidth(options.indent, options.tabSize);
	const prefixWidth = { jsdoc: 3, javadoc: 3, docstring: 0, rustdoc: 4, csharpxml: 4, godoc: 3 }[style];
	const textWidth = Math.max(MIN_TEXT_WIDTH, width - indentCols - prefixWidth);
	const tags = TAGGED.has(style) ? tagLines(parts, options.signature, style, textWidth) : [];

	const body = renderBlocks(parts.blocks, style, textWidth, style === 'docstring' ? 3 : 0);
	if (body.length === 0 && tags.length === 0) {
		throw new DocFormatError('The model returned no documentation text.');
	}
	const ind = (s: string): string => (s === '' ? '' : options.indent + s);

	switch (style) {
		case 'jsdoc':
		case 'javadoc': {
			const single = `/** ${body[0]} */`;
			if (body.length === 1 && tags.length === 0 && indentCols + single.length <= width) {
				return [ind(single)];
			}
			const inner = body.length > 0 && tags.length > 0 ? [...body, '', ...tags] : [...body, ...tags];
			return [ind('/**'), ...inner.map((l) => ind(l === '' ? ' *' : ` * ${l}`)), ind(' */')];
		}
		case 'docstring': {
			const single = `"""${escapeClosingQuote(body[0])}"""`;
			if (body.length === 1 && indentCols + single.length <= width) {
				return [ind(single)];
			}
			return [ind(`"""${body[0]}`), ...body.slice(1).map(ind), ind('"""')];
		}
		case 'csharpxml': {
			const inner = ['<summary>', ...body, '</summary>', ...tags];
			return inner.map((l) => ind(l === '' ? '///' : `/// ${l}`));
		}
		case 'rustdoc':
			return body.map((l) => ind(l === '' ? '///' : `/// ${l}`));
		case 'godoc':
			return body.map((l) => ind(l === '' ? '//' : l.startsWith('\t') ? `//${l}` : `// ${l}`));
	}
}

// ---------------------------------------------------------------------------
// Cleaning the model's text

/**
 * Characters that must not reach a comment: controls other than tab and
 * newline, and the bidirectional overrides that can make a comment display
 * as something else ("Trojan Source"). Unicode line separators become
 * newlines, so no comment line can be split behind our back.
 */
function sanitise(text: string): string {
	return text
		.replace(/\r\n?|[\u2028\u2029\u0085\u000B\u000C]/g, '\n')
		.replace(/[\u0000-\u0008\u000E-\u001F\u007F\u202A-\u202E\u2066-\u2069\uFEFF]/g, '')
		.replace(/\t/g, '    ');
}

/** Removes the comment syntax the model may have wrapped its text in, and anything (code) after it. */
export function cleanModelText(raw: string, style: CommentStyle): string {
	let text = sanitise(raw).trim();
	const fence = /^```[\w+#-]*\n([\s\S]*?)\n?```$/.exec(text);
	if (fence) {
		text = fence[1].trim();
	}
	let lines = text.split('\n');
	// A preamble such as "Here is the comment:" before a comment.
	if (lines.length > 1 && lines[0].trim().endsWith(':') && isCommentStart(lines[1].trim(), style)) {
		lines = lines.slice(1);
	}
	const first = (lines[0] ?? '').trim();
	// Text written from inside a block comment ("/**\n * " was the prompt): its later lines carry " * ".
	const starred = (l: string): boolean => /^\s*\*(?!\/)/.test(l);
	const rest = lines.slice(1).filter((l) => l.trim() !== '');
	if ((style === 'jsdoc' || style === 'javadoc') && !first.startsWith('/*') && rest.length > 0 && rest.every(starred)) {
		lines = [lines[0], ...lines.slice(1).map((l) => l.replace(/^\s*\*(?!\/) ?/, ''))];
	}
	if (first.startsWith('/*')) {
		const joined = lines.join('\n').replace(/^\s*\/\*+!?/, '');
		const close = joined.indexOf('*/');
		lines = (close >= 0 ? joined.slice(0, close) : joined).split('\n').map((l) => l.replace(/^\s*\*(?!\/)\s?/, ''));
	} else if (first.startsWith('//')) {
		const kept: string[] = [];
		for (const l of lines) {
			const t = l.trim();
			if (!t.startsWith('//')) {
				break; // the model went on to echo code
			}
			kept.push(t.replace(/^\/\/[/!]?\s?/, ''));
		}
		lines = kept;
	} else if (style === 'docstring' && /^[rRuU]?("""|''')/.test(first)) {
		const joined = lines.join('\n');
		const quote = /("""|''')/.exec(joined)?.[1] ?? '"""';
		const start = joined.indexOf(quote) + 3;
		const close = joined.indexOf(quote, start);
		lines = (close >= 0 ? joined.slice(start, close) : joined.slice(start)).split('\n');
	} else if (style === 'docstring' && first.startsWith('#')) {
		const kept: string[] = [];
		for (const l of lines) {
			const t = l.trim();
			if (!t.startsWith('#')) {
				break;
			}
			kept.push(t.replace(/^#\s?/, ''));
		}
		lines = kept;
	}
	if (style === 'csharpxml') {
		lines = lines.map((l) => l.replace(/<\/?(?:summary|remarks|para)>/g, ''));
	}
	return dedent(lines.map((l) => l.trimEnd()))
		.join('\n')
		.replace(/\n{3,}/g, '\n\n')
		.trim();
}

function isCommentStart(line: string, style: CommentStyle): boolean {
	return line.startsWith('/*') || line.startsWith('//') || (style === 'docstring' && /^[rRuU]?("""|''')/.test(line));
}

/** Removes the indentation shared by all lines after the first (the first often follows an opening marker). */
function dedent(lines: string[]): string[] {
	const rest = lines.slice(1).filter((l) => l.trim() !== '');
	const common = rest.length === 0 ? 0 : Math.min(...rest.map((l) => /^ */.exec(l)![0].length));
	return lines.map((l, i) => (i === 0 ? l.trim() : l.slice(common)));
}

// ---------------------------------------------------------------------------
// Structure: paragraphs, list items, code, tags

type Block =
	| { kind: 'para'; text: string; gap: boolean }
	| { kind: 'item'; marker: string; text: string; gap: boolean }
	| { kind: 'code'; lines: string[]; gap: boolean };

interface ParamDoc {
	name: string;
	/** JSDoc `{type}` the model wrote, kept as it is. */
	type: string;
	text: string;
}

interface DocParts {
	blocks: Block[];
	params: ParamDoc[];
	returns: { type: string; text: string } | undefined;
	/** Other tags, each as one line of source text. */
	tags: string[];
}

const LIST_ITEM = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/;
const JSDOC_PARAM = /^@(?:param|arg|argument)\s+(\{[^}]*\}\s*)?\[?([\w$.]+)(?:=[^\]]*)?\]?\s*(?:-\s*)?([\s\S]*)$/;
const JSDOC_RETURNS = /^@returns?\b\s*(\{[^}]*\}\s*)?([\s\S]*)$/;
const XML_PARAM = /^<param\s+name="([\w@]+)"\s*>([\s\S]*?)<\/param>$/;
const XML_RETURNS = /^<returns>([\s\S]*?)<\/returns>$/;
const XML_ELEMENT = /^<(exception|typeparam|example|seealso|value)\b((?:\s+\w+="[\w.,`()[\] ]*")*)\s*>([\s\S]*?)<\/\1>$/;
const XML_TAG_START = /^<(param|returns|exception|typeparam|example|seealso|value)\b/;

function parseDoc(text: string, style: CommentStyle): DocParts {
	const parts: DocParts = { blocks: [], params: [], returns: undefined, tags: [] };
	const tagStart = (t: string): boolean =>
		style === 'csharpxml' ? XML_TAG_START.test(t) : (style === 'jsdoc' || style === 'javadoc') && /^@\w/.test(t);
	// Tags are collected whole (they may span lines) and sorted out at the end.
	const tagChunks: string[] = [];
	let inTag = false;
	let gap = false;
	let open: Block | undefined;
	let fence: Extract<Block, { kind: 'code' }> | undefined;
	for (const line of text.split('\n')) {
		const t = line.trim();
		if (fence) {
			fence.lines.push(line);
			if (t.startsWith('```')) {
				fence = undefined;
			}
			continue;
		}
		if (t === '') {
			gap = parts.blocks.length > 0;
			open = undefined;
			inTag = false;
			continue;
		}
		if (tagStart(t)) {
			tagChunks.push(t);
			inTag = true;
			continue;
		}
		if (inTag) {
			tagChunks[tagChunks.length - 1] += `\n${line.trimEnd()}`;
			continue;
		}
		if (t.startsWith('```')) {
			fence = { kind: 'code', lines: [line], gap };
			parts.blocks.push(fence);
			open = undefined;
			gap = false;
			continue;
		}
		const pad = /^ */.exec(line)![0].length;
		const item = LIST_ITEM.exec(line);
		// A line ending in ':' ("Args:"), a heading or a rule keeps the next line apart.
		const apart = open !== undefined && open.kind !== 'code' && /:$|^#{1,6}\s|^[-=]{3,}$/.test(open.text.trim());
		const heading = /^#{1,6}\s|^[-=]{3,}$/.test(t);
		if (item) {
			open = { kind: 'item', marker: `${item[1]}${item[2]} `, text: item[3], gap };
			parts.blocks.push(open);
		} else if (open && open.kind !== 'code' && !gap && !apart && !heading && continues(open, pad)) {
			open.text += ` ${t}`;
		} else if (pad >= 2) {
			open = { kind: 'item', marker: ' '.repeat(pad), text: t, gap };
			parts.blocks.push(open);
		} else {
			open = { kind: 'para', text: t, gap };
			parts.blocks.push(open);
		}
		gap = false;
	}
	for (const chunk of tagChunks) {
		addTag(parts, chunk, style);
	}
	return parts;
}

/** Whether a line indented by `pad` continues the open paragraph or item. */
function continues(open: Exclude<Block, { kind: 'code' }>, pad: number): boolean {
	if (open.kind === 'para') {
		return true;
	}
	// "    a: first" / "    b: second" are items of their own; deeper lines continue one.
	if (open.marker.trim() === '') {
		return pad > open.marker.length;
	}
	return pad >= open.marker.length || pad < 2;
}

/** Sorts one tag into params, returns or the other tags (those stored already escaped). */
function addTag(parts: DocParts, tag: string, style: CommentStyle): void {
	const flat = (s: string): string => s.replace(/\s+/g, ' ').trim();
	if (style === 'csharpxml') {
		const one = flat(tag);
		const p = XML_PARAM.exec(one);
		const r = XML_RETURNS.exec(one);
		const e = XML_ELEMENT.exec(one);
		if (p) {
			parts.params.push({ name: p[1], type: '', text: p[2].trim() });
		} else if (r) {
			parts.returns = { type: '', text: r[1].trim() };
		} else if (e) {
			parts.tags.push(`<${e[1]}${e[2]}>${escapeFor(style, e[3].trim())}</${e[1]}>`);
		} else {
			parts.tags.push(escapeFor(style, one));
		}
		return;
	}
	const p = JSDOC_PARAM.exec(tag);
	const r = JSDOC_RETURNS.exec(tag);
	if (p) {
		parts.params.push({ name: p[2], type: flat(p[1] ?? ''), text: flat(p[3]) });
	} else if (r) {
		parts.returns = { type: flat(r[1] ?? ''), text: flat(r[2]) };
	} else {
		// Other tags (@throws, @example with its code) keep their lines.
		parts.tags.push(...tag.split('\n').map((l) => escapeFor(style, l)));
	}
}

// ---------------------------------------------------------------------------
// Neutralising and rendering

/** Makes text safe inside the comment: nothing in it can close the comment or break its markup. */
export function escapeFor(style: CommentStyle, text: string): string {
	switch (style) {
		case 'jsdoc':
			return text.replace(/\*\//g, '*\\/');
		case 'javadoc':
			return escapeJavadocHtml(text).replace(/\*\//g, '*&#47;');
		case 'docstring':
			return text.replace(/\\/g, '\\\\').replace(/"""/g, '\\"\\"\\"');
		case 'csharpxml':
			return escapeXmlKeepingInlineTags(text);
		default:
			return text;
	}
}

/** Javadoc is HTML: `<`, `>` and `&` are escaped, except inside `{@code ...}` and `{@literal ...}`, which show text as is. */
function escapeJavadocHtml(text: string): string {
	return text
		.split(/(\{@(?:code|literal)\s[^{}]*\})/)
		.map((piece, i) => (i % 2 === 1 ? piece : piece.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')))
		.join('');
}

/** C# doc comments are XML; a few harmless inline elements the model may use are kept. */
const XML_INLINE = /(<(?:see|seealso|paramref|typeparamref)\s+(?:cref|name|langword)="[\w.,`<>()[\] ]*"\s*\/>|<\/?c>)/;

function escapeXmlKeepingInlineTags(text: string): string {
	return text
		.split(XML_INLINE)
		.map((piece, i) => (i % 2 === 1 ? piece : piece.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')))
		.join('');
}

/** A docstring whose text ends in a quote would close early (`""""`): escape that quote. */
function escapeClosingQuote(line: string): string {
	// Backslashes in the text are doubled already, so this backslash escapes the quote.
	return line.endsWith('"') ? `${line.slice(0, -1)}\\"` : line;
}

/** Words that must not begin a comment line: a leading `@` reads as a block tag in JSDoc and Javadoc. */
function mayStartLine(style: CommentStyle, word: string): boolean {
	return !((style === 'jsdoc' || style === 'javadoc') && word.startsWith('@'));
}

/** Greedy word wrap; a word longer than the width gets a line of its own. */
export function wrapText(text: string, width: number, style: CommentStyle, firstWidth = width): string[] {
	const words = text.split(/\s+/).filter((w) => w !== '');
	const lines: string[] = [];
	let line = '';
	for (const word of words) {
		const limit = lines.length === 0 ? firstWidth : width;
		if (line === '') {
			line = word;
		} else if (line.length + 1 + word.length <= limit || !mayStartLine(style, word)) {
			line += ` ${word}`;
		} else {
			lines.push(line);
			line = word;
		}
	}
	if (line !== '') {
		lines.push(line);
	}
	return lines;
}

function renderBlocks(blocks: Block[], style: CommentStyle, width: number, firstOffset: number): string[] {
	const out: string[] = [];
	blocks.forEach((block, i) => {
		if (i > 0 && block.gap) {
			out.push('');
		}
		const first = out.length === 0 ? firstOffset : 0;
		if (block.kind === 'code') {
			const lines = block.lines.map((l) => escapeFor(style, l));
			// Go doc comments mark code by indentation, not fences.
			out.push(...(style === 'godoc' ? lines.filter((l) => !l.trim().startsWith('```')).map((l) => `\t${l}`) : lines));
			return;
		}
		let text = escapeFor(style, block.text);
		if (block.kind === 'para') {
			if (style === 'javadoc' && i > 0 && block.gap) {
				text = `<p>${text}`;
			}
			out.push(...wrapText(text, width, style, width - first));
			return;
		}
		const marker = style === 'godoc' && /[-*+]|\d/.test(block.marker) ? `  ${block.marker.trim()} ` : block.marker;
		const hang = ' '.repeat(marker.length);
		wrapText(text, width - marker.length, style, width - marker.length - first).forEach((l, k) => out.push((k === 0 ? marker : hang) + l));
	});
	return out;
}

/**
 * Tag lines. With a signature: every parameter in order, the model's
 * description kept where it wrote one, tags for names the signature lacks
 * dropped. Without one (a class, or a signature we could not read): the
 * model's own tags.
 */
function tagLines(parts: DocParts, signature: SignatureInfo | undefined, style: CommentStyle, width: number): string[] {
	const lines: string[] = [];
	const names = signature ? signature.params : parts.params.filter((p) => !p.name.includes('.')).map((p) => p.name);
	const described = new Map(parts.params.filter((p) => !p.name.includes('.')).map((p) => [p.name, p]));
	for (const name of names) {
		const doc = described.get(name);
		const text = escapeFor(style, doc?.text ?? '');
		if (style === 'csharpxml') {
			lines.push(...xmlElement(`<param name="${name}">`, text, '</param>', width, style));
			continue;
		}
		const type = doc?.type ? `${escapeFor(style, doc.type)} ` : '';
		lines.push(...wrapTag(`@param ${type}${name}`, text, width, style));
		// JSDoc documents an object parameter's properties as `name.prop`.
		for (const sub of parts.params.filter((p) => p.name.startsWith(`${name}.`))) {
			const subType = sub.type ? `${escapeFor(style, sub.type)} ` : '';
			lines.push(...wrapTag(`@param ${subType}${sub.name}`, escapeFor(style, sub.text), width, style));
		}
	}
	// Without a return type in the signature the model's @returns stays; a void signature drops it.
	const returns = signature ? signature.returns === 'yes' || (signature.returns === 'unknown' && parts.returns !== undefined) : parts.returns !== undefined;
	if (returns) {
		const text = escapeFor(style, parts.returns?.text ?? '');
		if (style === 'csharpxml') {
			lines.push(...xmlElement('<returns>', text, '</returns>', width, style));
		} else {
			const type = parts.returns?.type ? ` ${escapeFor(style, parts.returns.type)}` : '';
			lines.push(...wrapTag(`${style === 'javadoc' ? '@return' : '@returns'}${type}`, text, width, style));
		}
	}
	lines.push(...parts.tags);
	return lines;
}

function wrapTag(head: string, text: string, width: number, style: CommentStyle): string[] {
	if (text === '') {
		return [head];
	}
	return wrapText(`${head} ${text}`, width - 2, style, width).map((l, i) => (i === 0 ? l : `  ${l}`));
}

function xmlElement(open: string, text: string, close: string, width: number, style: CommentStyle): string[] {
	const one = `${open}${text}${close}`;
	if (one.length <= width) {
		return [one];
	}
	return [open, ...wrapText(text, width, style), close];
}

/**
 * Go doc comments begin with the name they document ("Add returns ...").
 * The model's "Returns the sum" becomes "Add returns the sum".
 */
export function goLead(text: string, name: string): string {
	if (name === '' || !/^\w+$/.test(name)) {
		return text;
	}
	if (new RegExp(`^(?:(?:A|An|The)\\s+)?\`?${name}\\b`).test(text)) {
		return text;
	}
	const rest = text.replace(new RegExp(`^(?:This|The)\\s+(?:function|method|type|struct|interface|constructor)(?:\\s+\`?${name}\`?)?\\s+`, 'i'), '');
	// "A point in the plane." describes rather than acts: "Point is a point in the plane."
	const article = /^(A|An|The)\s/.exec(rest);
	const lowered = article || /^[A-Z][a-z]/.test(rest) ? rest[0].toLowerCase() + rest.slice(1) : rest;
	return article ? `${name} is ${lowered}` : `${name} ${lowered}`;
}
