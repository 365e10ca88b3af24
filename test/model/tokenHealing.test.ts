/**
 * Token healing and the UTF-8 constraint on the embedded model's real
 * vocabulary: what is healed and what is not (a fragment of a multi-byte
 * character never is), that every allowed first token can still spell the
 * healed text, and that decoding under the constraint never produces U+FFFD.
 */
import * as assert from 'assert';
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { TokenCodec } from '../../server/src/tokenCodec';
import { healingAllows, healingChoices, healPrompt, remainingAfter, visibleText } from '../../server/src/tokenHealing';
import { loadTokenizer } from './modelHarness';

describe('token healing and UTF-8 (embedded tokenizer)', function () {
	let codec: TokenCodec;
	before(async () => {
		codec = new TokenCodec((await loadTokenizer()) as PreTrainedTokenizer);
	});
	const control = (id: number) => codec.specialIds.includes(id);

	it('heals the last token of ordinary text, whitespace-only tails included', () => {
		for (const text of ['console.log(resu', 'function total(xs) {\n    let sum = 0;\n    ', 'x = ']) {
			const ids = codec.encode(text);
			const healed = healPrompt(codec, ids, control);
			assert.strictEqual(healed.ids.length, ids.length - 1, text);
			assert.strictEqual(codec.decode(healed.ids) + healed.healed, text);
		}
	});

	it('never heals a fragment of a multi-byte character', () => {
		for (const text of ['label = "I like 🍕', 'greeting = "你好', 'name = "café']) {
			const ids = codec.encode(text);
			const healed = healPrompt(codec, ids, control);
			assert.ok(!healed.healed.includes('\uFFFD'), `${text}: healed ${JSON.stringify(healed.healed)}`);
			assert.strictEqual(codec.decode(healed.ids) + healed.healed, text, text);
		}
		// The emoji's last byte is a token of its own here: nothing is healed.
		assert.strictEqual(healPrompt(codec, codec.encode('I like 🍕'), control).healed, '');
	});

	it('never heals a control token or a one-token prompt', () => {
		const [start] = codec.specialIds;
		assert.strictEqual(healPrompt(codec, [...codec.encode('x = '), start], control).healed, '');
		assert.strictEqual(healPrompt(codec, codec.encode('x'), control).healed, '');
	});

	it("allows a server's token by the same rule healingChoices applies to the whole vocabulary", () => {
		// A server reports only its top tokens, by text: healingAllows must agree with healingChoices on them.
		for (const healed of ['\n    ', ' ', 'resu', '.log', '\n\t']) {
			const allowed = new Set(healingChoices(codec, healed));
			for (let id = 0; id < codec.vocabSize; id++) {
				if (control(id)) {
					continue;
				}
				const text = codec.tokenText(id);
				if (text.includes('\uFFFD')) {
					continue;
				}
				// healingChoices also checks that the rest can still be spelled, which a byte-level vocabulary always can.
				assert.strictEqual(healingAllows(text, healed), allowed.has(id), `${JSON.stringify(healed)}: ${JSON.stringify(text)}`);
			}
		}
	});

	it('allows tokens that extend the healed text and tokens that are a prefix of it', () => {
		const healed = '\n    ';
		const choices = healingChoices(codec, healed);
		const texts = choices.map((id) => codec.tokenText(id));
		assert.ok(texts.some((t) => t.startsWith(healed) && t.length > healed.length), 'longer indentation');
		assert.ok(texts.includes('\n'), 'a newline alone, the rest spelled after it');
		assert.ok(texts.every((t) => t.startsWith(healed) || healed.startsWith(t)));
		assert.ok(choices.every((id) => !codec.specialIds.includes(id)));
	});

	it('never splits a word: a prefix choice stops before whitespace', () => {
		const texts = healingChoices(codec, 'an').map((id) => codec.tokenText(id));
		assert.ok(texts.length > 0 && texts.every((t) => t.startsWith('an')), JSON.stringify(texts.slice(0, 10)));
		const spaced = healingChoices(codec, '    ').map((id) => codec.tokenText(id));
		assert.ok(spaced.includes('   '), 'three spaces, the fourth going with the next word');
	});

	it('every choice leaves text that can still be spelled, to the end', () => {
		for (const healed of ['\n    ', ' resu', '    ', ' =']) {
			const walk = (needed: string, depth: number): void => {
				if (needed === '' || depth > 8) {
					return;
				}
				const choices = healingChoices(codec, needed);
				assert.ok(choices.length > 0, `nothing spells ${JSON.stringify(needed)}`);
				// Follow the shortest choice: it leaves the most to spell.
				const shortest = choices.map((id) => codec.tokenText(id)).sort((a, b) => a.length - b.length)[0];
				walk(remainingAfter(needed, shortest), depth + 1);
			};
			walk(healed, 0);
		}
	});

	it('shows nothing while the healed text is re-spelled, then what follows it', () => {
		assert.strictEqual(visibleText('\n   ', '\n    '), '');
		assert.strictEqual(visibleText('\n    if', '\n    '), 'if');
		assert.strictEqual(visibleText('abc', ''), 'abc');
	});

	describe('UTF-8 constraint', () => {
		it('knows the byte-level vocabulary and bans bytes that cannot start a character', () => {
			const utf8 = codec.utf8;
			assert.ok(utf8, 'the embedded vocabulary is byte-level');
			const continuation = codec.encode('🍕').slice(1, 2)[0];
			assert.ok(utf8.bannedAtBoundary.includes(continuation), 'a continuation byte is banned at a boundary');
			assert.ok(!utf8.bannedAtBoundary.includes(codec.encode('x')[0]));
		});

		it('follows a character spelled over several byte tokens', () => {
			const utf8 = codec.utf8!;
			const ids = codec.encode('🍕');
			let need = 0;
			for (const [i, id] of ids.entries()) {
				if (need > 0) {
					assert.ok(utf8.allowedWhile(need).includes(id), `byte ${i} is allowed inside the character`);
				} else {
					assert.ok(!utf8.bannedAtBoundary.includes(id), `byte ${i} may start a character`);
				}
				need = utf8.after(need, id);
			}
			assert.strictEqual(need, 0, 'the character is complete');
		});

		it('a random walk under the constraint decodes to valid text', () => {
			const utf8 = codec.utf8!;
			let seed = 7;
			const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
			const banned = new Set([...utf8.bannedAtBoundary, ...codec.specialIds]);
			const free = Array.from({ length: codec.vocabSize }, (_, id) => id).filter((id) => !banned.has(id));
			const ids: number[] = [];
			let need = 0;
			for (let step = 0; step < 400; step++) {
				const allowed = need > 0 ? utf8.allowedWhile(need) : free;
				const id = allowed[Math.floor(random() * allowed.length)];
				ids.push(id);
				need = utf8.after(need, id);
			}
			while (need > 0) {
				const id = utf8.allowedWhile(need)[0];
				ids.push(id);
				need = utf8.after(need, id);
			}
			assert.ok(!codec.decode(ids).includes('\uFFFD'));
		});
	});
});
