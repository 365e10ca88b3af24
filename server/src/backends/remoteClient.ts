/**
 * What the language server asks of a shared inference server, whatever its
 * kind. The language server keeps the prompt (FIM layout, token healing,
 * budgets), the stop rules and the post-processing; a client only turns a
 * finished prompt into a stream of tokens with their log probabilities and
 * top alternatives, and stops when its AbortSignal fires.
 *
 * Every method rejects with a BackendError (./backendError.ts) only.
 */

/** The server kinds Glassbox talks to; `openai` is any OpenAI-compatible `/v1/completions`. */
export type ServerKind = 'llama.cpp' | 'openai' | 'ollama';

/** One alternative a server reported for a step. */
export interface RemoteAlternative {
	text: string;
	/** Token id, where the server reports it (llama.cpp; vLLM with `return_tokens_as_token_ids`). */
	id?: number;
	/** Natural-log probability. */
	logprob: number;
}

/** One generated token as a server reports it. */
export interface RemoteToken {
	/**
	 * The text this token adds to the output. llama-server holds a token that ends inside a
	 * UTF-8 character back and reports it with the next one, so a multi-byte character may
	 * arrive as one token whose text is the whole character.
	 */
	text: string;
	id?: number;
	/**
	 * Natural-log probability of this token under the model's distribution before sampling
	 * (temperature 1, no top-k/top-p cut); null where the server did not report one (probabilities
	 * not requested, or an Ollama older than 0.12.11).
	 */
	logprob: number | null;
	/** Most likely tokens at this step, best first; [] when not requested or not reported. */
	top: RemoteAlternative[];
}

/** One completion request. The prompt is final: templates are already applied. */
export interface RemoteRequest {
	/**
	 * The prompt text, or token ids for servers that take them (llama.cpp; see
	 * RemoteClient.acceptsTokenIds). Token ids keep the FIM layout and token healing exact.
	 */
	prompt: string | readonly number[];
	/** Most tokens to generate (at least 1). */
	maxTokens: number;
	/** 0 means greedy: always the most likely token. */
	temperature: number;
	/** 0 means no top-k cut. */
	topK: number;
	/** 1 means no nucleus cut. */
	topP: number;
	seed: number;
	/** Alternatives to report per token (0: none). Servers cap it: OpenAI-compatible ones at 5 to 20, Ollama at 20. */
	topLogprobs: number;
	/** Strings at which the server stops (the text before them is sent). [] leaves stopping to the caller. */
	stop: readonly string[];
	/** Token ids the server must never produce (llama.cpp and OpenAI-compatible `logit_bias`; Ollama has none and ignores this). */
	bannedTokens?: readonly number[];
	/** Let the server reuse its KV cache for the prompt's shared prefix (llama.cpp `cache_prompt`, default true). */
	cachePrompt?: boolean;
	/**
	 * Divide the logits of tokens already seen (default 1: none). llama.cpp and Ollama apply
	 * it over their last 64 tokens, prompt included; OpenAI-compatible servers are not sent it.
	 */
	repetitionPenalty?: number;
}

/** One message of a chat; the server formats the chat with its model's own template. */
export interface ChatTurn {
	role: 'system' | 'user' | 'assistant';
	content: string;
}

/** A chat completion request (the commands on models whose family uses chat prompts). */
export interface RemoteChatRequest extends Omit<RemoteRequest, 'prompt' | 'cachePrompt'> {
	messages: readonly ChatTurn[];
}

/** One token of the server's tokenization with the bytes it stands for. */
export interface TokenPiece {
	id: number;
	/** UTF-8 bytes of the token (a piece of a multi-byte character may be a partial sequence). */
	bytes: Uint8Array;
}

/** What the server said about its model. */
export interface RemoteServerInfo {
	kind: ServerKind;
	/** The model that answers: llama.cpp's alias or file name, the OpenAI model id, the Ollama model name. */
	model: string;
	/** Server version where the server tells it (Ollama `/api/version`, llama.cpp build info). */
	version?: string;
	/** Tokens of context one request may use, where the server tells it. */
	contextLength?: number;
	/** Vocabulary size, where the server tells it (llama.cpp). */
	vocabSize?: number;
	/** Whether completions can carry log probabilities (false for Ollama before 0.12.11). */
	logprobs: boolean;
}

