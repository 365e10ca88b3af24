/**
 * A model on an inference server (glassbox.backend other than `local`):
 * connecting finds what the prompt code needs, the same facts a local model
 * has (family, FIM and stop tokens, context length, a codec), so the
 * completion pipeline, the commands and the Inspector work on it unchanged.
 *
 * How prompts are tokenized, per server kind:
 * - llama.cpp: its own /tokenize (ServerTokenizer), so prompts go as exact
 *   token ids, FIM markers and stop tokens are found by their text in its
 *   vocabulary, and healing is exact (remoteGeneration.ts).
 * - openai, ollama: they take text. When glassbox.model's tokenizer is on
 *   this machine and belongs to the served model's family (and the server's
 *   vocabulary size, where it tells it, is the same), that tokenizer counts
 *   the budget and heals the prompt's last token ('local'). Otherwise counts
 *   are estimated from characters and nothing is healed ('estimate').
 */
import type { ServerBackendStatus } from '../../protocol/lsp';
import { createRemoteClient, SERVER_LABELS, type RemoteClient, type RemoteServerInfo } from './backends';
import { localTokenizer, tokenFacts, type ModelFacts, type LoadRequest, type ServerRequest } from './modelLoader';
import { familyKeyForName, GENERIC_FAMILY, registry, type FamilySpec } from './modelRegistry';
import type { FimTokenIds } from './prompt';
import { EstimateCodec } from './promptCodec';
import { ServerTokenizer } from './serverTokenizer';

export type TokenizerKind = 'server' | 'local' | 'estimate';

export interface RemoteModel extends ModelFacts {
	kind: 'remote';
	client: RemoteClient;
	info: RemoteServerInfo;
	/** Where the prompt's ids come from (see the file's comment). */
	tokenizer: TokenizerKind;
	/** The control tokens' ids and texts: text prompts spell them out, and keep document text from spelling them. */
	controls: Map<number, string>;
	/** "glassbox-mini on the llama.cpp server at http://127.0.0.1:8080", for records and messages. */
	description: string;
	/** For the status bar. */
	status: ServerBackendStatus;
}

/** A context length for servers that do not tell theirs: small enough for any model that completes code. */
const UNKNOWN_CONTEXT = 2048;

/**
 * Connects to the server `request.server` names with `apiKey` (from SecretStorage; may be
 * null). Rejects with the BackendError of the first request that failed.
 */
export async function connectServer(
	request: LoadRequest & { server: ServerRequest },
	apiKey: string | null,
	extensionPath: string,
	signal: AbortSignal,
): Promise<RemoteModel> {
	const s = request.server;
	const client = createRemoteClient(s.backend, {
		url: s.url,
		model: s.model || undefined,
		apiKey: apiKey ?? undefined,
		timeouts: { firstByteMs: s.timeoutMs, idleMs: s.timeoutMs },
	});
	const info = await client.info(signal);
	const named = s.family !== 'auto' ? s.family : familyKeyForName(info.model) ?? familyKeyForName(s.model);
	const origin = new URL(s.url).origin;
	const description = `${info.model} on the ${SERVER_LABELS[s.backend]} at ${origin}`;
	const tokens = s.backend === 'llama.cpp' ? await serverTokens(client, named, signal) : await textTokens(request, info, named, extensionPath);
	const notices: string[] = [];
	if (!named && !tokens.found) {
		notices.push(`Glassbox does not know the family of "${info.model}": completions continue the prefix only. Choose its family in glassbox.serverFamily.`);
	} else if (!tokens.fim) {
		notices.push(`${info.model} has no fill-in-the-middle tokens${tokens.family.fim ? ` (${tokens.family.fim.prefix} and the others)` : ''}: completions continue the prefix only.`);
	}
	if (!info.logprobs) {
		notices.push(`The ${SERVER_LABELS[s.backend]} (version ${info.version ?? 'unknown'}) reports no token probabilities: the Inspector shows the text without them.`);
	}
	if (tokens.tokenizer === 'estimate') {
		notices.push(`No local tokenizer for ${info.model}: token counts are estimated from characters, and the prompt's last token is not healed.`);
	}
	return {
		kind: 'remote',
		request,
		label: info.model,
		spec: undefined,
		...tokens,
		layers: 0,
		heads: 0,
		hasAttention: false,
		contextLength: info.contextLength ?? UNKNOWN_CONTEXT,
		device: SERVER_LABELS[s.backend],
		dtype: '',
		weights: '',
		notice: notices.length > 0 ? notices.join(' ') : undefined,
		client,
		info,
		description,
		status: { kind: s.backend, origin, model: info.model, tokenizer: tokens.tokenizer },
	};
}

