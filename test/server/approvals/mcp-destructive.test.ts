// Guarded writes for an MCP backend selected by annotations: a real stdio MCP server with a
// destructive tool (it logs every real call to a file), clients of both eras through the gateway.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, closeAllClients, connectClient, textOf } from '../helpers.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

const SERVER = fileURLToPath(new URL('./fixtures/snapshot-server.mjs', import.meta.url));
const dir = makeTempDir();
const callsFile = join(dir, 'calls.log');
let gw: TestGateway;

const calls = () => (existsSync(callsFile) ? readFileSync(callsFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) : []);

beforeAll(async () => {
  gw = await startGateway(
    { backends: { longhorn: { type: 'stdio', command: NODE, args: [SERVER, callsFile], approvals: { annotations: 'destructive' } } } },
    { stateDir: dir },
  );
  await gw.ready();
  expect(gw.gateway.upstreams[0]!.state, gw.gateway.upstreams[0]!.lastError).toBe('ready');
});

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
});

describe.each(['http-legacy', 'http-modern'] as const)('%s client, MCP backend with annotations: destructive', (mode) => {
  it('plans the destructive call, reads pass, and the approved plan runs once with the planned arguments', async () => {
    const tc = await connectClient(mode, { url: gw.url }, { name: `agent-${mode}` });
    const { tools } = await tc.client.listTools();
    expect(tools.find((t) => t.name === 'longhorn_delete_snapshot')!.description).toMatch(/Guarded/);
    expect(tools.find((t) => t.name === 'longhorn_list_snapshots')!.description).not.toMatch(/Guarded/);
    expect(textOf(await tc.client.callTool({ name: 'longhorn_list_snapshots', arguments: {} }))).toBe('["s1","s2"]');

    const before = calls().length;
    const r = await tc.client.callTool({ name: 'longhorn_delete_snapshot', arguments: { volume: 'pvc-1', snapshot: mode } });
    const id = (r._meta as Record<string, { id: string }>)['gatehouse/plan']!.id;
    expect(textOf(r)).toMatch(/Not executed/);
    expect(calls()).toHaveLength(before);

    const ok = await runCli(['approvals', 'approve', id, '--yes'], { configDir: dir });
    expect(ok.code, ok.stderr).toBe(0);
    const applied = await tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } });
    expect(textOf(applied)).toBe(`deleted pvc-1/${mode}`);
    expect(calls().slice(before)).toEqual([{ volume: 'pvc-1', snapshot: mode }]);
    expect(textOf(await tc.client.callTool({ name: 'gatehouse_apply_plan', arguments: { planId: id } }))).toBe(`deleted pvc-1/${mode}`);
    expect(calls()).toHaveLength(before + 1);
  });
});
