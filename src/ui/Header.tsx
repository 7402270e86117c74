import { Box } from 'ink';
import { formatCount, formatUptime } from './format.js';
import { bannerFor, callBreakdown, linkText } from './header-model.js';
import type { DashboardSnapshot, GatewayPhase } from './snapshot.js';
import { StyledLine, type Segment } from './StyledLine.js';
import type { Colour } from './format.js';

const PHASE_COLOUR: Record<GatewayPhase, Colour> = { starting: 'yellow', listening: 'green', stopping: 'yellow', stopped: 'red' };

export function headerRows(snap: DashboardSnapshot, now: number): number {
  return bannerFor(snap, now) ? 3 : 2;
}

export function Header({ snap, endpoint, now, width }: { snap: DashboardSnapshot; endpoint?: string; now: number; width: number }) {
  const { total, parts } = callBreakdown(snap.totals, snap.inFlight);
  const banner = bannerFor(snap, now);
  const catalog = [
    snap.catalog.tools === undefined ? undefined : `${snap.catalog.tools} tools`,
    snap.catalog.resources === undefined ? undefined : `${snap.catalog.resources} resources`,
    snap.catalog.resourceTemplates ? `${snap.catalog.resourceTemplates} templates` : undefined,
    snap.catalog.prompts === undefined ? undefined : `${snap.catalog.prompts} prompts`,
  ].filter(Boolean);
  const link = linkText(snap.link, now);
  const pending = snap.approvals.filter((p) => p.state === 'pending').length;
  const first: Segment[] = [
    { text: 'Gatehouse', colour: 'cyan', bold: true },
    { text: '  ' },
    { text: endpoint ?? 'starting…', bold: true },
    { text: `  ● ${snap.phase}${snap.phase === 'stopping' && snap.stopReason ? ` (${snap.stopReason})` : ''}`, colour: PHASE_COLOUR[snap.phase] },
    { text: `  up ${formatUptime(now - snap.startedAt)}`, colour: 'dim' },
  ];
  if (snap.transports.length > 0) first.push({ text: `  ${snap.transports.join(' · ')}`, colour: 'dim' });
  if (link) first.push({ text: `  ${link.text}`, colour: link.colour });
  const second: Segment[] = [{ text: `calls ${formatCount(total)}: `, colour: 'dim' }];
  parts.forEach((p, i) => second.push({ text: `${i > 0 ? ' · ' : ''}${p.label} ${formatCount(p.n)}`, colour: p.colour ?? 'dim' }));
  second.push({ text: ['', `sessions ${snap.sessions.open}`, ...catalog].join('  ·  '), colour: 'dim' });
  if (snap.tasks.running > 0) second.push({ text: `  ·  ${tasksText(snap.tasks)}`, colour: 'cyan' });
  if (pending > 0) second.push({ text: `  ·  ${pending} pending approval${pending === 1 ? '' : 's'} (7)`, colour: 'yellow' });
  // Both lines change on every frame (uptime, counts): StyledLine keeps Ink from measuring them.
  return (
    <Box flexDirection="column">
      <StyledLine segments={first} width={width} />
      <StyledLine segments={second} width={width} />
      {banner ? <StyledLine segments={[{ text: banner.text, colour: banner.colour }]} width={width} /> : null}
    </Box>
  );
}

/** "2 tasks running (work_job, work_sync)": the count, and the tools while few enough to read. */
export function tasksText(t: DashboardSnapshot['tasks']): string {
  const tools = t.tools.length <= 3 ? ` (${t.tools.join(', ')})` : ` (${t.tools.length} tools)`;
  return `${t.running} task${t.running === 1 ? '' : 's'} running${tools}`;
}
