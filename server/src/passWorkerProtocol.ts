/**
 * Messages between the language server's main thread and the worker thread
 * that runs the model's forward passes on the CPU (passWorker.ts). One
 * descriptor per message; `kind` tells them apart. Each `feed` carries a
 * request number that its answer repeats.
 */
import type { NextGuess } from './modelRunner';

/** Create the ONNX session. Answered by `opened` or `openFailed`. */
export interface OpenMessage {
	kind: 'open';
	modelPath: string;
	/** Attention heads, for an export whose cache inputs leave the head dimension symbolic. */
	heads: number;
	/** Most bytes of KV cache kept parked for later sequences (prefixCache.ts). */
	parkBytes: number;
}

/**
 * One forward pass of a sequence. The first feed creates the sequence, from a
 * parked cache when one holds enough of its leading ids. Answered by `pass` or `passFailed`.
 */
export interface FeedMessage {
	kind: 'feed';
	request: number;
	sequence: number;
	ids: number[];
	attentionFrom: number | null;
	/** How the token after this pass will likely be chosen: the worker runs its pass ahead. */
	next: NextGuess | null;
}

/** End a sequence: its cache is parked for a later sequence to take over. Not answered. */
export interface ReleaseMessage {
	kind: 'release';
	sequence: number;
}

/** Forget every parked cache (the settings changed). Not answered. */
export interface DropParkedMessage {
	kind: 'dropParked';
}

/**
 * Finish the passes under way, free the session and answer `closed`, so the
 * thread can be ended without pulling a session out from under a running
 * pass (onnxruntime then aborts the whole process).
 */
export interface CloseMessage {
	kind: 'close';
}

export type ToPassWorker = OpenMessage | FeedMessage | ReleaseMessage | DropParkedMessage | CloseMessage;

export interface OpenedMessage {
	kind: 'opened';
	attentionLayers: number;
}

export interface OpenFailedMessage {
	kind: 'openFailed';
	message: string;
}

/** Float32 copies whose buffers were transferred, not cloned. */
export interface PassMessage {
	kind: 'pass';
	request: number;
	logits: Float32Array;
	attention: { data: Float32Array; dims: number[] }[] | null;
	/** As in PassResult: ids taken from a parked cache, ids computed, bytes still parked. */
	reused: number;
	computed: number;
	parkedBytes: number;
}

export interface PassFailedMessage {
	kind: 'passFailed';
	request: number;
	message: string;
}

export interface ClosedMessage {
	kind: 'closed';
}

export type FromPassWorker = OpenedMessage | OpenFailedMessage | PassMessage | PassFailedMessage | ClosedMessage;
