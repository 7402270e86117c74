/**
 * A client we did not write: the MCP Inspector CLI (`--cli … --header`) against inbound auth. With a
 * bearer client token it gets through (both protocol eras); without one, or with a wrong one, it is
 * refused. Through the Cloudflare Access stand-in, its service-token headers get it to a
 * cloudflare-access gateway. Skipped when the inspector is not installed.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientTokenStore } from '../../../src/core/auth/client-tokens.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { ROOT } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { leakGuard } from '../../helpers/secret-leaks.js';
import { makeServiceToken, startCfAccessStandIn, type CfAccessStandIn } from '../../fixtures/cf-access/stand-in.js';
import { stdioFixtureCommand } from '../../fixtures/servers/spawn-fixture.js';

const INSPECTOR = join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');
const fx = stdioFixtureCommand('conformance-server');
const BACKENDS = { fx: { type: 'stdio' as const, command: fx.command, args: fx.args } };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe.skipIf(!existsSync(INSPECTOR))('the MCP Inspector CLI with --header against inbound auth', { timeout: 120_000 }, () => {
  const guard = leakGuard();
  const tok = makeServiceToken();
  guard.secret(tok.clientId);
  guard.secret(tok.clientSecret);
  let home: string;
  let token: string;
  let bearer: TestGateway;
  let cf: TestGateway;
  let edge: CfAccessStandIn;

  const inspector = (args: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [INSPECTOR, '--cli', ...args, '--format', 'json', '--quiet'],
        { cwd: home, env: { ...process.env, HOME: home, NO_COLOR: '1', MCP_CATALOG_PATH: join(home, 'mcp.json'), MCP_CLIENT_CONFIG_PATH: join(home, 'client.json') }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const r = { code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr };
          guard.recordRun(`inspector ${args[0]}`, r);
          resolve(r);
        },
      );
    });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'gatehouse-inspector-auth-'));
    token = guard.secret(new ClientTokenStore(home).create('inspector').token);
    const b = buildInboundAuth({ mode: 'bearer' }, { configDir: home });
    bearer = await startGateway({ backends: BACKENDS }, { authenticate: b.authenticate });
    await bearer.ready();
    // The edge needs the gateway's URL and the gateway the edge's certs: start the gateway on a port found first.
    const probe = await startGateway({ backends: {} });
    const port = Number(new URL(probe.url).port);
    await probe.stop();
    edge = await startCfAccessStandIn({ upstream: `http://127.0.0.1:${port}`, tokens: [tok] });
    const c = buildInboundAuth({ mode: 'cloudflare-access', cloudflareAccess: { team: edge.team, aud: edge.aud, certsUrl: edge.certsUrl } }, { configDir: home });
    cf = await startGateway({ backends: BACKENDS }, { port, authenticate: c.authenticate });
    await cf.ready();
  });

  afterAll(async () => {
    await bearer?.stop();
    await cf?.stop();
    await edge?.close();
    guard.record('events', JSON.stringify([...bearer.events, ...cf.events]).replaceAll(`"client":"${tok.clientId}"`, '"client":"<common_name>"'));
    rmSync(home, { recursive: true, force: true });
    expect(guard.leaks()).toEqual([]);
  });

  for (const era of ['legacy', 'modern'] as const) {
    it(`gets through with --header "Authorization: Bearer <token>" (${era} era)`, async () => {
      const r = await inspector([bearer.url, '--transport', 'http', '--protocol-era', era, '--method', 'tools/list', '--header', `Authorization: Bearer ${token}`]);
      expect(r.code, r.stderr).toBe(0);
      const names = (JSON.parse(r.stdout).result.tools as Array<{ name: string }>).map((t) => t.name);
      expect(names).toContain('fx_test_simple_text');
    });
  }

  it('is refused without a token and with a wrong one', async () => {
    const none = await inspector([bearer.url, '--transport', 'http', '--method', 'tools/list']);
    expect(none.code).not.toBe(0);
    // On a 401 the inspector wants to start OAuth, which it cannot do without a terminal.
    expect(none.stdout + none.stderr).toMatch(/401|nauthori|auth_required/);
    const wrong = await inspector([bearer.url, '--transport', 'http', '--method', 'tools/list', '--header', `Authorization: Bearer ${token.slice(0, -3)}abc`]);
    expect(wrong.code).not.toBe(0);
    expect(bearer.events.filter((e) => e.type === 'auth.failed').length).toBeGreaterThanOrEqual(2);
    expect(bearer.events.find((e) => e.type === 'session.opened')).toMatchObject({ client: 'inspector' });
  });

  it('reaches a cloudflare-access gateway through Access with the service-token headers', async () => {
    const r = await inspector([
      `${edge.url}/mcp`,
      '--transport',
      'http',
      '--method',
      'tools/call',
      '--tool-name',
      'fx_test_simple_text',
      '--header',
      `CF-Access-Client-Id: ${tok.clientId}`,
      `CF-Access-Client-Secret: ${tok.clientSecret}`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.stringify(JSON.parse(r.stdout).result.content)).toContain('simple text response');
    expect(cf.events.find((e) => e.type === 'session.opened')).toMatchObject({ client: tok.clientId });
  });
});
