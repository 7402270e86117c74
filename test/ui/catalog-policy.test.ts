// The dashboard's catalog view, fed by a real gateway's events: every tool carries its description,
// schema and approval policy, and a guarded tool says so in its row and its detail (issue 10: "the
// policy is shown … in the catalog view"). A real stdio MCP backend with a destructive tool.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { NODE } from '../server/helpers.js';
import { makeTempDir } from '../helpers/cli.js';
import { join } from 'node:path';
import { DashboardModel } from '../../src/ui/dashboard-model.js';
import { catalogView, type CatalogRow } from '../../src/ui/catalog-view.js';

const SERVER = fileURLToPath(new URL('../server/approvals/fixtures/snapshot-server.mjs', import.meta.url));
let gw: TestGateway;
const model = new DashboardModel();

beforeAll(async () => {
  const dir = makeTempDir();
  gw = await startGateway({ backends: { longhorn: { type: 'stdio', command: NODE, args: [SERVER, join(dir, 'calls.log')], approvals: { annotations: 'destructive' } } } }, { stateDir: dir });
  for (const e of gw.events) model.apply(e);
  gw.gateway.bus.onAny((e) => model.apply(e));
  await gw.ready();
  await gw.waitFor((e) => e.type === 'catalog.changed' && e.kind === 'tools');
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

it('shows each tool with its backend, description and policy; a guarded tool is marked', () => {
  const rows = catalogView.items(model.snapshot()) as readonly CatalogRow[];
  const row = (name: string) => rows.find((r) => r.type === 'entry' && r.entry.name === name)!;
  const del = row('longhorn_delete_snapshot');
  const list = row('longhorn_list_snapshots');
  expect(catalogView.cell(del, 'backend')).toBe('longhorn');
  expect(catalogView.cell(del, 'info')).toMatch(/^\[guarded\] /);
  expect(catalogView.cell(list, 'info')).not.toMatch(/guarded/);
  const detail = catalogView.detail(del).map((l) => l.text).join('\n');
  expect(detail).toMatch(/Policy\n {2}guarded: /);
  expect(detail).toContain('"volume"');
  expect(catalogView.detail(list).map((l) => l.text).join('\n')).not.toContain('guarded:');
});
