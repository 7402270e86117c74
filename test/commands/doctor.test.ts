/**
 * `gatehouse doctor` on two real setups: one where every check passes (a real keyring on a private
 * D-Bus, secrets and a Cloudflare Access token in the file store, server-everything over stdio, a REST
 * service on 127.0.0.1, a PEM CA file, Claude Code wired) and one where every check fails (unknown
 * references, a misspelled token, the keychain unreachable with an item stored there, a taken port,
 * a missing CA file, a backend that does not start, one that refuses connections, and a REST base
 * URL the network guard refuses). Plus a config that does not load.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cliSandbox, makeTempDir } from '../helpers/cli.js';
import { startKeyring, type KeyringSession } from '../helpers/keyring.js';
import { EVERYTHING, NODE, closedPort, startTinyHttp } from '../server/helpers.js';

const SLOW = { timeoutMs: 120_000 };
const TOKEN_ID = '5f1c2a9b8e7d6c5b4a3928171615a0b1.access';
const TOKEN_SECRET = '9e8d7c6b5a4938271605f4e3d2c1b0a99e8d7c6b5a4938271605f4e3d2c1b0a9';
const API_KEY = 'doctor-api-key-3b7e1f';

type Check = { id: string; status: string; detail: string; fix?: string };
const byId = (checks: Check[]) => Object.fromEntries(checks.map((c) => [c.id, c]));

let service: Awaited<ReturnType<typeof startTinyHttp>>;
let taken: Awaited<ReturnType<typeof startTinyHttp>>;
let keyring: KeyringSession | undefined;

beforeAll(async () => {
  service = await startTinyHttp((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
  taken = await startTinyHttp((_req, res) => res.writeHead(204).end());
});
afterAll(async () => {
  await service?.close();
  await taken?.close();
  await keyring?.stop();
});

describe('gatehouse doctor', () => {
  it('passes every check on a good setup (exit 0)', async () => {
    keyring = await startKeyring();
    const sb = cliSandbox();
    const env = { ...keyring.env, GATEHOUSE_SECRET_STORE: 'file', DOCTOR_REGION: 'eu' };
    const dir = makeTempDir('gatehouse-doctor-');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=doctor-ca'], { stdio: 'pipe' });
    const port = await closedPort();
    sb.writeConfig(
      stringify({
        gateway: { port },
        backends: {
          every: { type: 'stdio', command: NODE, args: [EVERYTHING, 'stdio'], env: { API_KEY: 'secret:api-key', REGION: 'env:DOCTOR_REGION' } },
          svc: { type: 'rest', baseUrl: service.url, cfAccessToken: 'homelab', tls: { caFile: join(dir, 'ca.pem') }, tools: [{ name: 'health', path: '/health' }] },
        },
      }),
    );
    expect((await sb.run(['secrets', 'set', 'api-key', '--from-stdin'], { env, input: `${API_KEY}\n` })).code).toBe(0);
    const token = await sb.run(['tokens', 'add', 'homelab', '--client-id', TOKEN_ID, '--store', 'file'], { env, input: `${TOKEN_SECRET}\n` });
    expect(token.code, token.stderr).toBe(0);
    const wire = await sb.run(['clients', 'install', 'claude-code', '--url', `http://127.0.0.1:${port}/mcp`, '--scope', 'user'], { env });
    expect(wire.code, wire.stderr).toBe(0);

    const r = await sb.run(['doctor', '--json'], { ...SLOW, env });
    expect(r.code, r.stdout).toBe(0);
    const report = r.json();
    const c = byId(report.checks);
    expect(Object.keys(c).sort()).toEqual(['backend:every', 'backend:svc', 'cf-access-tokens', 'clients', 'config', 'keychain', 'network:svc', 'port', 'references', 'tls:svc']);
    for (const check of report.checks as Check[]) expect(check.status, `${check.id}: ${check.detail}`).toBe('pass');
    expect(c.references!.detail).toBe('2 references resolve');
    expect(c['cf-access-tokens']!.detail).toBe('stored: homelab');
    expect(c['backend:every']!.detail).toMatch(/17 tools/);
    expect(c['backend:svc']!.detail).toMatch(/health answered/);
    expect(c.clients!.detail).toContain('claude-code');
    expect(report).toMatchObject({ ok: true, counts: { fail: 0, warn: 0 } });
    expect(r.stdout).not.toContain(API_KEY);
    expect(r.stdout).not.toContain(TOKEN_SECRET);

    const human = await sb.run(['doctor'], { ...SLOW, env });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^✓ config file: /m);
    expect(human.stdout).toContain('Nothing failed · 10 passed · 0 warnings');
  }, 240_000);

  it('fails each check with its reason and a fix (exit 1)', async () => {
    const sb = cliSandbox();
    const home = makeTempDir('gatehouse-doctor-home-');
    const env = { HOME: home, GATEHOUSE_SECRET_STORE: 'file', DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(home, 'no-bus')}`, DOCTOR_UNSET: undefined };
    expect((await sb.run(['tokens', 'add', 'homelab', '--client-id', TOKEN_ID, '--store', 'file'], { env, input: `${TOKEN_SECRET}\n` })).code).toBe(0);
    // An item the index says is in the keychain (as `secrets set` leaves it when one was reachable then).
    const now = new Date().toISOString();
    const indexFile = join(sb.configDir, 'secrets-index.json');
    const index = JSON.parse(readFileSync(indexFile, 'utf8'));
    index.entries['kc-item'] = { store: 'keychain', kind: 'secret', createdAt: now, updatedAt: now };
    writeFileSync(indexFile, JSON.stringify(index));
    const refused = await closedPort();
    sb.writeConfig(
      stringify({
        gateway: { port: taken.port },
        backends: {
          gone: { type: 'stdio', command: '/nonexistent/doctor-backend', env: { K: 'secret:nope', U: 'env:DOCTOR_UNSET', C: 'secret:kc-item' } },
          down: { type: 'http', url: `http://127.0.0.1:${refused}/mcp`, cfAccessToken: 'homelba' },
          meta: { type: 'rest', baseUrl: 'http://169.254.169.254/latest', tls: { caFile: join(home, 'missing-ca.pem') }, tools: [{ name: 'x', path: '/x' }] },
        },
      }),
    );
    const r = await sb.run(['doctor', '--json'], { ...SLOW, env });
    expect(r.code).toBe(1);
    const report = r.json();
    expect(report.ok).toBe(false);
    const c = byId(report.checks);
    expect(c.config!.status).toBe('pass');
    expect(c.references).toMatchObject({ status: 'fail' });
    expect(c.references!.detail).toContain('secret:nope is not stored');
    expect(c.references!.detail).toContain('DOCTOR_UNSET is not set here');
    expect(c.references!.detail).toContain('secret:kc-item: The OS keychain is unreachable');
    expect(c['cf-access-tokens']).toMatchObject({ status: 'fail', detail: expect.stringContaining('no Cloudflare Access token named "homelba" (did you mean "homelab"?)') });
    expect(c.keychain).toMatchObject({ status: 'fail', detail: expect.stringContaining('kc-item'), fix: expect.stringContaining('dbus-run-session') });
    expect(c.port).toMatchObject({ status: 'fail', detail: 'in use by another program', fix: expect.stringContaining('--port') });
    expect(c['tls:meta']).toMatchObject({ status: 'fail', detail: expect.stringContaining('no such file'), fix: expect.stringContaining('--ca-file') });
    expect(c['network:meta']).toMatchObject({ status: 'fail', detail: expect.stringContaining('link-local'), fix: expect.stringContaining('allowedNetworks') });
    expect(c['backend:meta']!.status).toBe('skip');
    // Its references are resolved before its command is started, so the first failure named is the secret.
    expect(c['backend:gone']).toMatchObject({ status: 'fail', detail: expect.stringMatching(/Secret "nope" is not stored|ENOENT/) });
    expect(c['backend:down']).toMatchObject({ status: 'fail', fix: expect.any(String) });
    expect(c.clients).toMatchObject({ status: 'warn', fix: expect.stringContaining(`gatehouse clients install claude-code --url http://127.0.0.1:${taken.port}/mcp`) });
    for (const check of report.checks as Check[]) if (check.status === 'fail') expect(check.fix, check.id).toBeTruthy();
    expect(r.stdout).not.toContain(TOKEN_SECRET);

    const human = await sb.run(['doctor'], { ...SLOW, env });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^✗ port 127\.0\.0\.1:\d+: in use by another program\n {4}fix: /m);
    expect(human.stdout).toMatch(/\d+ failed · /);
  }, 240_000);

  it('a config that does not load fails first, and nothing else is judged', async () => {
    const sb = cliSandbox();
    sb.writeConfig('backends:\n  x:\n    type: stdio\n    commnd: node\n');
    const r = await sb.run(['doctor', '--json'], SLOW);
    expect(r.code).toBe(1);
    const [config, rest] = r.json().checks;
    expect(config).toMatchObject({ id: 'config', status: 'fail', detail: expect.stringContaining('commnd') });
    expect(config.fix).toBeTruthy();
    expect(rest).toMatchObject({ status: 'skip' });
  });
});
