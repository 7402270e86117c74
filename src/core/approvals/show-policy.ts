import { callAdmin } from '../admin/client.js';
import type { BackendConfig } from '../config/schema.js';
import { describeConstraints, policyRules, toolPolicies, type ToolPolicy } from './visibility.js';

/** What `backends show` says about a backend's approval policy. */
export interface BackendPolicy {
  /** `config`: computed from the REST tools; `gateway`: as the running gateway applies it; `rules`: tool list unknown. */
  source: 'config' | 'gateway' | 'rules';
  /** Backend-wide rules in words (approval default, selectors, overrides, constraints). */
  rules: string[];
  tools?: ToolPolicy[];
  note?: string;
}

/**
 * A REST backend's tools are known from its config, so their policy is computed here. An MCP
 * backend's tools (and their annotations) are known only once listed, so the running gateway is
 * asked; without one, the rules are all there is to show.
 */
export async function describeBackendPolicy(
  dir: string,
  name: string,
  config: BackendConfig,
  restTools?: ReadonlyArray<{ name: string; access: 'read' | 'write' }>,
): Promise<BackendPolicy> {
  const rules = policyRules(config);
  if (config.type === 'rest' && restTools) {
    const annotated = restTools.map((t) => ({ name: t.name, annotations: t.access === 'read' ? { readOnlyHint: true, destructiveHint: false } : { readOnlyHint: false, destructiveHint: true } }));
    return { source: 'config', rules, tools: toolPolicies(config, annotated) };
  }
  try {
    const status = await callAdmin(dir, 'GET /status');
    const b = status.backends.find((x) => x.name === name);
    if (b?.policy) return { source: 'gateway', rules, tools: b.policy };
    return { source: 'rules', rules, note: b ? 'The running gateway does not report tool policies (an older version).' : 'The running gateway does not serve this backend yet.' };
  } catch {
    return { source: 'rules', rules, note: "Each tool's policy shows once a gateway lists the backend's tools (`gatehouse serve`)." };
  }
}

/** The text `backends show` prints for a policy. */
export function renderPolicy(p: BackendPolicy): string {
  const out = ['approval policy:', ...p.rules.map((r) => `  ${r}`)];
  if (p.tools) {
    out.push(p.source === 'gateway' ? 'tools (as the running gateway applies it):' : 'tools:');
    for (const t of p.tools) {
      const c = t.constraints ? `; constraints: ${describeConstraints(t.constraints)}` : '';
      out.push(`  ${t.tool}: ${t.guarded ? 'guarded' : 'not guarded'} (${t.reason})${c}`);
    }
  }
  if (p.note) out.push(`  ${p.note}`);
  return out.join('\n');
}
