import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restBackendSchema } from '../../../src/core/config/schema.js';
import { createRestUpstream, type RestUpstream } from '../../../src/server/upstream/rest.js';
import { cliSandbox, makeTempDir } from '../../helpers/cli.js';
import { startGateway } from '../../helpers/gateway.js';
import { call, json } from './helpers.js';

/*
 * `backends add --ca-file` against a real HTTPS server whose certificate is signed by a self-signed CA
 * (as a k3s cluster's is), made with openssl for this test.
 */

let dir: string;
let server: Server;
let url: string;
const ups: RestUpstream[] = [];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(async () => {
  dir = makeTempDir('gatehouse-ca-');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=k3s-server-ca']);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext']);
  writeFileSync(join(dir, 'tools.yaml'), 'tools:\n  - name: version\n    path: /version\n');
  writeFileSync(join(dir, 'not-pem.txt'), 'hello\n');
  writeFileSync(join(dir, 'broken.pem'), '-----BEGIN CERTIFICATE-----\nAAAAnotbase64cert\n-----END CERTIFICATE-----\n');
  server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ gitVersion: 'v1.31.4+k3s1' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(ups.splice(0).map((u) => u.stop({ drainMs: 0 })));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('backends add --ca-file', () => {
  it('stores the CA as tls.caFile (absolute), and calls then verify the server against it', async () => {
    const sb = cliSandbox();
    const add = await sb.run(['backends', 'add', 'k3s', '--rest', url, '--tools', 'tools.yaml', '--ca-file', 'ca.pem', '--json'], { cwd: dir });
    expect(add.code, add.stderr).toBe(0);
    const show = await sb.run(['backends', 'show', 'k3s', '--json']);
    const stored = show.json().config;
    expect(stored.tls).toEqual({ caFile: join(dir, 'ca.pem') });

    const u = createRestUpstream('k3s', restBackendSchema.parse(stored));
    ups.push(u);
    await u.start();
    expect(u.state).toBe('ready');
    expect(json(await call(u, 'version'))).toEqual({ gitVersion: 'v1.31.4+k3s1' });

    // The same backend without the CA cannot verify the certificate: the CA is what makes it work.
    const { tls: _tls, ...withoutCa } = stored;
    const bare = createRestUpstream('bare', restBackendSchema.parse(withoutCa));
    ups.push(bare);
    await bare.start();
    const r = await call(bare, 'version');
    expect(r.isError).toBe(true);
    expect(r.content[0]!.text).toMatch(/certificate|self[- ]signed|issuer/i);
  });

  it('refuses a missing file, a file without PEM, and a certificate that does not parse; nothing is stored', async () => {
    const sb = cliSandbox();
    const cases: Array<[string, RegExp]> = [
      ['missing.pem', /--ca-file: cannot read .*missing\.pem \(no such file\)/],
      ['not-pem.txt', /--ca-file: .*not-pem\.txt holds no PEM certificate/],
      ['broken.pem', /--ca-file: certificate 1 in .*broken\.pem does not parse/],
    ];
    for (const [file, message] of cases) {
      const r = await sb.run(['backends', 'add', 'k3s', '--rest', url, '--tools', 'tools.yaml', '--ca-file', file], { cwd: dir });
      expect(r.code, file).toBe(2);
      expect(r.stderr, file).toMatch(message);
      expect(r.stderr, file).toContain('Hint: ');
    }
    const mcp = await sb.run(['backends', 'add', 'x', '--url', 'https://mcp.example/mcp', '--ca-file', 'ca.pem'], { cwd: dir });
    expect(mcp.code).toBe(2);
    expect(mcp.stderr).toContain('--ca-file only applies to REST backends');
    expect(sb.readConfigBytes()).toBeUndefined();
  });
});

describe('network warnings before any call fails', () => {
  it('backends add, config validate and backends test name an address the guard refuses', async () => {
    const sb = cliSandbox();
    const add = await sb.run(['backends', 'add', 'meta', '--rest', 'http://169.254.169.254/latest', '--tools', 'tools.yaml', '--json'], { cwd: dir });
    expect(add.code).toBe(0);
    expect(add.json().warnings).toEqual([expect.objectContaining({ backend: 'meta', address: '169.254.169.254' })]);
    expect(add.stderr).toMatch(/Warning: backend "meta": 169\.254\.169\.254; 169\.254\.169\.254 is a link-local address.*every call to it will be refused/);
    expect(add.stderr).toContain('add "169.254.169.254/32" to gateway.allowedNetworks');

    const validate = await sb.run(['config', 'validate', '--json']);
    expect(validate.code).toBe(0);
    expect(validate.json().warnings).toEqual([{ path: ['backends', 'meta', 'baseUrl'], message: expect.stringContaining('169.254.169.254 is a link-local address') }]);

    const test = await sb.run(['backends', 'test', 'meta']);
    expect(test.code).toBe(1);
    expect(test.stderr).toMatch(/Error: backend "meta": .*link-local address/);
  });

  it('/readyz names the address the guard will refuse, before any call', async () => {
    // Resolving an IP literal sends nothing; the guard refuses any connection to it.
    const gw = await startGateway({ backends: { meta: { type: 'rest', baseUrl: 'http://169.254.169.254/latest', toolsFile: join(dir, 'tools.yaml') } } });
    try {
      await gw.ready();
      const until = Date.now() + 10_000;
      let body: { backends: Record<string, { warnings?: string[] }> } = { backends: {} };
      while (Date.now() < until) {
        body = (await (await fetch(gw.url.replace(/\/mcp$/, '/readyz'))).json()) as typeof body;
        if (body.backends.meta?.warnings?.length) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(body.backends.meta!.warnings).toEqual([expect.stringMatching(/169\.254\.169\.254 is a link-local address/)]);
    } finally {
      await gw.stop();
    }
  });

  it('a public or loopback base URL passes by default, with no warning', async () => {
    const sb = cliSandbox();
    const ok = await sb.run(['backends', 'add', 'local', '--rest', url, '--tools', 'tools.yaml', '--ca-file', 'ca.pem', '--json'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(ok.json()).not.toHaveProperty('warnings');
    // The test also makes one read (the only GET tool), which verifies the server against the CA.
    const test = await sb.run(['backends', 'test', 'local', '--json']);
    expect(test.code, test.stdout).toBe(0);
    expect(test.json()).toMatchObject({ backend: 'local', addresses: ['127.0.0.1'], warnings: [], read: { ok: true, tool: 'version', answer: expect.stringContaining('v1.31.4+k3s1') } });
    // Without the CA the read fails on the certificate, so the test fails too.
    const noCa = await sb.run(['backends', 'add', 'noca', '--rest', url, '--tools', 'tools.yaml', '--json'], { cwd: dir });
    expect(noCa.code).toBe(0);
    const failed = await sb.run(['backends', 'test', 'noca']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Error: Backend "noca": version (failed|answered with an error)/);
    const pub = await sb.run(['backends', 'add', 'cf', '--rest', 'https://104.16.132.229/api', '--tools', 'tools.yaml', '--json'], { cwd: dir });
    expect(pub.json()).not.toHaveProperty('warnings');
  });
});
