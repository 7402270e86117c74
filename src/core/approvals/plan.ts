import { createHash } from 'node:crypto';
import { redact } from '../log/redact.js';

export type PlanState = 'pending' | 'approved' | 'denied' | 'expired' | 'executing' | 'done' | 'failed';

/** Who asked for a plan: what the identity step knew, never a credential. */
export interface Requester {
  client: string;
  subject?: string;
  via: string;
}

/** A guarded call, stored instead of forwarded. Arguments are exact; only the id is needed to apply it. */
export interface Plan {
  id: string;
  backend: string;
  /** The backend's own tool name (what is called on apply). */
  tool: string;
  /** The name the agent called (for people reading the plan). */
  exposedName: string;
  arguments: Record<string, unknown>;
  digest: string;
  requester: Requester;
  createdAt: string;
  expiresAt: string;
  state: PlanState;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
  /** The backend's result (done) or error (failed), stored so a second apply returns it. */
  outcome?: unknown;
}

/** The digest binds backend, tool and arguments: any change to one of them is a different plan. */
export function planDigest(backend: string, tool: string, args: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonicalJson({ backend, tool, arguments: args })).digest('hex')}`;
}

/** JSON with object keys sorted at every level, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** One line a person can read: what will be sent where. Credential-looking values are redacted. */
export function planSummary(plan: Pick<Plan, 'backend' | 'tool' | 'arguments'>): string {
  const args = JSON.stringify(redact(plan.arguments));
  const shown = args.length > 300 ? `${args.slice(0, 297)}...` : args;
  return `call ${plan.tool} on backend "${plan.backend}" with ${shown}`;
}

/** True when the approver is the identity that asked (by subject, else by client name). */
export function isSelfApproval(requester: Requester, approver: string): boolean {
  return approver === requester.client || (requester.subject !== undefined && approver === requester.subject);
}
