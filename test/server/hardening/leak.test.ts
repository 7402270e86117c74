// A secret the gateway resolved (an env: reference) and handed to a backend that prints it every way
// it can: stderr at start, stderr during a call, an error message, a log notification, and the stderr
// tail of its crash. None of the gateway's own outputs may carry it: /readyz, /admin/status, logs in
// both formats, events, client errors, `backends test`.
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEvent } from '../../../src/core/log/format.js';
import { clearSecretValues } from '../../../src/core/log/secret-values.js';
import { probeBackend } from '../../../src/server/probe.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, modernStdio, textOf, until, type TestClient } from '../helpers.js';
import { faultStdio } from './fault.js';

// Lower-case letters only: no pattern rule would recognise it, so only the known-value registry can.
const SECRET = `quietmarmot${[...randomBytes(12)].map((b) => String.fromCharCode(97 + (b % 26))).join('')}`;
const ENV = 'GATEHOUSE_HARDENING_LEAK';

describe('a backend that prints the secret it was given', () => {
  let gw: TestGateway;
  let tc: TestClient;
  const leak = faultStdio('leak', { env: { FAULT_SECRET: `env:${ENV}` } });

  beforeAll(async () => {
    process.env[ENV] = SECRET;
    gw = await startGateway({ backends: { leaky: leak, healthy: modernStdio() } }, { backoff: { initialMs: 60_000, maxMs: 60_000, resetAfterMs: 60_000 } });
    await gw.ready();
    tc = await connectClient('http-legacy', { url: gw.url }, { name: 'leak-client' });
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    delete process.env[ENV];
    clearSecretValues();
  });

  it('keeps the secret out of client errors, events, logs, /readyz and /admin/status', async () => {
    const err = await tc.client.callTool({ name: 'leaky_leak', arguments: {} }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProtocolError);
    const clientError = `${(err as ProtocolError).message} ${JSON.stringify((err as ProtocolError).data)}`;
    expect(clientError).toMatch(/leaky/);
    expect(clientError).toContain('[REDACTED]');
    await until(() => gw.events.some((e) => e.type === 'backend.stderr' && e.line.startsWith('token=')), 10_000, 'the stderr line of the call');

    // Crash it, so the failure reason quotes its stderr tail.
    const pid = gw.events.map((e) => (e.type === 'backend.stderr' ? /FAULT PID (\d+)/.exec(e.line)?.[1] : undefined)).find(Boolean);
    process.kill(Number(pid), 'SIGKILL');
    await gw.waitFor((e) => e.type === 'backend.state' && e.backend === 'leaky' && e.state === 'failed');
    expect(textOf(await tc.client.callTool({ name: 'healthy_echo', arguments: { text: 'fine' } }))).toBe('fine');

    const base = gw.url.replace(/\/mcp$/, '');
    const readyz = await (await fetch(`${base}/readyz`)).text();
    const adminToken = (gw.gateway as unknown as { adminToken: string }).adminToken;
    const status = await (await fetch(`${base}/admin/status`, { headers: { authorization: `Bearer ${adminToken}` } })).text();
    expect(status).toContain('leaky');
    expect(status).toContain('[REDACTED]');
    const events = JSON.stringify(gw.events);
    const logs = gw.events.map((e) => `${formatEvent(e, 'json')}\n${formatEvent(e, 'pretty')}`).join('\n');
    expect(events).toContain('do not print this');
    for (const [where, text] of Object.entries({ clientError, readyz, status, events, logs })) expect(text, where).not.toContain(SECRET);
    expect(JSON.parse(readyz).backends.leaky.reason).not.toMatch(/stderr/);
  });

  it('keeps the secret out of `backends test` output', async () => {
    const r = await probeBackend('leaky', leak);
    expect(JSON.stringify(r)).not.toContain(SECRET);
  });
});
