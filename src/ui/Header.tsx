import { Box, Text } from 'ink';
import { formatCount, formatUptime } from './format.js';
import { bannerFor, callBreakdown, linkText } from './header-model.js';
import type { DashboardSnapshot, GatewayPhase } from './snapshot.js';

const PHASE_COLOUR: Record<GatewayPhase, string> = { starting: 'yellow', listening: 'green', stopping: 'yellow', stopped: 'red' };

export function headerRows(snap: DashboardSnapshot, now: number): number {
  return bannerFor(snap, now) ? 3 : 2;
}

export function Header({ snap, endpoint, now }: { snap: DashboardSnapshot; endpoint?: string; now: number }) {
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
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Text bold color="cyan">
          Gatehouse
        </Text>
        <Text>{'  '}</Text>
        <Text bold>{endpoint ?? 'starting…'}</Text>
        <Text color={PHASE_COLOUR[snap.phase]}>{`  ● ${snap.phase}${snap.phase === 'stopping' && snap.stopReason ? ` (${snap.stopReason})` : ''}`}</Text>
        <Text dimColor>{`  up ${formatUptime(now - snap.startedAt)}`}</Text>
        {snap.transports.length > 0 ? <Text dimColor>{`  ${snap.transports.join(' · ')}`}</Text> : null}
        {link ? <Text color={link.colour}>{`  ${link.text}`}</Text> : null}
      </Text>
      <Text wrap="truncate-end">
        <Text dimColor>{`calls ${formatCount(total)}: `}</Text>
        {parts.map((p, i) => (
          <Text key={p.label} color={p.colour} dimColor={p.colour === undefined}>
            {`${i > 0 ? ' · ' : ''}${p.label} ${formatCount(p.n)}`}
          </Text>
        ))}
        <Text dimColor>{['', `sessions ${snap.sessions.open}`, ...catalog].join('  ·  ')}</Text>
        {snap.tasks.running > 0 ? <Text color="cyan">{`  ·  ${tasksText(snap.tasks)}`}</Text> : null}
        {pending > 0 ? <Text color="yellow">{`  ·  ${pending} pending approval${pending === 1 ? '' : 's'} (7)`}</Text> : null}
      </Text>
      {banner ? (
        <Text color={banner.colour} wrap="truncate-end">
          {banner.text}
        </Text>
      ) : null}
    </Box>
  );
}

/** "2 tasks running (work_job, work_sync)": the count, and the tools while few enough to read. */
export function tasksText(t: DashboardSnapshot['tasks']): string {
  const tools = t.tools.length <= 3 ? ` (${t.tools.join(', ')})` : ` (${t.tools.length} tools)`;
  return `${t.running} task${t.running === 1 ? '' : 's'} running${tools}`;
}
