/**
 * Prompts for the text tasks (summarize, explain, documentation comment):
 * the chat template for instruct models (on an inference server, its chat
 * endpoint, which applies the model's own), the family's templates as data
 * from models/registry.json otherwise, with the input cut to its token budget.
 */
import { docCommentStyle, languageInfo, type TemplateGroup } from '../../protocol/languages';
import type { TextTaskInput } from '../../protocol/lsp';
import type { ChatTurn } from './backends';
import { healLastToken } from './engine';
import { registry, type TaskName, type TemplateSpec } from './modelRegistry';
import type { LoadedModel } from './modelLoader';
import { encodeHead, fimIds } from './prompt';

export interface TaskPrompt {
	/** The prompt's ids ([] when `messages` is set). */
	ids: number[];
	/** A chat for an inference server's chat endpoint, instead of ids. */
	messages?: ChatTurn[];
	stopStrings: string[];
	inputTokens: number;
	keptTokens: number;
	/** Text of the prompt's last token, removed for token healing ('' for none). */
	healed: string;
}

/** The `def`/`class` header of a Python symbol and the indentation of its body. */
export function pythonHeader(code: string): { signature: string; indent: string } {
	const lines = code.split('\n');
	const start = Math.max(0, lines.findIndex((l) => /^\s*(async\s+def|def|class)\b/.test(l)));
	let end = start;
	while (end < lines.length - 1 && !/:\s*(#.*)?$/.test(lines[end])) {
		end++;
	}
	const own = /^\s*/.exec(lines[start])?.[0] ?? '';
	return { signature: lines.slice(start, end + 1).join('\n'), indent: own + (own.includes('\t') ? '\t' : '    ') };
}

function fill(template: string, values: Record<string, string>): string {
	return template.replace(/\{(\w+)\}/g, (m, key: string) => (key in values ? values[key] : m));
}

function pickTemplate(loaded: LoadedModel, task: TaskName, group: TemplateGroup): TemplateSpec {
	const own = loaded.family.tasks?.[task];
	const template = own?.[group] ?? own?.['*'];
	if (template && (template.kind !== 'fim' || loaded.fim)) {
		return template;
	}
	return registry.plainTasks[task];
}

/**
 * Build the prompt. `budget` bounds the input's tokens; the input is cut at a
 * line end when it is longer, and the counts say so.
 */
export function buildTaskPrompt(loaded: LoadedModel, input: TextTaskInput, budget: number): TaskPrompt {
	const { codec } = loaded;
	const allIds = codec.encode(input.text);
	const kept = allIds.length > budget ? codec.decode(encodeHead(input.text, budget, (t) => codec.encode(t))) : input.text;
	const keptTokens = Math.min(allIds.length, budget);
	// Docstring templates continue the def or class header: it and the body's indentation are placeholders.
	const header = input.task === 'docComment' && docCommentStyle(input.languageId) === 'docstring' ? pythonHeader(kept) : { signature: '', indent: '' };
	const values: Record<string, string> = {
		text: kept,
		code: kept,
		language: languageInfo(input.languageId).name,
		fileName: input.fileName,
		symbolName: input.symbolName,
		signature: header.signature,
		indent: header.indent,
	};

	if (loaded.family.chatTasks && (loaded.kind === 'remote' || codec.hasChatTemplate)) {
		const messages: ChatTurn[] = [
			{ role: 'system', content: registry.chatTasks.system },
			{ role: 'user', content: fill(registry.chatTasks[input.task], values) },
		];
		const chat = loaded.kind === 'remote' ? { ids: [], messages } : { ids: codec.chat(messages) };
		return { ...chat, stopStrings: [], inputTokens: allIds.length, keptTokens, healed: '' };
	}

	const template = pickTemplate(loaded, input.task, languageInfo(input.languageId).templateGroup);
	let ids: number[];
	if (template.kind === 'fim' && loaded.fim) {
		ids = fimIds(loaded.fim, codec.encode(fill(template.prefix, values)), codec.encode(fill(template.suffix, values)));
	} else {
		const prompt = template.kind === 'plain' ? template.prompt : `${template.prefix}`;
		ids = [...loaded.startIds, ...codec.encode(fill(prompt, values))];
	}
	// Templates end in the middle of a line ("/**\n * ", "# "): a lone trailing space is a token the
	// model rarely saw before text and often answers with end-of-text, so the prompt is healed.
	const healing = healLastToken(loaded, ids);
	return { ids: healing.ids, stopStrings: template.stop ?? [], inputTokens: allIds.length, keptTokens, healed: healing.healed };
}
