/**
 * A TCP server on 127.0.0.1 that does `onConnection` with each socket: for
 * answers that are not HTTP, servers that never answer, and ports where
 * nothing listens. `close()` destroys every socket and stops listening.
 */
import * as net from 'net';

export interface RawServer {
	port: number;
	sockets: net.Socket[];
	close: () => Promise<void>;
}

export async function rawServer(onConnection: (socket: net.Socket) => void): Promise<RawServer> {
	const sockets: net.Socket[] = [];
	const server = net.createServer((socket) => {
		sockets.push(socket);
		socket.on('error', () => undefined);
		onConnection(socket);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		sockets,
		close: async () => {
			for (const s of sockets) s.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

/** A port nothing listens on: bound by the kernel's choice, then released. */
export async function closedPort(): Promise<number> {
	const s = await rawServer(() => undefined);
	await s.close();
	return s.port;
}
