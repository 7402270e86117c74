/**
 * gateway.auth in gatehouse.yaml: validation (strict keys, the section each mode needs) and
 * `serve` reading it, end to end: a cloudflare-access gateway started from a YAML file behind the
 * Access stand-in, and `--auth-mode jwt` without settings refused as a usage error.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { parseConfigText } from '../../../src/core/config/load.js';
import { UserError } from '../../../src/core/errors.js';
import { BIN, ROOT, childEnv, cliSandbox } from '../../helpers/cli.js';
import { makeServiceToken, startCfAccessStandIn, type CfAccessStandIn } from '../../fixtures/cf-access/stand-in.js';
import { startRecordingProxy, type RecordingProxy } from './helpers.js';

function failure(text: string): UserError {
  try {
    parseConfigText(text, 'gatehouse.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error('expected a failure');
}

describe('gateway.auth config', () => {
  it('accepts each mode with its settings', () => {
    const cfg = parseConfigText(
      'gateway:\n  auth:\n    mode: jwt\n    jwt:\n      issuer: https://id.example.com\n      audience: [https://mcp.example.dev/mcp]\n      jwksUrl: https://id.example.com/jwks\n      scopes: [mcp]\n',
      'gatehouse.yaml',
    );
    expect(cfg.gateway?.auth).toMatchObject({ mode: 'jwt', jwt: { audience: ['https://mcp.example.dev/mcp'], scopes: ['mcp'] } });
    expect(parseConfigText('gateway:\n  auth: {mode: bearer}\n', 'g.yaml').gateway?.auth?.mode).toBe('bearer');
    expect(parseConfigText('gateway:\n  auth: {mode: cloudflare-access, cloudflareAccess: {team: myteam, aud: abc}}\n', 'g.yaml').gateway?.auth?.cloudflareAccess?.team).toBe('myteam');
  });

  it('names the missing section, unknown keys and bad modes with file:line', () => {
    expect(failure('gateway:\n  auth:\n    mode: jwt\n').message).toContain('gatehouse.yaml:2:3: gateway.auth.jwt: mode "jwt" needs jwt: {issuer, audience, jwksUrl}');
    expect(failure('gateway:\n  auth:\n    mode: cloudflare-access\n').message).toContain('mode "cloudflare-access" needs cloudflareAccess: {team, aud}');
    expect(failure('gateway:\n  auth:\n    mode: bearer\n    tokens: [x]\n').message).toContain('gateway.auth.tokens: unknown key "tokens" (allowed here: mode, jwt, cloudflareAccess, roles)');
    expect(failure('gateway:\n  auth:\n    mode: basic\n').message).toMatch(/gateway\.auth\.mode/);
    expect(failure('gateway:\n  auth:\n    mode: jwt\n    jwt: {issuer: not-a-url, audience: x, jwksUrl: https://a/b}\n').message).toMatch(/gateway\.auth\.jwt\.issuer/);
  });
});

describe('serve with gateway.auth', { timeout: 60_000 }, () => {
  const sb = cliSandbox();
  let edge: CfAccessStandIn | undefined;
  let front: RecordingProxy | undefined;
  let child: ReturnType<typeof spawn> | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await edge?.close();
    await front?.close();
  });

  it('--auth-mode jwt without gateway.auth.jwt is a usage error (exit 2) naming the fix', async () => {
    const cfg = join(sb.configDir, 'none.yaml');
    writeFileSync(cfg, 'version: 1\nbackends: {}\n');
    const r = await sb.run(['serve', '--config', cfg, '--port', '0', '--no-tui', '--auth-mode', 'jwt']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Error: Inbound auth mode "jwt" is not configured.');
    expect(r.stderr).toContain('gateway.auth.jwt: {issuer, audience, jwksUrl}');
  });

  it('serves cloudflare-access from the config file: through Access a client gets in, directly it does not', async () => {
    const tok = makeServiceToken();
    front = await startRecordingProxy();
    edge = await startCfAccessStandIn({ upstream: front.url, tokens: [tok], team: 'yamlteam' });
    const cfg = join(sb.configDir, 'cf.yaml');
    writeFileSync(cfg, `version: 1\ngateway:\n  auth:\n    mode: cloudflare-access\n    cloudflareAccess:\n      team: yamlteam\n      aud: ${edge.aud}\n      certsUrl: ${edge.certsUrl}\nbackends: {}\n`);
    child = spawn(process.execPath, [BIN, 'serve', '--config', cfg, '--port', '0', '--no-tui'], { cwd: ROOT, env: childEnv(sb.configDir), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`serve did not listen:\n${out}`)), 20_000);
      const check = () => {
        const m = /listening on (http:\/\/\S+\/mcp)/.exec(out);
        if (m) resolve((clearTimeout(t), m[1]!));
        else setTimeout(check, 50);
      };
      check();
    });
    expect(out).toContain('inbound auth: cloudflare-access (team yamlteam.cloudflareaccess.com');
    front.setTarget(new URL(url).origin);

    const client = new Client({ name: 'yaml-cf', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${edge.url}/mcp`), { requestInit: { headers: { 'CF-Access-Client-Id': tok.clientId, 'CF-Access-Client-Secret': tok.clientSecret } } }));
    expect((await client.listTools()).tools).toEqual([]);
    await client.close();
    const direct = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(direct.status).toBe(403);
    await new Promise((r) => setTimeout(r, 200));
    expect(out).toMatch(/auth\.failed.*cloudflare-access: no Cf-Access-Jwt-Assertion header or CF_Authorization cookie/);
    expect(out).not.toContain(tok.clientSecret);
  });
});
