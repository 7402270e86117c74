import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

/**
 * The SDK's stdio transport, subclassed only so the SDK's era negotiation runs ON this child.
 *
 * Given its own base class, the SDK (2.4) probes `server/discover` on a disposable sibling process
 * spawned from the same command, then starts the real child: two spawns (about 250 ms for a Node
 * backend) before the first `initialize`. For any subclass it probes in place, which is what the
 * 2026-07-28 versioning section asks of dual-era clients: `server/discover` first, and on a
 * 2025 answer (method not found, or no modern version) `initialize` on the same stream.
 *
 * A 2025 server that exits on any request before `initialize` closes the probe instead; the
 * connection then starts it once more with the legacy verdict (`connection.ts`), and that verdict
 * is remembered, so later starts of that backend spawn once.
 */
export class InPlaceStdioTransport extends StdioClientTransport {}

/** True for the SDK's error when an in-place stdio probe saw the child exit before answering. */
export function closedDuringInPlaceProbe(e: unknown): boolean {
  const message = e instanceof Error ? e.message : '';
  return /connection closed during the server\/discover probe/.test(message) && /probed in place/.test(message);
}
