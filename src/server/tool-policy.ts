import type { AdminExposedToolPolicy } from '../core/admin/contract.js';
import { guardVerdict } from '../core/approvals/policy.js';
import type { Upstream } from './upstream/types.js';

/**
 * The policy one exposed tool is called under, in the same terms the pipeline applies it: the
 * approval guard (core/approvals/policy.ts), the constrained arguments, and the timeout order of
 * pipeline/policy.ts (tool, else backend, else gateway).
 */
export function toolPolicy(upstream: Upstream, native: string, defaultTimeoutMs: number): AdminExposedToolPolicy {
  const c = upstream.config;
  const tool = upstream.catalog().tools.find((t) => t.name === native);
  const verdict = guardVerdict(c, { name: native, annotations: tool?.annotations as Record<string, unknown> | undefined });
  const constrained = Object.keys(c.constraints?.[native] ?? {});
  const timeoutSeconds = c.toolTimeouts?.[native] ?? c.timeout ?? defaultTimeoutMs / 1000;
  return { guarded: verdict.guarded, reason: verdict.reason, ...(constrained.length ? { constrained } : {}), timeoutSeconds };
}
