import * as assert from 'assert/strict';
import { renderInspectorHtml } from '../../client/src/panel/html';
import type { GenerationRecord } from '../../protocol/generation';
import * as protocol from '../../protocol/webview';
import {
	AttentionLayerRequest,
	createMessage,
	DEFAULT_SAMPLING,
	EntryStepsNotification,
	GenerateCommand,
	IpcCommand,
	IpcNotification,
	IpcRequest,
	normalizeSampling,
	ReadyCommand,
	SelectEntryCommand,
	StateNotification,
	type EntryView,
	type InspectorState,
} from '../../protocol/webview';

const RECORD: GenerationRecord = {
	id: 'gen-1',
	kind: 'prompt',
	model: 'embedded',
	title: 'def f',
	promptTokens: ['def', ' f'],
	promptIds: [4, 9],
	steps: [{ id: 7, text: '(', prob: 0.9, logprob: Math.log(0.9), entropy: 0.4, top: [{ id: 7, text: '(', prob: 0.9 }] }],
	text: '(',
	stopReason: 'maxTokens',
	elapsedMs: 12,
	attention: { layers: 2, heads: 2, totalTokens: 2, rowStart: 0 },
	createdAt: 1,
};

const ENTRY: EntryView = {
	key: 'g1',
	title: 'def f',
	kind: 'prompt',
	status: 'done',
	tokens: 1,
	createdAt: 1,
	stoppable: false,
	prompt: 'def f',
	steps: RECORD.steps,
	record: RECORD,
	note: null,
	error: null,
};

/** A message as it arrives: through structured clone / JSON, not the sender's objects. */
function wire<T>(value: T): unknown {
	return JSON.parse(JSON.stringify(value));
}

