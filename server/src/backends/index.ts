/**
 * Shared inference servers as completion backends: one client per server
 * kind behind RemoteClient (./remoteClient.ts), and BackendError for every
 * failure (./backendError.ts).
 */
import { LlamaCppClient } from './llamaCpp';
import { OllamaClient } from './ollama';
import { OpenAiCompatClient } from './openaiCompat';
import type { RemoteClient, RemoteEndpoint, ServerKind } from './remoteClient';

export * from './backendError';
export * from './remoteClient';
export { readAll } from './tokenStream';

/** A client for a server of `kind` at `endpoint`. Throws BackendError 'unsupported' for a URL that is not http(s). */
export function createRemoteClient(kind: ServerKind, endpoint: RemoteEndpoint): RemoteClient {
	switch (kind) {
		case 'llama.cpp':
			return new LlamaCppClient(endpoint);
		case 'openai':
			return new OpenAiCompatClient(endpoint);
		case 'ollama':
			return new OllamaClient(endpoint);
	}
}

/**
 * The id of a control token spelled `text` (a FIM marker), asking the server's tokenizer:
 * undefined when the model has no such single token. llama.cpp's /props has no FIM ids, so
 * this is how a llama.cpp backend learns them from the family's FIM strings.
 */
export async function specialTokenId(client: RemoteClient, text: string, signal: AbortSignal): Promise<number | undefined> {
	if (!client.tokenize) return undefined;
	const special = await client.tokenize(text, signal, { special: true });
	if (special.length !== 1) return undefined;
	const plain = await client.tokenize(text, signal, { special: false });
	return plain.length === 1 && plain[0] === special[0] ? undefined : special[0];
}
