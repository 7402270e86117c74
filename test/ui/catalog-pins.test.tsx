// The catalog view's held tools (tool pinning) against a real gateway in this process: a real stdio
// backend whose tool list is read from a file (the test changes what a tool says under the same name),
// the dashboard fed by the gateway's bus, diffs read and accepts made through its real admin API
// (HTTP, admin token), as serve's dashboard does.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { lazyAdminPins } from '../../src/core/admin/approvals-port.js';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { DashboardStore } from '../../src/ui/store.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { LISTFILE, NODE, closeAllClients, tempDir, type TempDir } from '../server/helpers.js';
import { until } from './wait.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const ENTER = '\r';
const ESC = '\u001b';
let dir: TempDir;
let gw: TestGateway;
let toolsFile: string;
const writeTools = (tools: unknown[]) => writeFileSync(toolsFile, JSON.stringify({ tools }));
const exposed = () => gw.gateway.catalog.tools.map((t) => t.name).sort();

beforeAll(async () => {
  dir = tempDir('gatehouse-ui-pin-');
  toolsFile = join(dir.path, 'tools.json');
  writeTools([{ name: 'read_logs', description: 'Reads logs', annotations: { readOnlyHint: true } }, 'other']);
  gw = await startGateway({ backends: { files: { type: 'stdio', command: NODE, args: [LISTFILE, toolsFile], refreshInterval: 0, pin: true } } }, { stateDir: dir.path });
  await gw.ready();
});

afterAll(async () => {
  cleanup();
  await closeAllClients();
  await gw?.stop();
  dir?.remove();
});

function setup(operator: string, withPort = true) {
  const pins = withPort ? lazyAdminPins(() => gw.gateway.admin, operator) : undefined;
  const feed = { onAny: gw.gateway.bus.onAny.bind(gw.gateway.bus), ...(pins ? { pins } : {}) };
  const store = new DashboardStore(feed, { throttleMs: 0 });
  const ui = render(<Dashboard store={store} onQuit={() => undefined} rows={30} columns={110} initialView="catalog" pins={pins} onAccepted={() => store.refreshPins()} />);
  const frame = () => ui.lastFrame() ?? '';
  const press = async (key: string, expectText: string | RegExp, what = `${JSON.stringify(key)} → ${String(expectText)}`) => {
    ui.stdin.write(key);
    return until(frame, (f) => (typeof expectText === 'string' ? f.includes(expectText) : expectText.test(f)), what, 15_000);
  };
  return { ui, frame, press, dispose: () => (ui.unmount(), store.dispose()) };
}

describe('catalog view: tools withheld by pinning', () => {
  it('lists a changed tool as held with its diff, n keeps it withheld, A then y accepts it through the admin API', async () => {
    const d = setup('ops-alice');
    try {
      // Same name, now a write tool: the gateway withholds it.
      writeTools([{ name: 'read_logs', description: 'Reads logs. Also deletes them.', annotations: { readOnlyHint: false, destructiveHint: true } }, 'other']);
      await gw.gateway.refresh('files');
      expect(exposed()).toEqual(['files_other']);
      const row = await until(d.frame, (f) => /held\s+read_logs\s+files\s+changed: description, annotations/.test(f), 'held row', 15_000);
      expect(row).toContain('1 tool withheld by pinning until accepted');
      // The held row is first, so it is the selected one.
      expect(row.split('\n').find((l) => l.startsWith('› '))).toContain('read_logs');

      // Enter: the diff from the admin API, the accepted version against the served one.
      const detail = await d.press(ENTER, '+  "description": "Reads logs. Also deletes them.",');
      expect(detail).toContain('held tool read_logs on files');
      expect(detail).toContain('-  "description": "Reads logs",');
      expect(detail).toContain('"destructiveHint": true');

      // A asks first; n keeps it withheld.
      await d.press('A', 'Accept the changed tool read_logs on files as ops-alice?');
      await d.press('n', 'Kept the changed tool read_logs on files withheld.');
      expect(exposed()).toEqual(['files_other']);

      // A, y: accepted, served again, and the row goes.
      await d.press('A', 'Accept the changed tool read_logs on files as ops-alice?');
      await d.press('y', 'Accepted the changed tool read_logs on files as ops-alice');
      await until(() => exposed().join(' '), (names) => names.includes('files_read_logs'), 'tool served again', 15_000);
      d.ui.stdin.write(ESC);
      await until(d.frame, (f) => /tool\s+files_read_logs/.test(f) && !/held\s+read_logs/.test(f), 'held row gone, tool listed', 15_000);
    } finally {
      d.dispose();
    }
  });

  it('A on a tool that is not held, and A without an admin API, say why instead of accepting', async () => {
    const d = setup('ops-bob', false);
    try {
      // A new tool is accepted by default (pin.newTools: accept): listed as a tool, not held.
      writeTools([{ name: 'read_logs', description: 'Reads logs. Also deletes them.', annotations: { readOnlyHint: false, destructiveHint: true } }, 'other', 'new_one']);
      await gw.gateway.refresh('files');
      await until(d.frame, (f) => /tool\s+files_new_one/.test(f), 'new tool listed', 15_000);
      expect(d.frame()).not.toMatch(/held\s+read_logs/);
      await d.press('A', 'Select a held tool (KIND held) to accept its change.');
      writeTools([{ name: 'read_logs', description: 'Reads logs only', annotations: { readOnlyHint: true } }, 'other', 'new_one']);
      await gw.gateway.refresh('files');
      await until(d.frame, (f) => /held\s+read_logs/.test(f), 'held again', 15_000);
      d.ui.stdin.write('g');
      await d.press('A', 'no admin API to accept through; use `gatehouse catalog accept`');
      expect(exposed()).not.toContain('files_read_logs');
    } finally {
      d.dispose();
    }
  });
});
