import { Box, Text } from 'ink';
import { backendDetailText, backendsView } from './backends-view.js';
import { callsView } from './calls-view.js';
import { formatBytes, formatDuration, outcomeColour } from './format.js';
import { listWindow, type ListNav, type VisibleList } from './list-nav.js';
import { ListScreen } from './ListScreen.js';
import type { BackendView, CallView } from './snapshot.js';
import { StyledLine, type Segment } from './StyledLine.js';

export type OverviewFocus = 'backends' | 'calls';

const PANEL_CHROME = 2; // title + column header

export interface OverviewLayout {
  backends: number;
  calls: number;
  /** One summary line under each panel. */
  details: boolean;
}

/** Splits the body between the two panels; exported so tests check the maths. */
export function overviewLayout(bodyRows: number, backendCount: number): OverviewLayout {
  const details = bodyRows >= 12;
  const chrome = 2 * (PANEL_CHROME + (details ? 1 : 0));
  const avail = Math.max(2, bodyRows - chrome);
  const backends = Math.max(1, Math.min(Math.max(1, backendCount), Math.ceil(avail * 0.4)));
  return { backends, calls: Math.max(1, avail - backends), details };
}

export interface OverviewProps {
  backends: VisibleList;
  calls: VisibleList;
  backendsNav: ListNav;
  callsNav: ListNav;
  focus: OverviewFocus;
  layout: OverviewLayout;
  width: number;
  now: number;
}

/** Today's screen: backends over recent calls, each with a line about its selection. */
export function Overview({ backends, calls, backendsNav, callsNav, focus, layout, width, now }: OverviewProps) {
  const b = backends.items as readonly BackendView[];
  const selectedBackend = b[listWindow(backends, layout.backends, backendsNav).selected];
  // Unfocused, the line speaks for a backend in trouble, since that is what needs reading.
  const shownBackend = focus === 'backends' ? selectedBackend : (b.find((x) => x.state === 'failed' || x.state === 'degraded') ?? selectedBackend);
  const selectedCall = (calls.items as readonly CallView[])[listWindow(calls, layout.calls, callsNav).selected];
  return (
    <Box flexDirection="column" width={width}>
      <ListScreen spec={backendsView} list={backends} nav={backendsNav} width={width} height={layout.backends} now={now} focused={focus === 'backends'} />
      {layout.details ? <BackendLine backend={shownBackend} now={now} width={width} /> : null}
      <ListScreen spec={callsView} title="Recent calls" list={calls} nav={callsNav} width={width} height={layout.calls} now={now} focused={focus === 'calls'} />
      {layout.details ? <CallLine call={selectedCall} now={now} width={width} /> : null}
    </Box>
  );
}

// Both lines follow the selection and the clock, so they change on most frames: StyledLine.
function BackendLine({ backend, now, width }: { backend?: BackendView; now: number; width: number }) {
  if (!backend) return <Text> </Text>;
  const bits: string[] = [backend.name];
  if (backend.serverName) bits.push(`${backend.serverName}${backend.serverVersion ? ` ${backend.serverVersion}` : ''}`);
  if (backend.protocolVersion) bits.push(`protocol ${backend.protocolVersion}`);
  const why = backendDetailText(backend, now);
  if (why && !bits.includes(why)) bits.push(why);
  const stderr = backend.stderrTail[backend.stderrTail.length - 1];
  if (stderr) bits.push(`stderr: ${stderr}`);
  return <StyledLine segments={[{ text: `  ${bits.join(' · ')}  (⏎ details)`, colour: 'dim' }]} width={width} />;
}

function CallLine({ call, now, width }: { call?: CallView; now: number; width: number }) {
  if (!call) return <Text> </Text>;
  const bits = [`#${call.callId}`, call.client];
  if (call.sessionId) bits.push(`session ${call.sessionId}`);
  if (call.backend) bits.push(`via ${call.backend}`);
  bits.push(`req ${formatBytes(call.requestBytes)}`);
  if (call.outcome === undefined) bits.push(`running ${formatDuration(Math.max(0, now - call.startedAt))}`);
  else bits.push(`resp ${formatBytes(call.responseBytes)}`);
  const firstLine = call.error?.split('\n')[0];
  const segments: Segment[] = [{ text: `  ${bits.join(' · ')}`, colour: 'dim' }];
  if (firstLine) segments.push({ text: ` · ${firstLine}`, colour: outcomeColour(call.outcome) });
  segments.push({ text: '  (⏎ details)', colour: 'dim' });
  return <StyledLine segments={segments} width={width} />;
}
