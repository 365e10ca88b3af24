/**
 * The webview's end of protocol/webview.ts: typed send, request with a reply
 * matched by id, and notification handlers. Anything that fails its
 * descriptor's `is()` check is dropped.
 */
import {
	createMessage,
	isIpcMessage,
	type IpcCommand,
	type IpcNotification,
	type IpcRequest,
} from '../../protocol/webview';

/** What acquireVsCodeApi() returns. */
export interface VsCodeApi<State> {
	postMessage(message: unknown): void;
	getState(): State | undefined;
	setState(state: State): void;
}

interface Pending {
	accept(msg: unknown): boolean;
	reject(error: Error): void;
	timer: ReturnType<typeof setTimeout>;
}

export class HostConnection {
	private nextId = 1;
	private readonly pending = new Map<string, Pending>();
	private readonly handlers = new Map<string, (msg: unknown) => void>();

	constructor(
		private readonly api: VsCodeApi<unknown>,
		target: Window,
	) {
		target.addEventListener('message', (event: MessageEvent) => this.receive(event.data));
	}

	send<Params>(command: IpcCommand<Params>, params: Params): void {
		this.api.postMessage(createMessage(command, this.newId(), params));
	}

	/** Sends a request; resolves with the host's reply, rejects on timeout. */
	request<Params, Response>(request: IpcRequest<Params, Response>, params: Params, timeoutMs = 60_000): Promise<Response> {
		const id = this.newId();
		return new Promise<Response>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.pending.delete(id);
				reject(new Error('The extension did not answer in time.'));
			}, timeoutMs);
			this.pending.set(id, {
				accept: (msg) => {
					if (!request.response.is(msg)) {
						return false;
					}
					resolve(msg.params);
					return true;
				},
				reject,
				timer,
			});
			this.api.postMessage(createMessage(request, id, params));
		});
	}

	/** One handler per notification; a later registration replaces the earlier one. */
	on<Params>(notification: IpcNotification<Params>, handler: (params: Params) => void): void {
		this.handlers.set(notification.method, (msg) => {
			if (notification.is(msg)) {
				handler(msg.params);
			} else {
				console.warn(`Glassbox inspector: malformed ${notification.method} message dropped`);
			}
		});
	}

	private receive(data: unknown): void {
		if (!isIpcMessage(data)) {
			return;
		}
		if (data.completionId !== undefined) {
			const pending = this.pending.get(data.completionId);
			if (pending) {
				this.pending.delete(data.completionId);
				clearTimeout(pending.timer);
				if (!pending.accept(data)) {
					pending.reject(new Error(`Malformed reply to ${data.method}`));
				}
			}
			return;
		}
		this.handlers.get(data.method)?.(data);
	}

	private newId(): string {
		return `w${this.nextId++}`;
	}
}
