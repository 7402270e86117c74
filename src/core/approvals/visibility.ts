import type { BackendConfig } from '../config/schema.js';
import type { Constraints } from './constraints.js';
import { effectiveConstraints } from './effective.js';
import { guardVerdict } from './policy.js';

/** One tool's approval policy as people see it: `backends show`, the admin status, the dashboard. */
export interface ToolPolicy {
  /** The backend's own (native) tool name. */
  tool: string;
  guarded: boolean;
  /** Why, in the words the tool's description and the plan use. */
  reason: string;
  /** The argument constraints the gateway enforces (template defaults narrowed by the backend's). */
  constraints?: Constraints;
}

/** The policy of each listed tool of a backend, from its config and what the tools declare. */
export function toolPolicies(config: BackendConfig, tools: ReadonlyArray<{ name: string; annotations?: Record<string, unknown> }>): ToolPolicy[] {
  const constraints = effectiveConstraints(config);
  return tools.map((t) => {
    const v = guardVerdict(config, { name: t.name, annotations: t.annotations });
    const c = constraints?.[t.name];
    return { tool: t.name, guarded: v.guarded, reason: v.reason, ...(c ? { constraints: c } : {}) };
  });
}

/** The backend-wide rules in words, for when its tool list is not known (an MCP backend, no gateway running). */
export function policyRules(config: BackendConfig): string[] {
  const out: string[] = [];
  if (config.approval) out.push(`approval: ${config.approval}`);
  if (config.approvals?.tools?.length) out.push(`guarded by name: ${config.approvals.tools.join(', ')}`);
  if (config.approvals?.annotations && config.approvals.annotations !== 'none') out.push(`guarded by annotation: ${config.approvals.annotations}`);
  for (const [tool, mode] of Object.entries(config.toolApprovals ?? {})) out.push(`${tool}: ${mode === 'required' ? 'guarded' : 'not guarded'} (toolApprovals)`);
  if (!out.length) out.push(config.type === 'rest' ? 'REST writes are guarded (the default)' : 'no tool is guarded (MCP tools are guarded only when the backend asks for it)');
  for (const [tool, c] of Object.entries(effectiveConstraints(config) ?? {})) out.push(`${tool} constraints: ${describeConstraints(c)}`);
  return out;
}

/** `namespace {"enum":["shop"]}, replicas {"minimum":0,"maximum":5}` */
export function describeConstraints(c: Constraints): string {
  return Object.entries(c)
    .map(([arg, fragment]) => `${arg} ${JSON.stringify(fragment)}`)
    .join(', ');
}
