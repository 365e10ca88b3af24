import * as assert from 'assert';
import { CancellationTokenSource } from 'vscode-languageserver';
import { Scheduler } from '../../server/src/scheduler';

const none = () => new CancellationTokenSource().token;

describe('scheduler', () => {
	it('a newer request cancels the running one and takes over', async () => {
		const s = new Scheduler();
		const first = await s.acquire('auto', none());
		assert.ok(first);
		const second = s.acquire('auto', none());
		assert.strictEqual(first.token.isCancellationRequested, true);
		first.release();
		assert.ok(await second);
	});
	it('stale waiting requests are dropped, not queued', async () => {
		const s = new Scheduler();
		const running = await s.acquire('auto', none());
		const waiting = s.acquire('auto', none());
		const newest = s.acquire('auto', none());
		running!.release();
		assert.strictEqual(await waiting, undefined);
		const lease = await newest;
		assert.ok(lease);
		lease.release();
	});
	it('automatic requests do not pre-empt the user’s own', async () => {
		const s = new Scheduler();
		const user = await s.acquire('user', none());
		assert.strictEqual(await s.acquire('auto', none()), undefined);
		assert.strictEqual(user!.token.isCancellationRequested, false);
		user!.release();
		const after = await s.acquire('auto', none());
		assert.ok(after);
	});
	it('a request cancelled while waiting never runs', async () => {
		const s = new Scheduler();
		const running = await s.acquire('user', none());
		const cts = new CancellationTokenSource();
		const waiting = s.acquire('user', cts.token);
		cts.cancel();
		running!.release();
		assert.strictEqual(await waiting, undefined);
		assert.strictEqual(s.busy, false);
	});
	it('a waiting request cancelled twice (superseded, then by its client) does not break the newest', async () => {
		const s = new Scheduler();
		const running = await s.acquire('auto', none());
		const cts = new CancellationTokenSource();
		const waiting = s.acquire('auto', cts.token);
		const newest = s.acquire('auto', none()); // supersedes the waiting one
		cts.cancel(); // and its client gives up on it too
		const another = new CancellationTokenSource();
		const last = s.acquire('auto', another.token); // supersedes `newest`, which its client then cancels
		another.cancel();
		running!.release();
		assert.strictEqual(await waiting, undefined);
		assert.strictEqual(await newest, undefined);
		assert.strictEqual(await last, undefined, 'cancelled by its client');
		const lease = await s.acquire('auto', none());
		assert.ok(lease, 'the next request runs');
		lease.release();
	});
	it('cancelling the request cancels the lease token', async () => {
		const s = new Scheduler();
		const cts = new CancellationTokenSource();
		const lease = await s.acquire('user', cts.token);
		cts.cancel();
		assert.strictEqual(lease!.token.isCancellationRequested, true);
	});
	it('cancelAll stops the running and the waiting request and waits for the model', async () => {
		const s = new Scheduler();
		const running = await s.acquire('user', none());
		const waiting = s.acquire('user', none());
		let drained = false;
		const drain = s.cancelAll().then(() => (drained = true));
		assert.strictEqual(running!.token.isCancellationRequested, true);
		await new Promise((r) => setTimeout(r, 5));
		assert.strictEqual(drained, false, 'waits for the running request to release');
		running!.release();
		await drain;
		assert.strictEqual(await waiting, undefined);
	});
	it('background work runs only when the model is free, and anything else cancels it at once', async () => {
		const s = new Scheduler();
		const auto = await s.acquire('auto', none());
		assert.strictEqual(await s.acquire('background', none()), undefined, 'refused while a completion runs');
		assert.strictEqual(auto!.token.isCancellationRequested, false, 'and the completion goes on');
		auto!.release();
		const background = await s.acquire('background', none());
		assert.ok(background);
		assert.strictEqual(await s.acquire('background', none()), undefined, 'one at a time');
		const next = s.acquire('auto', none());
		assert.strictEqual(background.token.isCancellationRequested, true, 'a completion cancels it');
		background.release();
		const lease = await next;
		assert.ok(lease);
		lease.release();
		const again = await s.acquire('background', none());
		const user = s.acquire('user', none());
		assert.strictEqual(again!.token.isCancellationRequested, true, "the user's own request cancels it");
		again!.release();
		(await user)!.release();
	});
});
