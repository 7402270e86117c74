import { ProtocolError, SdkError } from '@modelcontextprotocol/client';
import { ErrorCodes, UpstreamError, type CallContext } from './types.js';

/**
 * How a failed forwarded call reads to the client: always naming the backend, never its command
 * line, and never blaming the backend for a stop the gateway planned.
 */
export function mapCallError(
  e: unknown,
  method: string,
  ctx: CallContext,
  c: { name: string; stopping: boolean; stderrTail: () => string; describe: (e: unknown) => string },
): Error {
  const name = c.name;
  if (e instanceof ProtocolError) {
    return new UpstreamError(`[${name}] ${e.message.replace(/^MCP error -?\d+: /, '')}`, e.code, name, e.data);
  }
  // The SDK reports an aborted request in several ways (a timeout among them); the client's own
  // cancellation is what happened, so say that.
  if (ctx.signal.aborted && !(e instanceof ProtocolError)) return new UpstreamError(`Request cancelled.`, ErrorCodes.InternalError, name, undefined, 'cancelled');
  if (e instanceof SdkError) {
    const code = String(e.code);
    if (code === 'REQUEST_TIMEOUT') {
      return new UpstreamError(`Backend "${name}" did not answer ${method} within ${Math.round(ctx.timeoutMs / 1000)} s (the timeout resets on progress).`, ErrorCodes.RequestTimeout, name, {
        timeoutMs: ctx.timeoutMs,
      }, 'timeout');
    }
    if (code === 'CONNECTION_CLOSED' || code === 'NOT_CONNECTED') {
      if (c.stopping) return new UpstreamError(`The gateway is shutting down; the call to backend "${name}" was stopped before it finished.`, ErrorCodes.BackendUnavailable, name);
      const tail = c.stderrTail();
      return new UpstreamError(`Backend "${name}" closed the connection while handling ${method} (it crashed or was restarted).${tail ? ` stderr: ${tail}` : ''}`, ErrorCodes.BackendUnavailable, name);
    }
  }
  if (ctx.signal.aborted) return new UpstreamError(`Request cancelled.`, ErrorCodes.InternalError, name);
  return new UpstreamError(`[${name}] ${c.describe(e)}`, ErrorCodes.InternalError, name);
}

/** A log notification nobody waits for, as one short line. */
export function summarizeLog(params: unknown): string {
  const p = (params ?? {}) as { level?: unknown; logger?: unknown; data?: unknown };
  const data = typeof p.data === 'string' ? p.data : JSON.stringify(p.data ?? null) ?? '';
  return `${typeof p.level === 'string' ? p.level : 'info'}${typeof p.logger === 'string' ? ` ${p.logger}` : ''}: ${data}`.slice(0, 300);
}

export function negotiationMode(protocol: 'auto' | 'legacy' | 'modern' | undefined): 'auto' | 'legacy' | { pin: string } {
  if (protocol === 'legacy') return 'legacy';
  if (protocol === 'modern') return { pin: '2026-07-28' };
  return 'auto';
}
