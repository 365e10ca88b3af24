import * as assert from 'assert';
import { emptyDocument, midWord, skipReason, textAfterCursor } from '../../../server/src/completion/skipRules';
import { at } from './cursor';

describe('skip rules (where no suggestion belongs)', () => {
	it('midWord: the cursor between two word characters', () => {
		assert.ok(midWord(at('console.log(res|ult);', 'javascript')));
		assert.ok(midWord(at('name = "caf|é"')));
		assert.strictEqual(midWord(at('console.log(resu|);', 'javascript')), undefined);
		assert.strictEqual(midWord(at('x = |foo')), undefined, 'that is textAfterCursor\'s case');
	});
	it('textAfterCursor: only closers, quotes and separators may follow the cursor', () => {
		assert.strictEqual(textAfterCursor(at('console.log(resu|);', 'javascript')), undefined);
		assert.strictEqual(textAfterCursor(at('label = "I like |"')), undefined);
		assert.strictEqual(textAfterCursor(at('f(a, |)  ')), undefined);
		assert.ok(textAfterCursor(at('x = |foo(bar)')));
		assert.ok(textAfterCursor(at('if (|x) {', 'javascript')));
	});
	it('emptyDocument: only an explicit request gets a guess', () => {
		assert.ok(emptyDocument(at('|')));
		assert.ok(emptyDocument(at('\n\n  |\n')));
		assert.strictEqual(emptyDocument(at('|', 'python', { trigger: 'invoke' })), undefined);
		assert.strictEqual(emptyDocument(at('import |')), undefined);
	});
	it('skipReason returns the first rule that fires', () => {
		assert.strictEqual(skipReason(at('def f():\n    |')), undefined);
		assert.strictEqual(skipReason(at('|')), 'the document is empty');
	});
});
