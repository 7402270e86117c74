import { ProtocolError } from '@modelcontextprotocol/server';
import type { CallOutcome } from '../../core/events.js';
import { errorMessage } from '../../core/errors.js';
import { redactString } from '../../core/log/redact.js';
import { ErrorCodes, UpstreamError } from '../upstream/types.js';
import type { CallContext, Decision } from './types.js';

/** A request a step refused. It carries the decision, so every reader sees the same reason. */
export class CallDenied extends ProtocolError {
  constructor(readonly decision: Decision & { verdict: 'deny'; reason: string; code: number }) {
    super(decision.code, decision.reason, { step: decision.step, ...decision.data });
    this.name = 'CallDenied';
  }
}

/** Records a denial on the call and returns the error to throw. */
export function deny(call: { decisions: Decision[] }, step: string, code: number, reason: string, data?: Record<string, unknown>): CallDenied {
  const decision = { step, verdict: 'deny' as const, code, reason, ...(data ? { data } : {}) };
  call.decisions.push(decision);
  return new CallDenied(decision);
}

/**
 * What a call's failure means, for events and (later) metrics. The wire code cannot tell: a timeout
 * and a missing resource share -32002, so a timeout is known by the kind the upstream gave it.
 */
export function classifyFailure(e: unknown, call: CallContext): CallOutcome {
  if (call.signal.aborted) return 'cancelled';
  if (e instanceof UpstreamError && e.kind === 'timeout') return 'timeout';
  return 'error';
}

/**
 * The error a client gets. Upstream errors become JSON-RPC errors naming the backend, and a stdio
 * backend's command line never reaches the client (it can carry paths, flags and keys).
 */
export function clientError(e: unknown, call: CallContext): unknown {
  if (e instanceof ProtocolError) return e;
  if (e instanceof UpstreamError) {
    const data = isObject(e.data) ? e.data : e.data !== undefined ? { detail: e.data } : {};
    return new ProtocolError(e.code, withoutCommandLine(e.message, call), { backend: e.backend, ...data });
  }
  if (call.route) return new ProtocolError(ErrorCodes.InternalError, withoutCommandLine(errorMessage(e), call), { backend: call.route.upstream.name });
  return e;
}

export function withoutCommandLine(message: string, call: CallContext): string {
  const config = call.route?.upstream.config;
  if (config?.type !== 'stdio') return message;
  const name = `backend "${call.route!.upstream.name}"`;
  let out = message;
  // Upstream errors are redacted when made, so the line may appear with its credentials already cut.
  const raw = [config.command, ...(config.args ?? [])].join(' ');
  for (const commandLine of new Set([raw, redactString(raw)])) {
    // Unquoted, only a line with arguments is distinctive enough to replace without hitting other words.
    out = out.split(`"${commandLine}"`).join(name);
    if (config.args?.length) out = out.split(commandLine).join(name);
  }
  // A path to the executable may still appear on its own (spawn errors name only the command); a
  // bare word like "node" is left alone, it would match inside other words.
  if (config.command.includes('/')) out = out.split(config.command).join(name);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
