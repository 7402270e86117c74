// Bearer mode on a real gateway: sessions are bound to the credential that opened them, not the
// client name (issue 9 item 19), and no body is read before authentication (item 18).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientTokenStore } from '../../../src/core/auth/client-tokens.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { openSession, ping } from '../sessions/helpers.js';
import { rawConnect } from './raw.js';

let dir: string;
let store: ClientTokenStore;
let gw: TestGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-binding-'));
  store = new ClientTokenStore(dir);
  const auth = buildInboundAuth({ mode: 'bearer' }, { configDir: dir });
  gw = await startGateway({ backends: {} }, { authenticate: auth.authenticate });
});

afterAll(async () => {
  await gw?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('bearer sessions', () => {
  it('are bound to the token: after revoke and re-create for the same name, the old session id is refused', async () => {
    const first = store.create('laptop').token;
    const session = await openSession(gw.url, 'raw', bearer(first));
    expect(await ping(gw.url, session, bearer(first))).toBe(200);
    const opened = gw.gateway.sessions.get(session);
    expect(opened?.identity).toMatchObject({ client: 'laptop', via: 'bearer', roles: [] });
    expect(opened?.identity.credentialId).toMatch(/^token:/);
    expect(opened?.identity.credentialId).not.toContain(first);
    store.revoke('laptop');
    const second = store.create('laptop').token;
    expect(await ping(gw.url, session, bearer(second))).toBe(404);
    expect(await ping(gw.url, session, bearer(first))).toBe(401);
    // The new token opens its own session.
    const fresh = await openSession(gw.url, 'raw', bearer(second));
    expect(await ping(gw.url, fresh, bearer(second))).toBe(200);
  });

  it('answers 401 without reading the body of an unauthenticated request', async () => {
    const c = await rawConnect(Number(new URL(gw.url).port));
    try {
      // A body announced but never sent: a server waiting for it would never answer.
      c.socket.write('POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"jsonrpc":');
      expect(await c.waitFor((t) => t.includes('\r\n\r\n'), 10_000)).toBe(true);
      expect(c.received().split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized');
      expect(await c.closed(10_000)).toBe(true);
    } finally {
      c.destroy();
    }
  });
});
