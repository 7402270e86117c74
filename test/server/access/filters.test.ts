/**
 * Backend filters end to end: real backends (the modern fixture over stdio, twice), the gateway in
 * process for HTTP and SSE clients, and `serve --stdio` children for stdio clients of both eras.
 * Filtered tools, prompts and resources are absent from every list, refused by name (aliases too),
 * reported with their reason in the admin status, and a reload changes the filter live.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { CLIENT_MODES, closeAllClients, connectClient, modernStdio, tempDir, until, writeConfig, type TempDir } from '../helpers.js';

const config = (): GatehouseConfig => ({
  version: 1,
  gateway: { aliases: { map: { old_slow: 'ex_slow', old_echo: 'ex_echo' } } },
  backends: {
    // Only tools annotated readOnlyHint: true (echo and add), no prompts, no resources.
    ro: modernStdio([], { toolFilter: { readOnly: true }, promptFilter: { exclude: ['*'] }, resourceFilter: { exclude: ['*'] } }),
    // Everything but slow and the tools starting with "a" (add, ask); only the info resource.
    ex: modernStdio([], { toolFilter: { exclude: ['slow', 'a*'] }, resourceFilter: { include: ['modern://info'] } }),
  },
});

let gw: TestGateway;
let dir: TempDir;
let configFile: string;

beforeAll(async () => {
  dir = tempDir('gatehouse-filters-');
  const c = config();
  configFile = writeConfig(dir.path, c.backends, c.gateway);
  gw = await startGateway(c);
  await gw.ready();
  await until(() => gw.gateway.catalog.tools.length > 0, 20_000, 'the catalog');
});

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
  dir?.remove();
});

describe('backend filters', { timeout: 120_000 }, () => {
  for (const mode of CLIENT_MODES) {
    it(`${mode}: lists leave out what the filters remove, and calls to it are refused`, async () => {
      const tc = await connectClient(mode, { url: gw.url, configFile, configDir: dir.path });
      const tools = (await tc.client.listTools()).tools.map((t) => t.name).sort();
      expect(tools).toEqual(['ex_echo', 'ex_sample', 'ro_add', 'ro_echo']);
      const prompts = (await tc.client.listPrompts()).prompts.map((p) => p.name);
      expect(prompts).toEqual(['ex_greet']);
      const resources = (await tc.client.listResources()).resources.map((r) => r.uri);
      expect(resources).toEqual(['modern://info']);
      expect((await tc.client.listResourceTemplates()).resourceTemplates).toEqual([]);
      // The template that would serve it is filtered too, so nobody owns the URI.
      await expect(tc.client.readResource({ uri: 'modern://items/1' })).rejects.toThrow(/Resource not found/);
      // Still served: a kept tool works.
      const ok = await tc.client.callTool({ name: 'ro_echo', arguments: { text: 'hi' } });
      expect(ok.isError).toBeFalsy();
      // Removed: refused by name, and by an alias that points at it.
      await expect(tc.client.callTool({ name: 'ro_slow', arguments: {} })).rejects.toThrow(/Unknown tool: ro_slow/);
      await expect(tc.client.callTool({ name: 'old_slow', arguments: {} })).rejects.toThrow(/Unknown tool/);
      await expect(tc.client.getPrompt({ name: 'ro_greet', arguments: { name: 'x' } })).rejects.toThrow(/Unknown prompt/);
      // Through the old name of a kept tool, the call still works.
      expect((await tc.client.callTool({ name: 'old_echo', arguments: { text: 'via alias' } })).isError).toBeFalsy();
      await tc.close();
    });
  }

  it('the admin status names every removed item with the setting that removed it', () => {
    const st = gw.gateway.status();
    const ro = st.backends.find((b) => b.name === 'ro')!;
    expect(ro.filtered).toEqual(
      expect.arrayContaining([
        { kind: 'tool', name: 'slow', reason: 'toolFilter.readOnly (not annotated readOnlyHint: true)' },
        { kind: 'tool', name: 'ask', reason: 'toolFilter.readOnly (not annotated readOnlyHint: true)' },
        { kind: 'prompt', name: 'greet', reason: 'promptFilter.exclude "*"' },
      ]),
    );
    const ex = st.backends.find((b) => b.name === 'ex')!;
    expect(ex.filtered).toEqual(
      expect.arrayContaining([
        { kind: 'tool', name: 'slow', reason: 'toolFilter.exclude "slow"' },
        { kind: 'tool', name: 'add', reason: 'toolFilter.exclude "a*"' },
        { kind: 'resource', name: 'modern://items/1', reason: 'resourceFilter.include (matches none of "modern://info")' },
      ]),
    );
    // Names are not spent on removed tools, and the counts are what clients see.
    expect(st.catalog.tools).toBe(4);
    expect(st.exposedTools.map((t) => t.name)).not.toContain('ro_slow');
  });

  it('a reload that changes a filter applies live: no backend restart, list_changed, a new list', async () => {
    const tc = await connectClient('http-legacy', { url: gw.url });
    const before = (await tc.client.listTools()).tools.length;
    expect(before).toBe(4);
    const next = config();
    next.backends.ro = modernStdio([], { toolFilter: { include: ['echo'] }, promptFilter: { exclude: ['*'] }, resourceFilter: { exclude: ['*'] } });
    const summary = await gw.gateway.reconcile(next);
    expect(summary.restarted).toEqual([]);
    expect(summary.settings).toContain('backends.ro.toolFilter');
    await until(() => tc.notifications.some((n) => n.method === 'notifications/tools/list_changed'), 10_000, 'tools list_changed');
    const after = (await tc.client.listTools()).tools.map((t) => t.name).sort();
    expect(after).toEqual(['ex_echo', 'ex_sample', 'ro_echo']);
    await expect(tc.client.callTool({ name: 'ro_add', arguments: { a: 1, b: 2 } })).rejects.toThrow(/Unknown tool: ro_add/);
    await tc.close();
  });
});
