// The approvals view and its keys against a real gateway in this process: plans are made by a real
// MCP client calling a destructive tool of a real stdio backend, the dashboard is fed by the
// gateway's bus and decides through its real admin API (HTTP, admin token), as serve's dashboard does.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { lazyAdminApprovals } from '../../src/core/admin/approvals-port.js';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { DashboardStore } from '../../src/ui/store.js';
import { makeTempDir } from '../helpers/cli.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { NODE, closeAllClients, connectClient, type TestClient } from '../server/helpers.js';
import { until } from './wait.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SERVER = fileURLToPath(new URL('../server/approvals/fixtures/snapshot-server.mjs', import.meta.url));
const ENTER = '\r';
const ESC = '\u001b';
const dir = makeTempDir();
let gw: TestGateway;
let agent: TestClient;

beforeAll(async () => {
  gw = await startGateway({ backends: { longhorn: { type: 'stdio', command: NODE, args: [SERVER, `${dir}/calls.log`], approvals: { annotations: 'destructive' } } } }, { stateDir: dir });
  await gw.ready();
  agent = await connectClient('http-legacy', { url: gw.url }, { name: 'agent-007' });
});

afterAll(async () => {
  cleanup();
  await closeAllClients();
  await gw?.stop();
});

async function plan(snapshot: string): Promise<string> {
  const r = await agent.client.callTool({ name: 'longhorn_delete_snapshot', arguments: { volume: 'pvc-1', snapshot } });
  return (r._meta as Record<string, { id: string }>)['gatehouse/plan']!.id;
}

function setup(operator: string) {
  const feed = { onAny: gw.gateway.bus.onAny.bind(gw.gateway.bus), approvals: lazyAdminApprovals(() => gw.gateway.admin, operator) };
  const store = new DashboardStore(feed, { throttleMs: 0, approvalsPollMs: 60_000 });
  const ui = render(<Dashboard store={store} onQuit={() => undefined} rows={30} columns={110} initialView="approvals" approvals={feed.approvals} onDecided={() => store.refreshPlans()} />);
  const frame = () => ui.lastFrame() ?? '';
  const press = async (key: string, expectText: string | RegExp, what = `${JSON.stringify(key)} → ${String(expectText)}`) => {
    ui.stdin.write(key);
    return until(frame, (f) => (typeof expectText === 'string' ? f.includes(expectText) : expectText.test(f)), what, 15_000);
  };
  return { store, ui, frame, press, dispose: () => (ui.unmount(), store.dispose()) };
}

/** Moves the selection onto the row of `id` (pending plans are listed oldest first). */
async function select(d: ReturnType<typeof setup>, id: string): Promise<void> {
  // The event shows a plan at once; the admin API's answer then fills in the exposed name and requester
  // (and lists older plans, which can move rows): wait for that before moving onto it.
  await until(d.frame, (f) => new RegExp(`${id}\\s+\\S+\\s+longhorn_delete_snapshot\\s+longhorn\\s+agent-007`).test(f), `plan ${id} listed by the admin API`, 15_000);
  const selected = () => d.frame().split('\n').find((l) => l.startsWith('› ')) ?? '';
  d.ui.stdin.write('g');
  // g took effect when the first row under the column header is the selected one.
  await until(d.frame, (f) => { const lines = f.split('\n'); const h = lines.findIndex((l) => l.includes('PLAN  ')); return h >= 0 && (lines[h + 1] ?? '').startsWith('› '); }, 'first row selected', 5_000);
  for (let i = 0; i < 20 && !selected().includes(id); i++) {
    const before = selected();
    d.ui.stdin.write('j');
    await until(d.frame, () => selected() !== before, 'selection moved', 5_000);
  }
  expect(selected()).toContain(id);
}

