// Migration end to end: a real backend with 45 tools, the map derived from the gateway's live
// catalog, a corpus rewritten with it, then every tool called through the gateway under its new
// name and under its old (Context Forge) name through served aliases, with usage counted.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMap, compileRewriter, formatMap, parseMap } from '../../../src/core/migrate/index.js';
import { stdioFixtureCommand } from '../../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

const TOOLS = 45;

describe('served aliases for a Context Forge cut-over', () => {
  let dir: string;
  let gw: TestGateway;
  let aliasGw: TestGateway;
  let natives: string[];
  let mapFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-aliases-'));
    const { command, args } = stdioFixtureCommand('modern-server', ['--tools', String(TOOLS)]);
    const backends = { monolith: { type: 'stdio' as const, command, args } };
    // 1. Derive natives from a live gateway catalog.
    gw = await startGateway({ backends });
    await gw.ready();
    natives = gw.gateway.upstreams[0]!.catalog().tools.map((t) => t.name);
    await gw.stop();
    expect(natives.length).toBeGreaterThanOrEqual(TOOLS);
    const map = buildMap({ natives, from: { kind: 'contextforge', gatewayName: 'Monolith', separator: '-' }, to: { prefix: 'monolith', separator: '_' } });
    mapFile = join(dir, 'map.yaml');
    await writeFile(mapFile, formatMap(map, 'yaml'));
    // 2. A gateway serving the same backend with the map loaded as aliases.
    aliasGw = await startGateway({ backends, gateway: { aliases: { files: [mapFile] } } }, { baseDir: dir });
    await aliasGw.ready();
  }, 60_000);

  afterAll(async () => {
    await aliasGw?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('rewrites a corpus that references the old names, and nothing stale remains', async () => {
    const loaded = parseMap(await readFile(mapFile, 'utf8'), { fileName: mapFile });
    const rewriter = compileRewriter(loaded);
    const old = [...loaded.names.keys()];
    const corpus = [
      'tools:',
      ...old.map((o) => `  - ${o}`),
      `permissions: ["mcp__context-forge__${old[0]}"]`,
      `Use \`${old[1]}\` first. Never touch ${old[2]}-extra or x${old[2]}.`,
    ].join('\n');
    const out = rewriter.rewrite(corpus, { fileName: 'routine.yaml' });
    for (const o of old) expect(out.text).not.toMatch(new RegExp(`(^|[\\s\`"_])${o.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[\\s\`".])`, 'm'));
    expect(out.text).toContain(`${old[2]}-extra`);
    expect(out.text).toContain(`x${old[2]}`);
    expect(rewriter.check(out.text, { fileName: 'routine.yaml' }).findings).toEqual([]);
  });

  it('serves every renamed tool under its new name and under its old name, and counts alias use per client', async () => {
    const loaded = parseMap(await readFile(mapFile, 'utf8'), { fileName: mapFile });
    const pairs = [...loaded.names.entries()].filter(([, n]) => n.includes('tool_'));
    expect(pairs.length).toBe(TOOLS);
    const client = new Client({ name: 'routine-runner', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(aliasGw.url)));
    try {
      const listed = (await client.listTools()).tools.map((t) => t.name);
      for (const [oldName, newName] of pairs) {
        expect(listed).toContain(newName);
        expect(listed, 'aliases are hidden by default').not.toContain(oldName);
        const viaNew = await client.callTool({ name: newName, arguments: {} });
        const viaOld = await client.callTool({ name: oldName, arguments: {} });
        expect(viaNew.isError ?? false).toBe(false);
        expect(viaOld).toEqual(viaNew);
      }
      // One more call of the first alias, so counts differ.
      await client.callTool({ name: pairs[0]![0], arguments: {} });
    } finally {
      await client.close();
    }
    const report = (aliasGw.gateway as unknown as { aliases: { report(): Array<{ alias: string; total: number; calls: Array<{ client: string; count: number }> }> } }).aliases.report();
    const byAlias = new Map(report.map((r) => [r.alias, r]));
    expect(byAlias.get(pairs[0]![0])!.calls).toEqual([expect.objectContaining({ client: 'routine-runner', count: 2 })]);
    for (const [oldName] of pairs.slice(1)) expect(byAlias.get(oldName)!.total).toBe(1);
    expect(aliasGw.events.filter((e) => e.type === 'alias.used')).toHaveLength(TOOLS + 1);
  });
});

describe('alias listing and expiry', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    const { command, args } = stdioFixtureCommand('modern-server');
    gw = await startGateway({
      backends: { modern: { type: 'stdio', command, args } },
      gateway: { aliases: { listAliases: true, map: { 'old-echo': 'modern_echo', 'ancient-add': { to: 'modern_add', expires: '2020-01-01' } } } },
    });
    await gw.ready();
  }, 60_000);
  afterAll(() => gw?.stop());

  it('lists live aliases with a deprecation note, hides expired ones, and refuses expired calls with the new name', async () => {
    const client = new Client({ name: 'lister', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    try {
      const tools = (await client.listTools()).tools;
      const alias = tools.find((t) => t.name === 'old-echo');
      expect(alias?.description).toMatch(/^Deprecated alias of modern_echo/);
      expect(tools.map((t) => t.name)).not.toContain('ancient-add');
      const ok = await client.callTool({ name: 'old-echo', arguments: { text: 'hi' } });
      expect(JSON.stringify(ok)).toContain('hi');
      await expect(client.callTool({ name: 'ancient-add', arguments: { a: 1, b: 2 } })).rejects.toThrow(/renamed to "modern_add".*2020-01-01/);
    } finally {
      await client.close();
    }
  });
});