type ServerTokens = Pick<RemoteModel, 'codec' | 'family' | 'fim' | 'stopIds' | 'bannedIds' | 'startIds' | 'tokenizer' | 'controls'> & {
	/** Whether the family was found from the vocabulary (llama.cpp with a family of unknown name). */
	found: boolean;
};

/** llama.cpp: the server's vocabulary; an unnamed family is the first whose FIM tokens it has. */
async function serverTokens(client: RemoteClient, named: string | undefined, signal: AbortSignal): Promise<ServerTokens> {
	const codec = new ServerTokenizer(client);
	const ids = async (texts: (string | undefined)[]) => Promise.all(texts.map((t) => (t === undefined ? undefined : codec.controlId(t, signal))));
	let family: FamilySpec | undefined = named ? registry.families[named] : undefined;
	let found = false;
	if (!family) {
		for (const candidate of Object.values(registry.families)) {
			const f = candidate.fim;
			if (f && (await ids([f.prefix, f.suffix, f.middle])).every((id) => id !== undefined)) {
				family = candidate;
				found = true;
				break;
			}
		}
	}
	family ??= GENERIC_FAMILY;
	const f = family.fim;
	const [prefix, suffix, middle, start] = await ids([f?.prefix, f?.suffix, f?.middle, family.documentStart]);
	const stops = await ids(family.stop);
	const controls = new Map<number, string>();
	const stopIds = new Set<number>();
	family.stop.forEach((text, i) => {
		const id = stops[i];
		if (id !== undefined) {
			stopIds.add(id);
			controls.set(id, text);
		}
	});
	const fim: FimTokenIds | null =
		f && prefix !== undefined && suffix !== undefined && middle !== undefined ? { prefix, suffix, middle, order: f.order ?? 'psm' } : null;
	const bannedIds = new Set<number>();
	if (fim && f) {
		for (const [id, text] of [
			[fim.prefix, f.prefix],
			[fim.suffix, f.suffix],
			[fim.middle, f.middle],
		] as const) {
			controls.set(id, text);
			if (!stopIds.has(id)) {
				bannedIds.add(id);
			}
		}
	}
	if (start !== undefined && family.documentStart !== undefined) {
		controls.set(start, family.documentStart);
	}
	codec.eosTokenId = start ?? [...stopIds][0];
	return { codec, family, fim, stopIds, bannedIds, startIds: start === undefined ? [] : [start], tokenizer: 'server', controls, found };
}

/** OpenAI-compatible servers and Ollama: the local tokenizer when it is the served model's, else the estimate. */
async function textTokens(request: LoadRequest, info: RemoteServerInfo, named: string | undefined, extensionPath: string): Promise<ServerTokens> {
	const family = named ? registry.families[named] : undefined;
	const local = family ? await localTokenizer(request.model, extensionPath) : undefined;
	if (local && family && local.family === family && (info.vocabSize === undefined || info.vocabSize === local.codec.vocabSize)) {
		const facts = tokenFacts(local.codec, family);
		const controls = new Map<number, string>();
		for (const id of [...facts.bannedIds, ...facts.stopIds, ...facts.startIds]) {
			controls.set(id, local.codec.tokenText(id));
		}
		return { ...facts, tokenizer: 'local', controls, found: false };
	}
	const spec = family ?? GENERIC_FAMILY;
	const strings = [...new Set([...(spec.fim ? [spec.fim.prefix, spec.fim.suffix, spec.fim.middle] : []), ...spec.stop, ...(spec.documentStart ? [spec.documentStart] : [])])];
	const codec = new EstimateCodec(strings);
	const id = (t: string) => codec.idOf(t)!;
	const controls = new Map(strings.map((t) => [id(t), t]));
	const fim: FimTokenIds | null = spec.fim ? { prefix: id(spec.fim.prefix), suffix: id(spec.fim.suffix), middle: id(spec.fim.middle), order: spec.fim.order ?? 'psm' } : null;
	return {
		codec,
		family: spec,
		fim,
		stopIds: new Set(spec.stop.map(id)),
		// Ids the server does not know cannot be banned; its own end tokens stop it.
		bannedIds: new Set(),
		startIds: spec.documentStart ? [id(spec.documentStart)] : [],
		tokenizer: 'estimate',
		controls,
		found: false,
	};
}
