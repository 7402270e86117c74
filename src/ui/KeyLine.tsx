import { Box, Text } from 'ink';
import { VIEWS, type ViewName } from './views.js';

export type Mode = 'overview' | 'list' | 'detail' | 'filter' | 'help';

const HINTS: Record<Mode, Array<[string, string]>> = {
  overview: [
    ['↑↓/jk', 'move'],
    ['⏎', 'open'],
    ['b/c', 'focus'],
    ['End', 'follow'],
    ['1-7', 'views'],
    ['?', 'help'],
    ['q', 'quit'],
  ],
  list: [
    ['↑↓/jk', 'move'],
    ['⏎', 'open'],
    ['/', 'filter'],
    ['Esc', 'clear'],
    ['1-7', 'views'],
    ['?', 'help'],
    ['q', 'quit'],
  ],
  detail: [
    ['↑↓/jk', 'scroll'],
    ['PgUp/PgDn', 'page'],
    ['Esc', 'back'],
    ['1-7', 'views'],
    ['?', 'help'],
    ['q', 'quit'],
  ],
  filter: [
    ['type', 'to filter'],
    ['⏎', 'keep'],
    ['Esc', 'clear'],
    ['field:value', 'one field'],
  ],
  help: [
    ['Esc/?', 'close help'],
    ['q', 'quit'],
  ],
};

/** The view tabs, the current one highlighted. */
export function Tabs({ view }: { view: ViewName }) {
  return (
    <Text wrap="truncate-end">
      {VIEWS.map((v, i) => (
        <Text key={v.name}>
          {i > 0 ? '  ' : ''}
          <Text bold={v.name === view} inverse={v.name === view} color={v.name === view ? 'cyan' : undefined} dimColor={v.name !== view}>
            {`${v.key} ${v.label}`}
          </Text>
        </Text>
      ))}
    </Text>
  );
}

/** Always the last line: what the keys do right now. */
export function KeyLine({ mode }: { mode: Mode }) {
  return (
    <Text wrap="truncate-end">
      {HINTS[mode].map(([k, label], i) => (
        <Text key={k}>
          {i > 0 ? '  ' : ''}
          <Text bold>{k}</Text>
          <Text dimColor>{` ${label}`}</Text>
        </Text>
      ))}
    </Text>
  );
}

const HELP: Array<[string, string]> = [
  ['1 … 7, h/l, ←/→', 'switch view: overview, backends, catalog, calls, sessions, errors, approvals'],
  ['↑/↓, j/k', 'move the selection (in a detail: scroll)'],
  ['PgUp/PgDn, g/G, Home/End', 'page, first, last; End resumes following new calls'],
  ['Enter', 'open the selected item (in an error: open its call)'],
  ['Esc, Backspace', 'close the detail; clear the filter; follow again'],
  ['/', 'filter the list: words match any column, field:value one (outcome:error)'],
  ['b, c, Tab', 'overview: focus backends or calls'],
  ['a, d', 'approvals: approve or deny the selected plan (asks y/n; deny takes a reason)'],
  ['A', 'catalog: accept the selected held tool’s change (pinning; asks y/n)'],
  ['?', 'this help'],
  ['q, Ctrl-C', 'quit (drains in-flight calls first; twice forces)'],
];

export function HelpScreen({ width, height }: { width: number; height: number }) {
  const keyWidth = Math.min(26, Math.max(...HELP.map(([k]) => k.length)));
  const lines = HELP.slice(0, Math.max(0, height - 2));
  return (
    <Box flexDirection="column" width={width}>
      <Text bold color="cyan">
        ▸ Keys
      </Text>
      {lines.map(([k, what]) => (
        <Text key={k} wrap="truncate-end">
          <Text bold>{`  ${k.padEnd(keyWidth)}`}</Text>
          <Text>{`  ${what}`}</Text>
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        {'  Colour follows the terminal; NO_COLOR turns it off.'}
      </Text>
      {Array.from({ length: Math.max(0, height - lines.length - 2) }, (_, i) => (
        <Text key={`pad-${i}`}> </Text>
      ))}
    </Box>
  );
}