/** Reason a stream ended by itself (not by cancellation or an error). */
export type RemoteFinishReason = 'stop' | 'length';

/** What the server reported about a request's prompt. */
export interface RemotePromptFacts {
	/** Prompt tokens the server evaluated, where it says (llama.cpp, Ollama, OpenAI usage). */
	promptTokens?: number;
	/** Prompt tokens the server took from its cache (llama.cpp `timings.cache_n`, OpenAI `cached_tokens`). */
	cachedTokens?: number;
}

/** How a stream ended, with what the server reported about the prompt. */
export interface RemoteFinish extends RemotePromptFacts {
	/** 'stop': end-of-generation token or a stop string; 'length': maxTokens reached. */
	reason: RemoteFinishReason;
}

/**
 * The tokens of one completion. Iterate it once with `for await`; leaving the loop early
 * (break, return, throw) closes the HTTP stream, and so does the request's AbortSignal, after
 * which the iteration rejects with a BackendError of kind 'cancelled'.
 */
export interface RemoteStream extends AsyncIterable<RemoteToken> {
	/** Set when the server ended the stream by itself; undefined before, and after a cancel or an error. */
	readonly finish: RemoteFinish | undefined;
	/**
	 * What the server said about the prompt, as soon as it said it: with the first token on
	 * llama.cpp (so a stream closed early knows it too), at the end elsewhere.
	 */
	readonly prompt: RemotePromptFacts | undefined;
}

export interface RemoteClient {
	readonly kind: ServerKind;
	/** Whether `RemoteRequest.prompt` may be token ids (and `tokenize` exists). */
	readonly acceptsTokenIds: boolean;
	/** The server's model and limits; also the cheapest check that the server answers and the key is right. */
	info(signal: AbortSignal): Promise<RemoteServerInfo>;
	/**
	 * The server's own tokenization (llama.cpp only). `special`: control-token text such as
	 * `<fim_prefix>` becomes its single token (default false: it is plain text).
	 */
	tokenize?(text: string, signal: AbortSignal, options?: { special?: boolean }): Promise<number[]>;
	/** The server's tokenization with each token's bytes (llama.cpp only; `special` as for tokenize). */
	tokenizePieces?(text: string, signal: AbortSignal, options?: { special?: boolean }): Promise<TokenPiece[]>;
	/** Starts one completion. The request goes out when iteration starts. */
	stream(request: RemoteRequest, signal: AbortSignal): RemoteStream;
	/**
	 * Starts one chat completion through the server's chat endpoint (llama.cpp and OpenAI-compatible
	 * `/v1/chat/completions`, Ollama `/api/chat`), which applies the model's chat template.
	 */
	chat(request: RemoteChatRequest, signal: AbortSignal): RemoteStream;
}

/** How to reach a server. */
export interface RemoteEndpoint {
	/**
	 * Base URL: `http://host:8080` for llama.cpp, `http://host:8000/v1` (or without `/v1`) for an
	 * OpenAI-compatible server, `http://host:11434` for Ollama.
	 */
	url: string;
	/** Model name sent with each request (OpenAI-compatible and Ollama servers; llama.cpp serves one model and ignores it). */
	model?: string;
	/** Sent as `Authorization: Bearer <key>`; never logged. */
	apiKey?: string;
	timeouts?: Partial<RemoteTimeouts>;
}

/** Limits after which a request fails with kind 'timeout' instead of waiting on. Milliseconds. */
export interface RemoteTimeouts {
	/** From sending a request to the response's headers and its first body bytes (covers prompt processing). */
	firstByteMs: number;
	/** Longest silence between two chunks of a streamed body. */
	idleMs: number;
}

export const DEFAULT_TIMEOUTS: RemoteTimeouts = { firstByteMs: 15000, idleMs: 10000 };
