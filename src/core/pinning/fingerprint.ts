import { createHash } from 'node:crypto';
import { unifiedDiff } from '../clients/diff.js';

/** The parts of a tool that decide what calling it does: a change to any of them can turn a read into a write. */
export const PINNED_FIELDS = ['description', 'inputSchema', 'outputSchema', 'annotations'] as const;
export type PinnedField = (typeof PINNED_FIELDS)[number];

/** What is remembered of a tool: its name and the pinned fields, exactly as the backend sent them. */
export interface PinnedTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}

export function pinnedView(tool: { name: string; [k: string]: unknown }): PinnedTool {
  const out: PinnedTool = { name: tool.name };
  for (const f of PINNED_FIELDS) if (tool[f] !== undefined) (out as unknown as Record<string, unknown>)[f] = tool[f];
  return out;
}

/** Canonical JSON: object keys sorted at every level, so key order never changes a fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function toolFingerprint(tool: PinnedTool): string {
  return `sha256:${createHash('sha256').update(canonicalJson(pinnedView(tool as never))).digest('hex')}`;
}

/** Which pinned fields differ between two versions of a tool. */
export function changedFields(before: PinnedTool, after: PinnedTool): PinnedField[] {
  return PINNED_FIELDS.filter((f) => canonicalJson(before[f]) !== canonicalJson(after[f]));
}

/** A unified diff of the two versions, pretty-printed with sorted keys. */
export function toolDiff(before: PinnedTool | undefined, after: PinnedTool, label: string): string {
  const show = (t: PinnedTool | undefined) => (t ? `${JSON.stringify(JSON.parse(canonicalJson(t)), null, 2)}\n` : '');
  return unifiedDiff(show(before), show(after), label);
}
