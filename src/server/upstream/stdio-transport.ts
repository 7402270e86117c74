import { SdkError } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { trackChild } from './children.js';

/**
 * The SDK's stdio transport, subclassed so the era probe runs on this child.
 *
 * For its own base class the SDK (2.x) sends the `server/discover` probe to a disposable sibling
 * process spawned from the same command, then spawns the real child: every stdio backend of unknown
 * era started twice. For any subclass it probes in place, as the 2026-07-28 versioning section asks
 * of a dual-era client: `server/discover` first, and when the server answers it with a JSON-RPC error
 * (method not found) or a result without a version we share, `initialize` on the same stream.
 *
 * A child that exits before it answers the probe is a failed start, not a verdict: the SDK rejects
 * the connect, the backend is retried with its usual backoff and probed again on the next start,
 * its era still unknown (see `probeExitError`). Nothing here ever spawns a second child.
 *
 * The child is counted among the backend children a second Ctrl-C kills from the moment it is
 * spawned, handshake included, until it exits.
 */
export class SameChildStdioTransport extends StdioClientTransport {
  override async start(): Promise<void> {
    await super.start();
    const child = (this as unknown as { _process?: { pid?: number; once(event: 'exit', fn: () => void): void } })._process;
    if (child?.pid) child.once('exit', trackChild(child.pid));
  }
}

/** Raised when a stdio child exits while the era probe waits for its answer. */
export class ProbeExitError extends Error {
  override readonly name = 'ProbeExitError';
  readonly kind = 'exited' as const;
}

/**
 * The SDK's error for a child that closed during an in-place probe, as a sentence naming the
 * backend and the fix; anything else unchanged.
 */
export function probeExitError(e: unknown, backend: string): unknown {
  if (!(e instanceof SdkError) || !/connection closed during the server\/discover probe/.test(e.message)) return e;
  return new ProbeExitError(
    `Backend "${backend}" exited before it answered the era probe (server/discover): it crashed on start, or it is a 2025 server that exits on any request before initialize. It is started again with the usual backoff; if it is a 2025 server, set "protocol: legacy" on the backend so it is started with initialize alone.`,
  );
}