describe('webview protocol', () => {
	const descriptors = (Object.values(protocol) as unknown[]).filter(
		(v): v is IpcCommand<unknown> | IpcNotification<unknown> | IpcRequest<unknown, unknown> =>
			v instanceof IpcCommand || v instanceof IpcNotification || v instanceof IpcRequest,
	);

	it('declares every method once', () => {
		const methods = descriptors.flatMap((d) => (d instanceof IpcRequest ? [d.method, d.response.method] : [d.method]));
		assert.ok(methods.length >= 18, `only ${methods.length} methods found`);
		assert.equal(new Set(methods).size, methods.length);
	});

	it('recognises its own messages and rejects other methods', () => {
		const ready = wire(createMessage(ReadyCommand, 'w1', {}));
		assert.ok(ReadyCommand.is(ready));
		assert.ok(!SelectEntryCommand.is(ready));
		for (const junk of [null, undefined, 'inspector/ready', 42, [], { method: 'inspector/ready' }, { id: 1, method: 'inspector/ready', params: {} }]) {
			assert.ok(!ReadyCommand.is(junk), `accepted ${JSON.stringify(junk)}`);
		}
	});

	it('checks the params of a command the host acts on', () => {
		const ok = createMessage(GenerateCommand, 'w2', { prompt: 'def f', sampling: DEFAULT_SAMPLING });
		assert.ok(GenerateCommand.is(wire(ok)));
		assert.ok(!GenerateCommand.is(wire({ ...ok, params: { prompt: 'x' } })));
		assert.ok(!GenerateCommand.is(wire({ ...ok, params: { prompt: 3, sampling: DEFAULT_SAMPLING } })));
		assert.ok(!GenerateCommand.is(wire({ ...ok, params: { prompt: 'x', sampling: { ...DEFAULT_SAMPLING, temperature: 'hot' } } })));
		assert.ok(!GenerateCommand.is({ ...ok, params: { prompt: 'x', sampling: { ...DEFAULT_SAMPLING, topP: NaN } } }));
		assert.ok(!SelectEntryCommand.is(wire(createMessage(SelectEntryCommand, 'w3', { key: 5 as unknown as string }))));
	});

	it('pairs a request with its reply through completionId', () => {
		const request = createMessage(AttentionLayerRequest, 'w4', { generationId: 'gen-1', layer: 1 });
		assert.equal(request.completionId, undefined);
		assert.ok(AttentionLayerRequest.is(wire(request)));
		assert.ok(!AttentionLayerRequest.is(wire({ ...request, params: { generationId: 'gen-1', layer: -1 } })));
		assert.ok(!AttentionLayerRequest.is(wire({ ...request, params: { generationId: 'gen-1', layer: 0.5 } })));

		const layer = { generationId: 'gen-1', layer: 1, heads: 2, totalTokens: 2, rowStart: 0, data: 'AAECAwQF' };
		const reply = createMessage(AttentionLayerRequest.response, 'h9', { ok: true, layer }, request.id);
		assert.equal(reply.method, 'inspector/attentionLayer/response');
		assert.equal(reply.completionId, 'w4');
		assert.ok(AttentionLayerRequest.response.is(wire(reply)));
		const failure = createMessage(AttentionLayerRequest.response, 'h10', { ok: false, error: 'gone' }, 'w4');
		assert.ok(AttentionLayerRequest.response.is(wire(failure)));
		assert.ok(!AttentionLayerRequest.response.is(wire({ ...reply, params: { ok: true, layer: { ...layer, data: 5 } } })));
		assert.ok(!AttentionLayerRequest.response.is(wire({ ...reply, params: { ok: false } })));
		assert.ok(!AttentionLayerRequest.response.is(wire({ ...reply, completionId: 4 })));
	});

	it('accepts a full state snapshot and rejects a malformed step inside it', () => {
		const state: InspectorState = { history: [ENTRY], current: ENTRY, model: { label: 'mini', device: 'cpu', state: 'ready', detail: null } };
		assert.ok(StateNotification.is(wire(createMessage(StateNotification, 'h1', state))));
		assert.ok(StateNotification.is(wire(createMessage(StateNotification, 'h1', { history: [], current: null, model: null }))));
		const message = createMessage(StateNotification, 'h1', state);
		const badStep = { ...ENTRY, steps: [{ ...RECORD.steps[0], prob: '0.9' }] };
		assert.ok(!StateNotification.is(wire({ ...message, params: { ...state, current: badStep } })));
		const badRecord = { ...ENTRY, record: { ...RECORD, promptTokens: 'def f' } };
		assert.ok(!StateNotification.is(wire({ ...message, params: { ...state, current: badRecord } })));
		const steps = createMessage(EntryStepsNotification, 'h2', { key: 'g1', steps: RECORD.steps });
		assert.ok(EntryStepsNotification.is(wire(steps)));
		assert.ok(!EntryStepsNotification.is(wire({ ...steps, params: { key: 'g1', steps: [{}] } })));
	});

	it('clamps sampling options into their bounds', () => {
		assert.deepEqual(normalizeSampling(DEFAULT_SAMPLING), DEFAULT_SAMPLING);
		assert.deepEqual(
			normalizeSampling({ maxNewTokens: 9999, greedy: 'yes' as unknown as boolean, temperature: 0, topK: 3.6, topP: 7, seed: NaN }),
			{ maxNewTokens: 512, greedy: false, temperature: 0.05, topK: 4, topP: 1, seed: DEFAULT_SAMPLING.seed },
		);
	});
});

describe('renderInspectorHtml', () => {
	const html = renderInspectorHtml({
		cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
		nonce: 'abc123XYZ',
		scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dist/panel.js',
		styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/panel.css?"><script>',
	});

	it('sets a strict CSP with the nonce and the webview source', () => {
		const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
		assert.ok(csp);
		const rules = csp.split(';').map((r) => r.trim());
		assert.ok(rules.includes("default-src 'none'"));
		assert.ok(rules.includes("script-src 'nonce-abc123XYZ'"));
		assert.ok(rules.includes('style-src https://file+.vscode-resource.vscode-cdn.net'));
		assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'));
	});

	it('gives every script the nonce and has no inline script or style', () => {
		const scripts = html.match(/<script\b[^>]*>/g) ?? [];
		assert.equal(scripts.length, 1);
		assert.match(scripts[0], /nonce="abc123XYZ" src="[^"]+panel\.js"/);
		assert.ok(!/<style\b/.test(html) && !/\sstyle="/.test(html) && !/\son[a-z]+=/.test(html));
	});

	it('escapes the values it puts in attributes', () => {
		assert.ok(html.includes('panel.css?&quot;&gt;&lt;script&gt;'));
	});
});
