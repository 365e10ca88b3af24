/**
 * EstimateCodec: the prompt code's view of a server model without a local
 * tokenizer. Counts are a token per three code units, the text comes back
 * exactly, and the family's control strings are ids of their own that text
 * never turns into.
 */
import * as assert from 'assert';
import { EstimateCodec } from '../../server/src/promptCodec';
import { buildCompletionPrompt } from '../../server/src/prompt';

describe('EstimateCodec', () => {
	const codec = new EstimateCodec(['<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>', '<|endoftext|>']);

	it('counts a token per three UTF-16 code units and decodes exactly, surrogate pairs and NULs included', () => {
		for (const text of ['', 'a', 'ab', 'abc', 'def f(x):\n\treturn x  # ok\n', 'naïve 🍕 中文\u0000!']) {
			const ids = codec.encode(text);
			assert.strictEqual(ids.length, Math.ceil(text.length / 3), JSON.stringify(text));
			assert.strictEqual(codec.decode(ids), text);
			assert.ok(ids.every((id) => Number.isSafeInteger(id) && !codec.isControl(id)));
		}
	});

	it('gives control strings their own ids; the same text in a document stays text', () => {
		const prefix = codec.idOf('<|fim_prefix|>')!;
		assert.ok(codec.isControl(prefix));
		assert.strictEqual(codec.tokenText(prefix), '<|fim_prefix|>');
		assert.strictEqual(codec.idOf('<fim_prefix>'), undefined);
		assert.ok(codec.encode('x = "<|endoftext|>"').every((id) => !codec.isControl(id)));
	});

	it('lets the prompt code lay out a FIM prompt within a budget counted this way', () => {
		const fim = { prefix: codec.idOf('<|fim_prefix|>')!, suffix: codec.idOf('<|fim_suffix|>')!, middle: codec.idOf('<|fim_middle|>')!, order: 'psm' as const };
		const prefix = Array.from({ length: 200 }, (_, i) => `line ${i}\n`).join('') + 'def f(';
		const prompt = buildCompletionPrompt(prefix, ')\n', 100, fim, (t) => codec.encode(t));
		assert.ok(prompt.ids.length <= 100, `${prompt.ids.length} ids`);
		const text = codec.decode(prompt.ids);
		assert.ok(text.startsWith('<|fim_prefix|>line '), text.slice(0, 40));
		assert.ok(text.endsWith('def f(<|fim_suffix|>)\n<|fim_middle|>'), text.slice(-40));
	});
});
