// Where people and agents see the approval policy: `gatehouse backends show` (the CLI as a user runs
// it, against the config file, and against a running gateway for an MCP backend whose tools only the
// gateway knows), the admin status contract, and tools/list. A real stdio MCP backend with a
// destructive tool and a REST backend with a write tool, behind a real gateway.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AdminStatus } from '../../../src/core/admin/contract.js';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { runStatePath } from '../../../src/core/config/run-state.js';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, closeAllClients, connectClient } from '../helpers.js';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 60_000 });

const SERVER = fileURLToPath(new URL('./fixtures/snapshot-server.mjs', import.meta.url));
const dir = makeTempDir();
let gw: TestGateway | undefined;

const config: GatehouseConfig = {
  version: 1,
  backends: {
    snap: {
      type: 'stdio',
      command: NODE,
      args: [SERVER, join(dir, 'calls.log')],
      approvals: { annotations: 'destructive' },
      constraints: { delete_snapshot: { volume: { enum: ['pvc-1'] } } },
    },
    k8s: {
      type: 'rest',
      baseUrl: 'http://127.0.0.1:9',
      allowWrites: true,
      tools: [
        { name: 'scale', method: 'POST', path: '/scale/{namespace}', body: { replicas: '{replicas}' }, inputSchema: { type: 'object', properties: { namespace: { type: 'string' }, replicas: { type: 'integer' } } } },
        { name: 'status', method: 'GET', path: '/status' },
        { name: 'flush', method: 'DELETE', path: '/cache' },
      ],
      toolApprovals: { flush: 'none' },
      constraints: { scale: { namespace: { enum: ['demo'] } } },
    },
  },
} as GatehouseConfig;

beforeAll(() => {
  writeFileSync(join(dir, 'gatehouse.yaml'), stringify(config));
});

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
});

const show = (name: string, json = false) => runCli(['backends', 'show', name, ...(json ? ['--json'] : [])], { configDir: dir });

describe('policy visibility', () => {
  it('backends show prints a REST backend\'s policy per tool from the config alone: guarded and why, constraints', async () => {
    const [text, json] = await Promise.all([show('k8s'), show('k8s', true)]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('scale: guarded (it is a REST write (guarded by default)); constraints: namespace {"enum":["demo"]}');
    expect(text.stdout).toContain('status: not guarded (no approval policy applies)');
    expect(text.stdout).toContain('flush: not guarded (toolApprovals.flush is none)');
    expect(json.json().policy.rules).toEqual(['flush: not guarded (toolApprovals)', 'scale constraints: namespace {"enum":["demo"]}']);
    expect(json.code, json.stderr).toBe(0);
    expect(json.json().policy).toMatchObject({
      source: 'config',
      tools: [
        { tool: 'scale', guarded: true, constraints: { namespace: { enum: ['demo'] } } },
        { tool: 'status', guarded: false },
        { tool: 'flush', guarded: false, reason: 'toolApprovals.flush is none' },
      ],
    });
  });

  it("without a running gateway, an MCP backend's rules are shown and the command says where tool policies come from", async () => {
    const r = await show('snap', true);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().policy).toEqual({
      source: 'rules',
      rules: ['guarded by annotation: destructive', 'delete_snapshot constraints: volume {"enum":["pvc-1"]}'],
      note: "Each tool's policy shows once a gateway lists the backend's tools (`gatehouse serve`).",
    });
  });

  it('with the gateway running: the admin status carries each tool\'s policy, backends show prints it, and tools/list says guarded', async () => {
    gw = await startGateway(config, { stateDir: dir });
    await gw.ready();
    expect(gw.gateway.upstreams.find((u) => u.name === 'snap')!.state).toBe('ready');

    const { adminToken, adminUrl } = JSON.parse(await readFile(runStatePath(dir), 'utf8')) as { adminToken: string; adminUrl: string };
    const status = (await (await fetch(`${adminUrl}/status`, { headers: { authorization: `Bearer ${adminToken}` } })).json()) as AdminStatus;
    const snap = status.backends.find((b) => b.name === 'snap')!;
    expect(snap.policy).toEqual([
      { tool: 'list_snapshots', guarded: false, reason: 'no approvals selector matches it' },
      { tool: 'delete_snapshot', guarded: true, reason: 'it is marked destructive (approvals.annotations: destructive)', constraints: { volume: { enum: ['pvc-1'] } } },
    ]);

    const r = await show('snap');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('tools (as the running gateway applies it):');
    expect(r.stdout).toContain('delete_snapshot: guarded (it is marked destructive (approvals.annotations: destructive)); constraints: volume {"enum":["pvc-1"]}');
    expect(r.stdout).toContain('list_snapshots: not guarded (no approvals selector matches it)');

    const tc = await connectClient('http-modern', { url: gw.url }, { name: 'agent' });
    const { tools } = await tc.client.listTools();
    const del = tools.find((t) => t.name === 'snap_delete_snapshot')!;
    expect(del.description).toMatch(/^Deletes a snapshot \[Guarded: a call creates a plan that a person must approve out of band; then call gatehouse_apply_plan with its planId\.\]$/);
    expect(del.inputSchema.properties!.volume).toMatchObject({ enum: ['pvc-1'] });
    expect(tools.find((t) => t.name === 'snap_list_snapshots')!.description).toBe('Lists snapshots');
  });
});
