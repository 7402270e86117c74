import { readRunState } from '../config/run-state.js';
import { ExitCode, UserError } from '../errors.js';
import { APPROVALS_PATH, type ApprovalDecisionResponse, type ApprovalsListResponse, type PlanView } from './approvals.js';
import type { AdminStatus } from './contract.js';
import type { PinAcceptResponse, PinChange, PinsResponse } from './pins.js';

/** Where a gateway's admin API is and the token it takes. */
export interface AdminTarget {
  /** The MCP endpoint, for display. */
  url: string;
  /** Base of the admin routes, e.g. http://127.0.0.1:7420/admin. */
  adminUrl: string;
  token: string;
}

function base(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/(mcp|admin)$/, '');
}

/**
 * The gateway to attach to: with a token, the one at `url` (any host: a tunnel or port-forward to a
 * remote gateway's loopback admin API); without one, a gateway recorded in this config dir's run
 * records (the one at `url` when given), whose token the record holds.
 */
export async function resolveAdminTarget(dir: string, opts: { url?: string; token?: string } = {}): Promise<AdminTarget> {
  if (opts.token !== undefined) {
    if (!opts.token.trim()) throw new UserError('--token is empty.', { code: 'bad_token', hint: 'Pass the gateway’s admin token (its run record `run/gateway-<pid>.json` holds it), or leave --token out for a gateway on this machine.' });
    const url = opts.url ?? (await readRunState(dir)).url;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UserError(`--url "${url}" is not a URL.`, { code: 'bad_url', hint: 'For example --url http://127.0.0.1:7420/mcp.' });
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UserError(`--url "${url}" is not http(s).`, { code: 'bad_url', hint: 'For example --url http://127.0.0.1:7420/mcp.' });
    const b = base(parsed.toString());
    return { url: `${b}/mcp`, adminUrl: `${b}/admin`, token: opts.token };
  }
  const state = await readRunState(dir, opts.url);
  return { url: state.url, adminUrl: state.adminUrl, token: state.adminToken };
}

/** A refusal from the admin API, with its code (e.g. self_approval, not_pending) and status. */
export class AdminRefusal extends UserError {
  constructor(
    message: string,
    readonly status: number,
    code: string,
    hint?: string,
  ) {
    super(message, { code, exit: status === 401 || status === 403 ? ExitCode.auth : ExitCode.failure, ...(hint ? { hint } : {}) });
  }
}

/** The admin routes a dashboard needs, over HTTP, with the admin token; never logs the token. */
export class AdminClient {
  constructor(private current: AdminTarget) {}

  get target(): AdminTarget {
    return this.current;
  }

  /** A restarted local gateway has a new admin token (and maybe port); follow its run record. */
  retarget(target: AdminTarget): void {
    this.current = target;
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.target.token}` };
  }

  status(signal?: AbortSignal): Promise<AdminStatus> {
    return this.request<AdminStatus>('GET', '/status', undefined, signal);
  }

  async approvals(signal?: AbortSignal): Promise<PlanView[]> {
    return (await this.request<ApprovalsListResponse>('GET', APPROVALS_PATH, undefined, signal)).plans;
  }

  async decide(id: string, verdict: 'approve' | 'deny', approver: string, reason?: string): Promise<PlanView> {
    const body = { approver, ...(reason ? { reason } : {}) };
    return (await this.request<ApprovalDecisionResponse>('POST', `${APPROVALS_PATH}/${encodeURIComponent(id)}/${verdict}`, body)).plan;
  }

  async pins(signal?: AbortSignal): Promise<PinChange[]> {
    return (await this.request<PinsResponse>('GET', '/pins', undefined, signal)).held;
  }

  /** Accepts one held tool's current version (both given: never every held tool at once). */
  async acceptPin(by: string, backend: string, tool: string): Promise<PinChange[]> {
    const q = new URLSearchParams({ by, backend, tool });
    return (await this.request<PinAcceptResponse>('POST', `/pins/accept?${q}`)).accepted;
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.target.adminUrl}${path}`, {
        method,
        headers: { ...this.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new UserError(`The gateway at ${this.target.url} does not answer.`, { code: 'gateway_not_running', hint: 'Is `gatehouse serve` running there?' });
    }
    const out = (await res.json().catch(() => ({}))) as { error?: string; message?: string; hint?: string };
    if (!res.ok) {
      const hint = res.status === 401 ? 'The admin token is missing or wrong: pass the one in the gateway’s run record with --token.' : out.hint;
      throw new AdminRefusal(out.message ?? `The gateway answered ${res.status} to ${method} ${path}.`, res.status, out.error ?? 'admin_failed', hint);
    }
    return out as T;
  }
}
