/**
 * Line framing for a stdio backend's stdout with a per-message size limit that fails one call, not
 * the connection. The SDK's ReadBuffer throws past its limit (10 MiB), and its transport then closes
 * the child, failing every in-flight call; it also concatenates the whole buffer on every chunk.
 * This buffer keeps chunks as they come, scans only new bytes for a newline, and a message over the
 * limit is skipped to its newline. Its request id is read from the first and last bytes (where a
 * JSON-RPC response carries it) and the waiting call gets an error response that says what happened.
 *
 * It replaces the SDK transport's `_readBuffer` (same three methods), so the transport keeps the SDK's
 * own reading and writing (stdio-transport.ts only moves the era probe onto the child itself).
 */
import { deserializeMessage, type JSONRPCMessage } from '@modelcontextprotocol/client';

export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** JSON-RPC "internal error": the call failed on the gateway's side of the link. */
const OVERSIZED_CODE = -32603;
const EDGE = 512;

export interface OversizedMessage {
  id?: string | number;
  bytes: number;
}

export class BoundedReadBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private readonly ready: JSONRPCMessage[] = [];
  /** While skipping an oversized message: its first bytes, the last bytes seen, and its length. */
  private skip?: { head: Buffer; tail: Buffer; bytes: number };

  constructor(
    private readonly maxBytes: number,
    private readonly describe: (m: OversizedMessage) => string,
    private readonly onOversized?: (m: OversizedMessage) => void,
  ) {}

  append(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skip) this.extendSkip(piece);
      else if (this.size + piece.length > this.maxBytes) this.startSkip(piece);
      else if (piece.length) {
        this.chunks.push(piece);
        this.size += piece.length;
      }
      if (nl < 0) return;
      this.finishLine();
      start = nl + 1;
    }
  }

  readMessage(): JSONRPCMessage | null {
    return this.ready.shift() ?? null;
  }

  clear(): void {
    this.chunks = [];
    this.size = 0;
    this.skip = undefined;
    this.ready.length = 0;
  }

  private startSkip(piece: Buffer): void {
    const pending = Buffer.concat([...this.chunks, piece]);
    this.chunks = [];
    this.size = 0;
    this.skip = { head: Buffer.from(pending.subarray(0, EDGE)), tail: Buffer.from(pending.subarray(-EDGE)), bytes: pending.length };
  }

  private extendSkip(piece: Buffer): void {
    const s = this.skip!;
    s.bytes += piece.length;
    s.tail = piece.length >= EDGE ? Buffer.from(piece.subarray(-EDGE)) : Buffer.concat([s.tail, piece]).subarray(-EDGE);
  }

  private finishLine(): void {
    if (this.skip) {
      const { head, tail, bytes } = this.skip;
      this.skip = undefined;
      const id = responseId(head.toString('utf8'), tail.toString('utf8'));
      const info: OversizedMessage = { id, bytes };
      this.onOversized?.(info);
      if (id !== undefined) this.ready.push({ jsonrpc: '2.0', id, error: { code: OVERSIZED_CODE, message: this.describe(info), data: { bytes, limit: this.maxBytes } } } as JSONRPCMessage);
      return;
    }
    if (this.size === 0) return;
    const line = (this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size)).toString('utf8').replace(/\r$/, '');
    this.chunks = [];
    this.size = 0;
    try {
      this.ready.push(deserializeMessage(line));
    } catch {
      // Not JSON-RPC (a stray print on stdout): skipped, as the SDK's own buffer does.
    }
  }
}

/** A response's id: `{"jsonrpc":"2.0","id":7,"result":…}` has it up front, `{…,"id":7}` at the end. */
function responseId(head: string, tail: string): string | number | undefined {
  const front = /^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")/.exec(head);
  const back = /"id"\s*:\s*(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$/.exec(tail);
  const raw = front?.[1] ?? back?.[1];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as string | number;
  } catch {
    return undefined;
  }
}

/** Swaps the SDK stdio transport's read buffer for the bounded one; false when the SDK changed shape. */
export function installBoundedFraming(transport: object, buffer: BoundedReadBuffer): boolean {
  const t = transport as { _readBuffer?: { append?: unknown; readMessage?: unknown; clear?: unknown } };
  if (!t._readBuffer || typeof t._readBuffer.append !== 'function' || typeof t._readBuffer.readMessage !== 'function') return false;
  t._readBuffer = buffer as never;
  return true;
}
