/**
 * probeWithToken (what `tokens test` runs) through the Cloudflare Access stand-in, in front of
 * real MCP fixture servers of both eras, over 127.0.0.1.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeWithToken, TokenTestExit } from '../../../src/core/cfaccess/probe.js';
import { makeServiceToken, startCfAccessStandIn, type CfAccessStandIn } from '../../fixtures/cf-access/stand-in.js';
import { startHttpFixture, type HttpFixture } from '../../fixtures/servers/spawn-fixture.js';

const token = makeServiceToken();
const headers = { 'CF-Access-Client-Id': token.clientId, 'CF-Access-Client-Secret': token.clientSecret };
const stops: Array<() => Promise<void>> = [];
let legacy: HttpFixture;
let modern: HttpFixture;
let edge: CfAccessStandIn;

async function standIn(opts: Parameters<typeof startCfAccessStandIn>[0]): Promise<CfAccessStandIn> {
  const s = await startCfAccessStandIn(opts);
  stops.push(() => s.close());
  return s;
}

beforeAll(async () => {
  legacy = await startHttpFixture('conformance-server');
  stops.push(() => legacy.stop());
  modern = await startHttpFixture('modern-server', ['--modern-only']);
  stops.push(() => modern.stop());
  edge = await standIn({ upstream: `http://127.0.0.1:${legacy.port}`, tokens: [token], team: 'myteam' });
});

afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

describe('the stand-in', () => {
  it('adds a Cf-Access-Jwt-Assertion the origin can verify against its JWKS', async () => {
    let seen: http.IncomingHttpHeaders | undefined;
    const origin = http.createServer((req, res) => {
      seen = req.headers;
      res.end('ok');
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
    stops.push(() => new Promise((r) => origin.close(() => r())));
    const e = await standIn({ upstream: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`, tokens: [token] });
    const res = await fetch(`${e.url}/anything`, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('cf-ray')).toBeTruthy();
    expect(seen!['cf-access-client-secret']).toBeUndefined();
    const { payload, protectedHeader } = await jwtVerify(String(seen!['cf-access-jwt-assertion']), createRemoteJWKSet(new URL(e.certsUrl)), { issuer: e.issuer, audience: e.aud });
    expect(payload.common_name).toBe(token.clientId);
    expect(protectedHeader.alg).toBe('RS256');
    await expect(jwtVerify(await e.signJwt({}, { foreignKey: true }), createRemoteJWKSet(new URL(e.certsUrl)))).rejects.toThrow();
    expect(e.requests.at(-1)).toEqual({ method: 'GET', path: '/anything', accepted: true, clientId: token.clientId, hadSecret: true });
  });
});

describe('probeWithToken', () => {
  it('accepted: a 2025-era server answers initialize', async () => {
    const r = await probeWithToken({ url: `${edge.url}/mcp`, headers });
    expect(r).toMatchObject({ outcome: 'accepted', exitCode: TokenTestExit.accepted, status: 200, viaCloudflare: true, mcp: { method: 'initialize', protocolVersion: '2025-11-25' } });
    expect(r.message).toMatch(/^Accepted: the token got through to http:\/\/127\.0\.0\.1:\d+\/mcp, and .* answered MCP initialize \(protocol 2025-11-25\)\.$/);
    expect(JSON.stringify(r)).not.toContain(token.clientSecret);
  });

  it('accepted: a 2026-only server answers server/discover', async () => {
    const e = await standIn({ upstream: `http://127.0.0.1:${modern.port}`, tokens: [token] });
    const r = await probeWithToken({ url: `${e.url}/mcp`, headers });
    expect(r.outcome).toBe('accepted');
    expect(r.mcp?.method).toBe('server/discover');
  });

  it('rejected: a wrong or missing token gets the login redirect diagnosis (exit 4)', async () => {
    const wrong = await probeWithToken({ url: `${edge.url}/mcp`, headers: { ...headers, 'CF-Access-Client-Secret': 'f'.repeat(64) } });
    expect(wrong).toMatchObject({ outcome: 'rejected', exitCode: 4, status: 302, diagnosis: { kind: 'access-login', teamDomain: 'myteam.cloudflareaccess.com' } });
    expect(wrong.message).toMatch(/^Rejected by Cloudflare Access\./);
    expect(wrong.next).toMatch(/Service Auth/);
    const none = await probeWithToken({ url: `${edge.url}/mcp`, headers: {} });
    expect(none.exitCode).toBe(4);
    const e = await standIn({ upstream: `http://127.0.0.1:${legacy.port}`, tokens: [token], deny: 'forbidden' });
    const forbidden = await probeWithToken({ url: `${e.url}/mcp`, headers: {} });
    expect(forbidden).toMatchObject({ outcome: 'rejected', status: 403, diagnosis: { kind: 'access-denied' } });
  });

  it('cookie-redirect: Access hands out CF_Authorization instead of passing through (exit 6)', async () => {
    const e = await standIn({ upstream: `http://127.0.0.1:${legacy.port}`, tokens: [token], cookieRedirect: true });
    const r = await probeWithToken({ url: `${e.url}/mcp`, headers });
    expect(r).toMatchObject({ outcome: 'cookie-redirect', exitCode: 6, cookieSet: true });
  });

  it('a cookie on an accepted answer is only a note', async () => {
    const e = await standIn({ upstream: `http://127.0.0.1:${legacy.port}`, tokens: [token], setCookie: true });
    const r = await probeWithToken({ url: `${e.url}/mcp`, headers });
    expect(r).toMatchObject({ outcome: 'accepted', cookieSet: true });
    expect(r.message).toContain('CF_Authorization cookie');
  });

  it('past Access to an application without an MCP endpoint (a REST API) is accepted (exit 0); an origin that is down is not-mcp (exit 5)', async () => {
    const rest = await probeWithToken({ url: `${edge.url}/nope`, headers });
    expect(rest).toMatchObject({ outcome: 'accepted-no-mcp', exitCode: 0, status: 404 });
    expect(rest.message).toContain('no MCP endpoint, but Access accepted the token');
    expect(rest.next).toMatch(/\/mcp/);
    const dead = await standIn({ upstream: 'http://127.0.0.1:9', tokens: [token] });
    const down = await probeWithToken({ url: `${dead.url}/mcp`, headers });
    expect(down).toMatchObject({ outcome: 'not-mcp', exitCode: 5, status: 502, diagnosis: { kind: 'cloudflare-error' } });
  });

  it('network-error: nothing listening (exit 7)', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const r = await probeWithToken({ url: `http://127.0.0.1:${port}/mcp`, headers });
    expect(r).toMatchObject({ outcome: 'network-error', exitCode: 7, errorCode: 'ECONNREFUSED' });
    expect(r.message).toBe(`Network error: 127.0.0.1:${port} refused the connection.`);
  });
});
