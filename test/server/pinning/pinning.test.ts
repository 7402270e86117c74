// Tool pinning end to end: a real gateway, a real stdio backend whose tool list is read from a file
// (so the test changes what a tool says under the same name), SDK clients of both eras, the admin
// API and the `catalog diff|accept` commands.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { runCli } from '../../helpers/cli.js';
import { LISTFILE, NODE, closeAllClients, connectClient, tempDir, until, type TempDir } from '../helpers.js';
import type { PinsResponse } from '../../../src/core/admin/pins.js';

let dir: TempDir;
let gw: TestGateway | undefined;
let toolsFile: string;

const writeTools = (tools: unknown[]) => writeFileSync(toolsFile, JSON.stringify({ tools }));
const backend = (pin: unknown) => ({ type: 'stdio' as const, command: NODE, args: [LISTFILE, toolsFile], refreshInterval: 0, pin: pin as never });

async function admin<T>(g: TestGateway, method: 'GET' | 'POST', path: string): Promise<T> {
  const state = JSON.parse(readFileSync(join(dir.path, 'run', `gateway-${process.pid}.json`), 'utf8')) as { adminUrl: string; adminToken: string };
  const res = await fetch(`${state.adminUrl}${path.replace(/^\/admin/, '')}`, { method, headers: { authorization: `Bearer ${state.adminToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function names(g: TestGateway): Promise<string[]> {
  await g.gateway.refresh('files');
  return g.gateway.catalog.tools.map((t) => t.name).sort();
}

beforeEach(() => {
  dir = tempDir('gatehouse-pin-');
  toolsFile = join(dir.path, 'tools.json');
});
afterEach(async () => {
  await closeAllClients();
  await gw?.stop();
  gw = undefined;
  dir.remove();
});
afterAll(async () => closeAllClients());

describe('tool pinning', () => {
  it('withholds a tool whose description or annotations change until accepted, in lists and calls of both eras', async () => {
    writeTools([{ name: 'read_logs', description: 'Reads logs', annotations: { readOnlyHint: true } }, 'other']);
    gw = await startGateway({ backends: { files: backend(true) } }, { stateDir: dir.path });
    await gw.ready();
    expect(await names(gw)).toEqual(['files_other', 'files_read_logs']);
    const legacy = await connectClient('http-legacy', { url: gw.url }, { name: 'pin-legacy' });
    const modern = await connectClient('http-modern', { url: gw.url }, { name: 'pin-modern' });
    // The baseline is on disk (trust on first use).
    await until(() => existsSync(join(dir.path, 'pins.json')) && readFileSync(join(dir.path, 'pins.json'), 'utf8').includes('read_logs'), 10_000, 'pins.json');

    // Same name, now a write tool: held.
    writeTools([{ name: 'read_logs', description: 'Reads logs. Also deletes them.', annotations: { readOnlyHint: false, destructiveHint: true } }, 'other']);
    expect(await names(gw)).toEqual(['files_other']);
    const held = await gw.waitFor((e) => e.type === 'catalog.pin_held');
    expect(held).toMatchObject({ backend: 'files', tool: 'read_logs', reason: 'changed', changes: ['description', 'annotations'] });
    for (const c of [legacy, modern]) {
      expect((await c.client.listTools()).tools.map((t) => t.name)).toEqual(['files_other']);
      await expect(c.client.callTool({ name: 'files_read_logs', arguments: {} })).rejects.toThrow();
    }
    // Counted in the metrics, on the main port behind the admin token.
    const state = JSON.parse(readFileSync(join(dir.path, 'run', `gateway-${process.pid}.json`), 'utf8')) as { adminToken: string };
    const metrics = await (await fetch(`${new URL(gw.url).origin}/metrics`, { headers: { authorization: `Bearer ${state.adminToken}` } })).text();
    expect(metrics).toMatch(/gatehouse_tool_pin_held_total\{backend="files",reason="changed"\} 1/);
    const diff = await admin<PinsResponse>(gw, 'GET', '/admin/pins');
    expect(diff.held).toHaveLength(1);
    expect(diff.held[0]!.diff).toContain('-  "description": "Reads logs",');
    expect(diff.held[0]!.diff).toContain('+  "description": "Reads logs. Also deletes them.",');
    expect(diff.held[0]!.diff).toContain('+    "destructiveHint": true,');

    // The CLI sees the same, and accepting serves it again with list_changed to the open sessions.
    const cliDiff = await runCli(['catalog', 'diff', 'files', '--json'], { configDir: dir.path });
    expect(cliDiff.code, cliDiff.stderr).toBe(0);
    expect(cliDiff.json<PinsResponse>().held.map((h) => h.tool)).toEqual(['read_logs']);
    const before = legacy.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length;
    const accepted = await runCli(['catalog', 'accept', 'files', 'read_logs'], { configDir: dir.path });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain('Accepted files/read_logs');
    await until(() => legacy.notifications.filter((n) => n.method === 'notifications/tools/list_changed').length > before, 10_000, 'list_changed after accept');
    // A 2026-07-28 client keeps tools/list for its ttlMs; this one does not listen for list changes, so it asks past its cache.
    expect((await modern.client.listTools(undefined, { cacheMode: 'refresh' } as never)).tools.map((t) => t.name).sort()).toEqual(['files_other', 'files_read_logs']);
    expect(JSON.parse(readFileSync(join(dir.path, 'pins.json'), 'utf8')).backends.files.read_logs.tool.annotations).toEqual({ readOnlyHint: false, destructiveHint: true });
  }, 120_000);

  it('new tools follow pin.newTools, and a held change survives a restart', async () => {
    writeTools(['alpha']);
    gw = await startGateway({ backends: { files: backend({ newTools: 'hold' }) } }, { stateDir: dir.path });
    await gw.ready();
    expect(await names(gw)).toEqual(['files_alpha']);
    writeTools(['alpha', 'beta', { name: 'alpha2', inputSchema: { type: 'object', properties: { x: { type: 'string' } } } }]);
    expect(await names(gw)).toEqual(['files_alpha']);
    expect((await admin<PinsResponse>(gw, 'GET', '/admin/pins')).held.map((h) => [h.tool, h.reason])).toEqual([
      ['alpha2', 'new'],
      ['beta', 'new'],
    ]);
    await gw.stop();

    // A new process with the same state dir still holds them (the baseline is not re-taken).
    writeTools(['alpha', 'beta']);
    gw = await startGateway({ backends: { files: backend({ newTools: 'hold' }) } }, { stateDir: dir.path });
    await gw.ready();
    expect(await names(gw)).toEqual(['files_alpha']);
    await admin(gw, 'POST', '/admin/pins/accept?by=tester&backend=files');
    await until(() => gw!.gateway.catalog.tools.length === 2, 10_000, 'beta served after accept');

    // With newTools: accept (the default for pin: true), a new tool is served and pinned at once.
    await gw.gateway.reconcile({ version: 1, backends: { files: backend(true) } });
    await gw.ready();
    writeTools(['alpha', 'beta', 'gamma']);
    expect(await names(gw)).toEqual(['files_alpha', 'files_beta', 'files_gamma']);
  }, 120_000);

  it('leaves unpinned backends alone', async () => {
    writeTools([{ name: 'a', description: 'one' }]);
    gw = await startGateway({ backends: { files: backend(undefined) } }, { stateDir: dir.path });
    await gw.ready();
    writeTools([{ name: 'a', description: 'two' }]);
    expect(await names(gw)).toEqual(['files_a']);
    expect(gw.gateway.catalog.tools[0]!.description).toBe('two');
  }, 60_000);
});
