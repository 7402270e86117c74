import type { BackendConfig } from '../config/schema.js';

/** What the approval policy says about one native tool of one backend. */
export interface GuardVerdict {
  guarded: boolean;
  /** Why, in words shown in the tool's description and in `approvals show`. */
  reason: string;
}

interface ToolFacts {
  name: string;
  annotations?: Record<string, unknown>;
}

/**
 * Decides whether calls to a tool need an approved plan. Most specific first: a per-tool override,
 * then the backend's selectors (globs, annotations), then its default, then the built-in default
 * (REST writes are guarded; a REST tool is a write when it is not marked readOnlyHint).
 */
export function guardVerdict(config: BackendConfig, tool: ToolFacts): GuardVerdict {
  const override = config.toolApprovals?.[tool.name];
  if (override) return { guarded: override === 'required', reason: `toolApprovals.${tool.name} is ${override}` };
  const sel = config.approvals;
  const hasSelectors = Boolean(sel?.tools?.length || (sel?.annotations && sel.annotations !== 'none'));
  if (config.approval === 'none') return { guarded: false, reason: 'the backend sets approval: none' };
  if (hasSelectors) {
    const glob = sel!.tools?.find((g) => globMatch(g, tool.name));
    if (glob) return { guarded: true, reason: `it matches approvals.tools "${glob}"` };
    const a = tool.annotations ?? {};
    if (sel!.annotations === 'destructive' && a.destructiveHint === true) return { guarded: true, reason: 'it is marked destructive (approvals.annotations: destructive)' };
    if (sel!.annotations === 'write' && a.readOnlyHint !== true) return { guarded: true, reason: 'it is not marked read-only (approvals.annotations: write)' };
    return { guarded: false, reason: 'no approvals selector matches it' };
  }
  if (config.approval === 'required') return { guarded: true, reason: 'the backend sets approval: required' };
  if (config.type === 'rest' && tool.annotations?.readOnlyHint !== true) return { guarded: true, reason: 'it is a REST write (guarded by default)' };
  return { guarded: false, reason: 'no approval policy applies' };
}

/** `*` matches any run of characters, `?` one; everything else is literal. */
export function globMatch(glob: string, name: string): boolean {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(name);
}

/** The note a guarded tool's description carries, so an agent knows before it calls. */
export function guardedNote(applyTool: string): string {
  return `[Guarded: a call creates a plan that a person must approve out of band; then call ${applyTool} with its planId.]`;
}
