import type { StatusReport } from '../admin/status-report.js';
import { duration, plural, table } from './format.js';

const MARK = { healthy: '✓', degraded: '!', down: '✗' } as const;

/** The one screen of `gatehouse status`. */
export function renderStatus(r: StatusReport): string[] {
  if (r.gateways.length === 0) return ['✗ No gateway is running.', ...(r.hint ? [`  ${r.hint}`] : [])];
  const out: string[] = [];
  for (const g of r.gateways) {
    if (out.length) out.push('');
    out.push(`${MARK[g.health]} ${g.health} · ${g.url} · pid ${g.pid} · up ${duration(g.uptimeSeconds)}`);
    if (g.health === 'down') {
      for (const p of g.problems) out.push(`  ${p}`);
      continue;
    }
    const c = g.calls;
    const calls = c ? `${plural(c.total, 'call')} (${c.outcomes.ok} ok, ${c.failed} failed${c.outcomes.cancelled ? `, ${c.outcomes.cancelled} cancelled` : ''})` : 'calls unknown';
    const pending = g.pendingApprovals === undefined ? 'approvals unknown' : `${g.pendingApprovals.length} pending approval${g.pendingApprovals.length === 1 ? '' : 's'}`;
    out.push(`  ${plural(g.sessions ?? 0, 'session')} · ${g.inFlight ?? 0} in flight · ${plural(g.tools ?? 0, 'tool')} · ${calls} · ${pending}`);
    if (g.backends.length === 0) out.push('  no backends');
    else {
      out.push('  backends');
      out.push(...table(g.backends.map((b) => [b.name, b.type, b.state, plural(b.tools, 'tool'), b.reason ? firstLine(b.reason) : '']), '    '));
    }
    if (c?.lastFailure) {
      const f = c.lastFailure;
      out.push(`  last error  ${f.at} ${f.name ?? f.method}${f.backend ? ` (${f.backend})` : ''} ${f.outcome}${f.error ? `: ${firstLine(f.error)}` : ''}`);
    }
    for (const p of g.pendingApprovals ?? []) out.push(`  pending     ${p.id} ${p.tool} by ${p.requestedBy}, expires ${p.expiresAt}  (gatehouse approvals show ${p.id})`);
    if (g.config && !g.config.ok) out.push(`  config      not applied: ${firstLine(g.config.error.message)}`);
  }
  return out;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0]!;
  return line.length > 160 ? `${line.slice(0, 159)}…` : line;
}
