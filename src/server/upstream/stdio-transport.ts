import type { ChildProcess } from 'node:child_process';
import type { PassThrough } from 'node:stream';
import { StdioClientTransport, type StdioServerParameters } from '@modelcontextprotocol/client/stdio';
import { adoptPrespawned } from './prespawn.js';

/** The SDK transport's own fields this subclass sets when it adopts a child (SDK 2.4 shape). */
interface TransportInternals {
  _process?: ChildProcess;
  _readBuffer: { append(chunk: Buffer): void };
  _stderrStream: PassThrough | null;
  processReadBuffer(): void;
}

/**
 * The SDK's stdio transport, subclassed for two reasons.
 *
 * The era probe runs ON this child. Given its own base class, the SDK (2.4) probes
 * `server/discover` on a disposable sibling process spawned from the same command, then starts
 * the real child: two spawns (about 150 ms each for a Node backend) before the first `initialize`.
 * For any subclass it probes in place, which is what the 2026-07-28 versioning section asks of
 * dual-era clients: `server/discover` first, and on a 2025 answer (method not found, or no modern
 * version) `initialize` on the same stream. A 2025 server that exits on any request before
 * `initialize` closes the probe instead; the connection then starts it once more with the legacy
 * verdict (`connection.ts`), and that verdict is remembered, so later starts spawn once.
 *
 * It adopts a child `serve` spawned early (`prespawn.ts`) for exactly these parameters, wired
 * as the base class wires the children it spawns; otherwise the base class spawns.
 */
export class InPlaceStdioTransport extends StdioClientTransport {
  private readonly params: StdioServerParameters;

  constructor(params: StdioServerParameters) {
    super(params);
    this.params = params;
  }

  override async start(): Promise<void> {
    const self = this as unknown as TransportInternals;
    const child = self._process ? undefined : adoptPrespawned({ command: this.params.command, args: this.params.args ?? [], env: this.params.env ?? {}, cwd: this.params.cwd });
    if (!child) return super.start();
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
    if (self._stderrStream && child.stderr) child.stderr.pipe(self._stderrStream);
  }
}

/** True for the SDK's error when an in-place stdio probe saw the child exit before answering. */
export function closedDuringInPlaceProbe(e: unknown): boolean {
  const message = e instanceof Error ? e.message : '';
  return /connection closed during the server\/discover probe/.test(message) && /probed in place/.test(message);
}
