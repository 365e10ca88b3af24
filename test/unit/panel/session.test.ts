import * as assert from 'assert/strict';
import { InspectorSession, MAX_ENTRIES } from '../../../client/src/panel/session';
import type { GenerationRecord, TokenStep } from '../../../protocol/generation';

function tokenStep(text: string): TokenStep {
	return { id: text.length, text, prob: 0.5, logprob: Math.log(0.5), entropy: 1, top: [] };
}

function record(id: string, steps: TokenStep[], text = steps.map((s) => s.text).join('')): GenerationRecord {
	return {
		id,
		kind: 'summarize',
		model: 'embedded',
		title: `title ${id}`,
		promptTokens: ['a'],
		promptIds: [1],
		steps,
		text,
		stopReason: 'eos',
		elapsedMs: 5,
		attention: null,
		createdAt: 0,
	};
}

describe('inspector session', () => {
	it('streams steps into a running entry, then takes the record', () => {
		const session = new InspectorSession(() => 1000);
		const entry = session.start({ title: 'Summarize a.ts', kind: 'summarize' });
		assert.equal(session.current?.key, entry.key);
		session.appendSteps(entry.key, [tokenStep('He'), tokenStep('llo')]);
		assert.equal(InspectorSession.outputText(entry), 'Hello');
		const done = record('r1', [tokenStep('He'), tokenStep('llo'), tokenStep('!')], 'Hello');
		session.finish(entry.key, done, 'Input truncated');
		const view = InspectorSession.view(entry);
		assert.equal(view.status, 'done');
		assert.equal(view.tokens, 3);
		assert.equal(view.title, 'Summarize a.ts', 'the command’s title is kept');
		assert.equal(view.note, 'Input truncated');
		// Insert uses the record's text, after completion rules.
		assert.equal(InspectorSession.outputText(entry), 'Hello');
		// A finished entry takes no more steps or results.
		assert.equal(session.appendSteps(entry.key, [tokenStep('x')]), undefined);
		assert.equal(session.fail(entry.key, 'late'), undefined);
	});

	it('keeps streamed steps of a cancelled or failed generation', () => {
		const session = new InspectorSession();
		const a = session.start({ title: 'a', kind: 'prompt', prompt: 'a', stoppable: true });
		session.appendSteps(a.key, [tokenStep('x')]);
		session.cancel(a.key);
		assert.equal(a.status, 'cancelled');
		assert.equal(a.stoppable, false);
		assert.equal(InspectorSession.outputText(a), 'x');
		const b = session.start({ title: 'b', kind: 'prompt' });
		session.fail(b.key, 'Model unavailable');
		assert.equal(InspectorSession.view(b).error, 'Model unavailable');
	});

	it('lists newest first and selects by key', () => {
		const session = new InspectorSession();
		const a = session.start({ title: 'a', kind: 'prompt' });
		const b = session.start({ title: 'b', kind: 'prompt' });
		assert.deepEqual(
			session.history().map((h) => h.title),
			['b', 'a'],
		);
		assert.equal(session.select(a.key)?.key, a.key);
		assert.equal(session.current?.key, a.key);
		assert.equal(session.select('nope'), undefined);
		assert.equal(session.current?.key, a.key);
		assert.notEqual(a.key, b.key);
	});

	it('shows a record again instead of adding it twice', () => {
		const session = new InspectorSession();
		const first = session.addRecord(record('r1', [tokenStep('a')]));
		session.start({ title: 'other', kind: 'prompt' });
		const again = session.addRecord(record('r1', [tokenStep('a')]));
		assert.equal(again.key, first.key);
		assert.equal(session.current?.key, first.key);
		assert.equal(session.history().length, 2);
	});

	it('caps the history, dropping the oldest finished entries', () => {
		const session = new InspectorSession();
		const running = session.start({ title: 'still running', kind: 'prompt' });
		for (let i = 0; i < MAX_ENTRIES + 5; i++) {
			session.addRecord(record(`r${i}`, [tokenStep('a')]));
		}
		const history = session.history();
		assert.equal(history.length, MAX_ENTRIES);
		assert.ok(history.some((h) => h.key === running.key), 'a running entry is never dropped');
		assert.equal(history[0].title, `title r${MAX_ENTRIES + 4}`);
		assert.ok(!history.some((h) => h.title === 'title r0'));
	});

	it('clears everything but running generations', () => {
		const session = new InspectorSession();
		session.addRecord(record('r1', [tokenStep('a')]));
		const running = session.start({ title: 'run', kind: 'prompt' });
		session.addRecord(record('r2', [tokenStep('b')]));
		session.clear();
		assert.deepEqual(
			session.history().map((h) => h.key),
			[running.key],
		);
		assert.equal(session.current?.key, running.key);
	});
});
