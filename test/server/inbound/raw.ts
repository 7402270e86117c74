// Raw HTTP/1.1 over a socket, for what fetch will not send (a forged Host, a slow or endless body)
// and for watching the socket itself (closed or kept alive).
import { connect, type Socket } from 'node:net';

export interface RawConn {
  socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves when the server closed the connection (or after ms: false). */
  closed(ms: number): Promise<boolean>;
  waitFor(pred: (text: string) => boolean, ms: number): Promise<boolean>;
  destroy(): void;
}

export async function rawConnect(port: number): Promise<RawConn> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let text = '';
  let isClosed = false;
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.on('close', () => (isClosed = true));
  const poll = async (pred: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!pred() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return pred();
  };
  return {
    socket,
    received: () => text,
    closed: (ms) => poll(() => isClosed, ms),
    waitFor: (pred, ms) => poll(() => pred(text), ms),
    destroy: () => socket.destroy(),
  };
}
