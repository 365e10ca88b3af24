/**
 * RemoteStream over a client's token generator: the generator reports how the
 * server ended the stream through `end` (and what it said about the prompt
 * through `promptSeen`, when it says so earlier), and one iteration is allowed
 * (a second would send the request again).
 */
import type { RemoteFinish, RemotePromptFacts, RemoteStream, RemoteToken } from './remoteClient';

export type TokenSource = (end: (finish: RemoteFinish) => void, promptSeen: (facts: RemotePromptFacts) => void) => AsyncGenerator<RemoteToken>;

export class TokenStream implements RemoteStream {
	private ended: RemoteFinish | undefined;
	private promptFacts: RemotePromptFacts | undefined;
	private started = false;

	constructor(private readonly source: TokenSource) {}

	get finish(): RemoteFinish | undefined {
		return this.ended;
	}

	get prompt(): RemotePromptFacts | undefined {
		return this.promptFacts;
	}

	[Symbol.asyncIterator](): AsyncIterator<RemoteToken> {
		if (this.started) throw new Error('A RemoteStream can be iterated once.');
		this.started = true;
		return this.source(
			(finish) => {
				this.ended = finish;
				const facts: RemotePromptFacts = { ...this.promptFacts };
				if (finish.promptTokens !== undefined) facts.promptTokens = finish.promptTokens;
				if (finish.cachedTokens !== undefined) facts.cachedTokens = finish.cachedTokens;
				if (facts.promptTokens !== undefined || facts.cachedTokens !== undefined) this.promptFacts = facts;
			},
			(facts) => {
				this.promptFacts ??= facts;
			},
		);
	}
}

/** Every token of a stream and how it ended (tests, benchmarks, non-streaming callers). */
export async function readAll(stream: RemoteStream): Promise<{ tokens: RemoteToken[]; text: string; finish: RemoteFinish | undefined }> {
	const tokens: RemoteToken[] = [];
	for await (const token of stream) tokens.push(token);
	return { tokens, text: tokens.map((t) => t.text).join(''), finish: stream.finish };
}