describe('approvals view', () => {
  it('lists a pending plan and opens its detail: backend, tool, redacted arguments, digest, who asked, expiry', async () => {
    const d = setup('ops-alice');
    try {
      const id = await plan('Bearer abcdefgh12345678');
      await select(d, id);
      // The event shows the plan at once; the admin API's answer then adds who asked.
      await until(d.frame, (f) => new RegExp(`${id}\\s+pending\\s+longhorn_delete_snapshot\\s+longhorn\\s+agent-007`).test(f), 'row with requester', 15_000);
      expect(d.frame()).toContain('1 pending approval');
      const f = await d.press(ENTER, `Plan ${id}`);
      const stored = (await gw.gateway.approvals.get(id))!;
      expect(f).toContain('Backend    longhorn');
      expect(f).toContain('Tool       delete_snapshot');
      expect(f).toContain(`Digest     ${stored.digest}`);
      expect(f).toMatch(/Asked by   agent-007/);
      expect(f).toMatch(/Expires    \d\d:\d\d:\d\d/);
      expect(f).toContain('"volume": "pvc-1"');
      expect(f).toContain('[REDACTED]');
      expect(f).not.toContain('abcdefgh12345678');
      await d.press(ESC, '▸ Approvals');
    } finally {
      d.dispose();
    }
  });

  it('a asks first: n cancels (still pending), y approves through the admin API as the operator', async () => {
    const d = setup('ops-alice');
    try {
      const id = await plan('approve-me');
      await select(d, id);
      let f = await d.press('a', /Approve plan \S+ \(longhorn_delete_snapshot on longhorn\) as ops-alice\? y\/n/);
      expect(f).toContain(id);
      // A stray key neither approves nor leaves the question.
      f = await d.press('x', 'y/n');
      await d.press('n', `Kept plan ${id}`);
      expect((await gw.gateway.approvals.get(id))!.state).toBe('pending');
      await d.press('a', 'y/n');
      await d.press('y', `Approved plan ${id}`);
      const stored = (await gw.gateway.approvals.get(id))!;
      expect(stored.state).toBe('approved');
      expect(stored.decidedBy).toBe('ops-alice');
      f = await until(d.frame, (x) => new RegExp(`${id}\\s+approved`).test(x), 'row shows approved', 15_000);
      // A decided plan cannot be decided again, from its detail either.
      await select(d, id);
      await d.press(ENTER, `Decided    approved by ops-alice`);
      await d.press('d', `Plan ${id} is approved; only a pending plan can be denied.`);
    } finally {
      d.dispose();
    }
  });

  it('d asks, then takes an optional reason; Esc in the reason keeps the plan pending', async () => {
    const d = setup('ops-bob');
    try {
      const id = await plan('deny-me');
      await select(d, id);
      await d.press('d', /Deny plan \S+ .* as ops-bob\? y\/n/);
      await d.press('y', 'Deny reason (optional)');
      await d.press(ESC, `Kept plan ${id}`);
      expect((await gw.gateway.approvals.get(id))!.state).toBe('pending');
      await d.press('d', 'y/n');
      await d.press('y', 'Deny reason (optional)');
      d.ui.stdin.write('wrong volume');
      await until(d.frame, (f) => f.includes('wrong volume▏'), 'reason typed', 15_000);
      await d.press(ENTER, `Denied plan ${id}`);
      const stored = (await gw.gateway.approvals.get(id))!;
      expect(stored.state).toBe('denied');
      expect(stored.decidedBy).toBe('ops-bob');
      expect(stored.reason).toBe('wrong volume');
      await d.press(ENTER, `Plan ${id}`);
      await until(d.frame, (f) => f.includes('denied by ops-bob') && f.includes('wrong volume'), 'detail shows the decision', 15_000);
    } finally {
      d.dispose();
    }
  });

  it('shows a refusal (self-approval) instead of crashing, and the plan stays pending', async () => {
    const d = setup('agent-007');
    try {
      const id = await plan('self');
      await select(d, id);
      await d.press('a', 'y/n');
      const f = await d.press('y', 'Not approved:');
      expect(f).toMatch(/agent-007" asked for plan/);
      expect((await gw.gateway.approvals.get(id))!.state).toBe('pending');
      // Still alive and usable.
      await d.press('1', '▸ Recent calls');
    } finally {
      d.dispose();
    }
  });
});
