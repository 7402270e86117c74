import type { ChildProcess } from 'node:child_process';
import type { PassThrough } from 'node:stream';
import { SdkError } from '@modelcontextprotocol/client';
import { StdioClientTransport, getDefaultEnvironment, type StdioServerParameters } from '@modelcontextprotocol/client/stdio';
import { trackChild } from './children.js';
import { adoptEarly } from './early-spawn.js';

/** The SDK transport's own fields this subclass reads or sets (SDK 2.x shape). */
interface Internals {
  _process?: ChildProcess;
  _serverParams: StdioServerParameters;
  _readBuffer: { append(chunk: Buffer): void };
  _stderrStream: PassThrough | null;
  processReadBuffer(): void;
}

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
 * It adopts the child `serve` spawned early for exactly this command, arguments, directory and
 * environment (early-spawn.ts), wired as the base class wires the children it spawns; otherwise
 * the base class spawns. Either way the child is counted among the backend children a second
 * Ctrl-C kills from the moment it exists, handshake included, until it exits.
 */
export class SameChildStdioTransport extends StdioClientTransport {
  override async start(): Promise<void> {
    const self = this as unknown as Internals;
    const p = self._serverParams;
    const early = self._process ? undefined : adoptEarly({ command: p.command, args: p.args ?? [], env: { ...getDefaultEnvironment(), ...p.env }, cwd: p.cwd });
    if (early) return this.adopt(early);
    await super.start();
    const child = self._process;
    if (child?.pid) child.once('exit', trackChild(child.pid));
  }

  /** The base class's start, for a child that is already running (and already tracked). */
  private adopt(child: ChildProcess): void {
    const self = this as unknown as Internals;
    self._process = child;
    child.on('error', (error) => this.onerror?.(error));
    child.on('close', () => {
      self._process = undefined;
      this.onclose?.();
    });
    child.stdin?.on('error', (error) => this.onerror?.(error));
    child.stdout?.on('data', (chunk: Buffer) => {
      try {
        self._readBuffer.append(chunk);
        self.processReadBuffer();
      } catch (error) {
        this.onerror?.(error as Error);
        this.close().catch(() => undefined);
      }
    });
    child.stdout?.on('error', (error) => this.onerror?.(error));
    // What it wrote to stderr while it waited is still in the pipe, and comes through here.
    if (self._stderrStream && child.stderr) child.stderr.pipe(self._stderrStream);
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
