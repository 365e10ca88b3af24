/**
 * RemoteStream over a client's token generator: the generator reports how the
 * server ended the stream through `finish`, and one iteration is allowed
 * (a second would send the request again).
 */
import type { RemoteFinish, RemoteStream, RemoteToken } from './remoteClient';

export type TokenSource = (end: (finish: RemoteFinish) => void) => AsyncGenerator<RemoteToken>;

export class TokenStream implements RemoteStream {
	private ended: RemoteFinish | undefined;
	private started = false;

	constructor(private readonly source: TokenSource) {}

	get finish(): RemoteFinish | undefined {
		return this.ended;
	}

	[Symbol.asyncIterator](): AsyncIterator<RemoteToken> {
		if (this.started) throw new Error('A RemoteStream can be iterated once.');
		this.started = true;
		return this.source((finish) => {
			this.ended = finish;
		});
	}
}

/** Every token of a stream and how it ended (tests, benchmarks, non-streaming callers). */
export async function readAll(stream: RemoteStream): Promise<{ tokens: RemoteToken[]; text: string; finish: RemoteFinish | undefined }> {
	const tokens: RemoteToken[] = [];
	for await (const token of stream) tokens.push(token);
	return { tokens, text: tokens.map((t) => t.text).join(''), finish: stream.finish };
}
