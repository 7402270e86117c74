import { randomUUID } from 'node:crypto';
import { ProtocolError, inputRequired } from '@modelcontextprotocol/server';
import { ErrorCodes, type ReverseRequest } from '../upstream/types.js';
import type { Relay } from '../pipeline/relay.js';

type Result = Record<string, unknown>;

export const HELD_PREFIX = 'gatehouse-held:';

/**
 * With a cluster (issue 12), the token a client carries back names the replica holding the call,
 * under the cluster key, so any replica can send the retry to the holder (cluster/held.ts).
 */
export interface HeldSeal {
  wrap(token: string): string;
  /** The token of a state this replica holds; undefined when it is not ours or not authentic. */
  unwrap(sealed: string): string | undefined;
}
const HELD_TTL_MS = 10 * 60_000;

interface PendingReverse {
  key: string;
  request: ReverseRequest;
  /** Whether the client has been shown this request in an input_required round. */
  sent: boolean;
  resolve: (r: Result) => void;
  reject: (e: Error) => void;
}

/** Where a held call stands after a round: finished with the backend's result, or waiting for input. */
export type HeldOutcome = { done: true; value: Result } | { done: false; result: Result };

/**
 * A backend call kept open while a modern client answers a backend's sampling or elicitation
 * request through `input_required` rounds (a 2025 backend cannot be asked to retry).
 */
export class HeldCall {
  /** Named only once the call needs a round, so a call that never does costs no id. */
  token?: string;
  readonly pending: PendingReverse[] = [];
  /** Aborts the backend call. Only a cancel before the first round does: later rounds are retried. */
  readonly abort = new AbortController();
  result?: { ok: true; value: Result } | { ok: false; error: unknown };
  expiry?: NodeJS.Timeout;
  private waiter?: () => void;
  private seq = 0;

  /** The backend's messages go to the live request's relay; each retry swaps in its own. */
  readonly onProgress = (p: { progress: number; total?: number; message?: string }) => this.relay.progress?.(p);
  readonly onNotification = (n: { method: string; params?: Record<string, unknown> }) => this.relay.notification(n);
  readonly enqueue = (request: ReverseRequest): Promise<Result> =>
    new Promise((resolve, reject) => {
      this.pending.push({ key: `gatehouse_${this.seq++}`, request, sent: false, resolve, reject });
      this.wake();
    });

  constructor(
    readonly client: string,
    public relay: Relay,
  ) {}

  settle(r: NonNullable<HeldCall['result']>): void {
    this.result = r;
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves when the call finished or the backend asked for input not yet sent to the client. */
  async next(signal: AbortSignal): Promise<void> {
    if (this.result || signal.aborted || this.pending.some((p) => !p.sent)) return;
    let onAbort: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    signal.removeEventListener('abort', onAbort!);
  }
}

/**
 * The era bridge between a modern client and a 2025 backend: the calls held open across a modern
 * client's input_required rounds, found again by the requestState the client echoes.
 */
export class HeldCalls {
  private readonly held = new Map<string, HeldCall>();

  /** Set when the gateway joins a cluster with a cluster secret. */
  seal?: HeldSeal;

  constructor(private readonly ttlMs = HELD_TTL_MS) {}

  /** Whether a modern client's requestState is one of ours (a modern backend's passes through). */
  static owns(state: string | undefined): state is string {
    return state !== undefined && state.startsWith(HELD_PREFIX);
  }

  /** Waits for the first round of a call whose backend request is already under way. */
  async begin(held: HeldCall, backendCall: Promise<Result>, signal: AbortSignal): Promise<HeldOutcome> {
    backendCall.then(
      (value) => held.settle({ ok: true, value }),
      (error) => held.settle({ ok: false, error }),
    );
    const abortOnFirstRound = () => {
      if (!held.pending.length && !held.result) held.abort.abort();
    };
    signal.addEventListener('abort', abortOnFirstRound, { once: true });
    if (signal.aborted) abortOnFirstRound();
    try {
      return await this.round(held, signal);
    } finally {
      signal.removeEventListener('abort', abortOnFirstRound);
    }
  }

  /** A modern client's retry: hands its answers to the waiting backend requests, then waits again. */
  async resume(state: string, client: string, responses: Record<string, unknown>, relay: Relay, signal: AbortSignal): Promise<HeldOutcome> {
    const rest = state.slice(HELD_PREFIX.length);
    const token = this.seal ? this.seal.unwrap(rest) : rest;
    const held = token === undefined ? undefined : this.held.get(token);
    if (!held || held.client !== client) {
      throw new ProtocolError(ErrorCodes.InvalidParams, 'Unknown or expired requestState: the held backend call is gone. Start the call again.');
    }
    held.relay = relay;
    for (const p of [...held.pending]) {
      if (!p.sent || !(p.key in responses)) continue;
      held.pending.splice(held.pending.indexOf(p), 1);
      p.resolve(responses[p.key] as Result);
    }
    return this.round(held, signal);
  }

  private async round(held: HeldCall, signal: AbortSignal): Promise<HeldOutcome> {
    await held.next(signal);
    if (held.result) {
      if (held.token) this.held.delete(held.token);
      clearTimeout(held.expiry);
      if (held.result.ok) return { done: true, value: held.result.value };
      throw held.result.error;
    }
    if (signal.aborted) throw new ProtocolError(ErrorCodes.InternalError, 'Request cancelled.');
    const inputRequests: Record<string, unknown> = {};
    for (const p of held.pending) {
      p.sent = true;
      inputRequests[p.key] = { method: p.request.method, params: p.request.params ?? {} };
    }
    const token = (held.token ??= randomUUID());
    this.held.set(token, held);
    clearTimeout(held.expiry);
    held.expiry = setTimeout(() => {
      this.held.delete(token);
      for (const p of held.pending) p.reject(new Error('The client did not answer the input request in time.'));
    }, this.ttlMs);
    held.expiry.unref();
    return { done: false, result: inputRequired({ inputRequests: inputRequests as never, requestState: `${HELD_PREFIX}${this.seal ? this.seal.wrap(token) : token}` }) as unknown as Result };
  }

  /** Calls waiting for a client's input (for tests and the dashboard). */
  get size(): number {
    return this.held.size;
  }

  dispose(): void {
    for (const h of this.held.values()) {
      clearTimeout(h.expiry);
      for (const p of h.pending) p.reject(new Error('Gateway stopping.'));
    }
    this.held.clear();
  }
}
