// A file: reference through the whole gateway, as a Kubernetes Secret volume delivers it: a REST
// backend's bearer token read from a mounted file, sent to a real HTTP backend on 127.0.0.1, and
// re-read after the Secret rotates and the gateway reloads (the config itself unchanged). The token
// never shows in the gateway's events.
import { createServer, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/core/config/load.js';
import type { BackendConfig } from '../../../src/core/config/schema.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, tempDir, textOf, type TempDir, type TestClient } from '../helpers.js';
import { yamlOf } from './helpers.js';

describe('file: references through a reload', () => {
  let dir: TempDir;
  let backend: Server;
  let gw: TestGateway;
  let client: TestClient;
  let tokenFile: string;
  const seen: string[] = [];
  /** The api backend reaching `state` after event number `mark` (the count before a reload). */
  const apiState = (mark: number, state: string) =>
    gw.waitFor((e) => e.type === 'backend.state' && e.backend === 'api' && e.state === state && gw.events.indexOf(e) >= mark);

  beforeAll(async () => {
    dir = tempDir('gatehouse-file-refs-');
    backend = createServer((req, res) => {
      seen.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const port = (backend.address() as { port: number }).port;
    // The Secret volume layout: one file per key, with the newline `kubectl create secret --from-file` keeps.
    tokenFile = join(dir.path, 'api-token');
    writeFileSync(tokenFile, 'rotating-token-one\n');
    const api = {
      type: 'rest',
      baseUrl: `http://127.0.0.1:${port}`,
      refreshInterval: 0,
      auth: { type: 'bearer', token: `file:${tokenFile}` },
      tools: [{ name: 'ping', method: 'GET', path: '/ping' }],
    } as BackendConfig;
    const other = { ...api, auth: undefined } as BackendConfig;
    const configPath = join(dir.path, 'gatehouse.yaml');
    writeFileSync(configPath, yamlOf({ api, other }));
    gw = await startGateway(await loadConfigFile(configPath), { configPath, watchConfig: false });
    await gw.ready();
    for (const u of gw.gateway.upstreams) expect(u.state, `${u.name}: ${u.lastError}`).toBe('ready');
    client = await connectClient('http-modern', { url: gw.url }, { name: 'file-refs' });
  });

  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    await new Promise((r) => backend?.close(r));
    dir?.remove();
  });

  it('sends the file content, without its trailing newline', async () => {
    const r = await client.client.callTool({ name: 'api_ping', arguments: {} });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(seen.at(-1)).toBe('Bearer rotating-token-one');
  });

  it('re-reads a rotated file on reload, restarting only the backend that uses it', async () => {
    writeFileSync(tokenFile, 'rotating-token-two\n');
    const mark = gw.events.length;
    const result = await gw.gateway.reload('api');
    expect(result).toMatchObject({ applied: true, summary: { restarted: ['api'], unchanged: ['other'] } });
    await apiState(mark, 'ready');
    const r = await client.client.callTool({ name: 'api_ping', arguments: {} });
    expect(r.isError, textOf(r)).toBeFalsy();
    expect(seen.at(-1)).toBe('Bearer rotating-token-two');
    // Nothing changed since: a second reload restarts nothing.
    expect(await gw.gateway.reload('api')).toMatchObject({ applied: true, summary: { restarted: [], unchanged: ['api', 'other'] } });
  });

  it('fails only that backend, naming the path, when the file disappears', async () => {
    const { rmSync } = await import('node:fs');
    rmSync(tokenFile);
    const mark = gw.events.length;
    const result = await gw.gateway.reload('api');
    expect(result).toMatchObject({ applied: true, summary: { restarted: ['api'] } });
    const failed = await apiState(mark, 'failed');
    expect(JSON.stringify(failed)).toContain(`Secret file \\"${tokenFile}\\" does not exist`);
    expect(gw.gateway.upstreams.find((u) => u.name === 'other')?.state).toBe('ready');
  });

  it('never puts a token in an event', () => {
    const all = JSON.stringify(gw.events);
    expect(all).not.toContain('rotating-token-one');
    expect(all).not.toContain('rotating-token-two');
  });
});
