import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliSandbox } from '../helpers/cli.js';
import { startFixture, type FixtureServer } from '../fixtures/rest/recorder.js';
import { readFileSync } from 'node:fs';

const PROM_SPEC = fileURLToPath(new URL('../fixtures/rest/openapi/prometheus.openapi.yaml', import.meta.url));
const AM_SPEC = fileURLToPath(new URL('../fixtures/rest/openapi/alertmanager.swagger.yaml', import.meta.url));

let specServer: FixtureServer;

beforeAll(async () => {
  specServer = await startFixture((req, res) => {
    if (req.path === '/openapi.yaml') {
      res.writeHead(200, { 'content-type': 'application/yaml' });
      res.end(readFileSync(PROM_SPEC));
    } else if (req.path === '/login') {
      res.writeHead(302, { location: 'https://team.cloudflareaccess.com/cdn-cgi/access/login' });
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html>docs</html>');
    }
  });
});

afterAll(async () => {
  await specServer.close();
});

describe('backends import-openapi', () => {
  it('imports GET operations into a rest backend, lists them, and notes what it skipped', async () => {
    const sb = cliSandbox();
    const r = await sb.run(['backends', 'import-openapi', 'prom', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9090']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^TOOL\s+METHOD\s+PATH\s+DESCRIPTION$/);
    expect(r.stdout).toMatch(/get_label_by_name_values\s+GET\s+\/api\/v1\/label\/\{name\}\/values/);
    expect(r.stderr).toContain('skipped POST /query (queryPost): POST is a write; pass --allow-writes to import it');
    expect(r.stderr).toContain('Added backend "prom" (http://127.0.0.1:9090) with 7 tools.');
    const cfg = sb.readConfig();
    expect(cfg.backends.prom).toMatchObject({ type: 'rest', baseUrl: 'http://127.0.0.1:9090', description: 'Imported from "Prometheus HTTP API (subset)" (' + PROM_SPEC + ')' });
    expect(cfg.backends.prom.tools).toHaveLength(7);
    expect(cfg.backends.prom.allowWrites).toBeUndefined();
  });

  it('--dry-run --json prints the tools and writes nothing; filters apply', async () => {
    const sb = cliSandbox();
    const r = await sb.run(['backends', 'import-openapi', 'am', '--spec', AM_SPEC, '--base-url', 'http://127.0.0.1:9093', '--tag', 'silence', '--allow-writes', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const out = r.json();
    expect(out).toMatchObject({ backend: 'am', version: '2.0', dryRun: true, filtered: 4 });
    expect(out.tools.map((t: { name: string; method: string }) => `${t.method} ${t.name}`)).toEqual(['GET getSilences', 'POST postSilences', 'GET getSilence', 'DELETE deleteSilence']);
    expect(sb.readConfigBytes()).toBeUndefined();
  });

  it('--dry-run says "would replace" for an existing name with --force, and fails as the real run would without it', async () => {
    const sb = cliSandbox();
    const first = await sb.run(['backends', 'import-openapi', 'prom', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9090']);
    expect(first.code).toBe(0);
    const before = sb.readConfigBytes();
    const fresh = await sb.run(['backends', 'import-openapi', 'other', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9090', '--dry-run']);
    expect(fresh.stderr).toContain('Dry run: would add backend "other"');
    const forced = await sb.run(['backends', 'import-openapi', 'prom', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9091', '--dry-run', '--force', '--json']);
    expect(forced.code).toBe(0);
    expect(forced.json()).toMatchObject({ dryRun: true, replaced: true });
    const human = await sb.run(['backends', 'import-openapi', 'prom', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9091', '--dry-run', '--force']);
    expect(human.stderr).toContain('Dry run: would replace backend "prom" (http://127.0.0.1:9091)');
    const refused = await sb.run(['backends', 'import-openapi', 'prom', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9091', '--dry-run']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('A backend named "prom" already exists');
    expect(sb.readConfigBytes()).toEqual(before);
  });

  it('writes are stored with allowWrites', async () => {
    const sb = cliSandbox();
    const r = await sb.run(['backends', 'import-openapi', 'am', '--spec', AM_SPEC, '--base-url', 'http://127.0.0.1:9093', '--operation', '*Silence*', '--allow-writes']);
    expect(r.code).toBe(0);
    expect(sb.readConfig().backends.am).toMatchObject({ allowWrites: true });
  });

  it('nothing left after filtering is an error that says why', async () => {
    const sb = cliSandbox();
    const r = await sb.run(['backends', 'import-openapi', 'am', '--spec', AM_SPEC, '--base-url', 'http://127.0.0.1:9093', '--operation', 'post*']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No operations to import .*2 were skipped \(2 writes\)/);
    expect(r.stderr).toContain('Hint: Pass --allow-writes');
  });

  it('fetches a spec URL through the network guard, and refuses HTML and login redirects', async () => {
    const sb = cliSandbox();
    const ok = await sb.run(['backends', 'import-openapi', 'prom', '--spec', `${specServer.url}/openapi.yaml`, '--json', '--dry-run']);
    expect(ok.code).toBe(0);
    // Without --base-url the spec's absolute server URL is the default.
    expect(ok.json()).toMatchObject({ baseUrl: 'http://prometheus.monitoring.svc:9090', tools: expect.any(Array) });
    expect(ok.json().tools[0].path).toBe('/api/v1/query');
    const html = await sb.run(['backends', 'import-openapi', 'x', '--spec', `${specServer.url}/docs`, '--base-url', 'http://127.0.0.1:1']);
    expect(html.code).toBe(1);
    expect(html.stderr).toContain('returned an HTML page, not an OpenAPI document');
    const login = await sb.run(['backends', 'import-openapi', 'x', '--spec', `${specServer.url}/login`, '--base-url', 'http://127.0.0.1:1']);
    expect(login.stderr).toMatch(/redirects \(HTTP 302\).*Cloudflare Access/s);
  });

  it('a spec URL outside allowedNetworks is blocked with the setting to change', async () => {
    const sb = cliSandbox();
    const blocked = await sb.run(['backends', 'import-openapi', 'x', '--spec', 'http://169.254.169.254/openapi.json', '--base-url', 'http://127.0.0.1:1']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('Error: Cannot fetch http://169.254.169.254/openapi.json: Blocked connection to 169.254.169.254');
    expect(blocked.stderr).toContain('allowedNetworks');
  });

  it('refuses an existing backend name without --force', async () => {
    const sb = cliSandbox();
    expect((await sb.run(['backends', 'import-openapi', 'prom', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9090'])).code).toBe(0);
    const again = await sb.run(['backends', 'import-openapi', 'prom', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9090']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('A backend named "prom" already exists.');
    expect((await sb.run(['backends', 'import-openapi', 'prom', '--spec', PROM_SPEC, '--base-url', 'http://127.0.0.1:9090', '--force'])).stderr).toContain('Replaced backend "prom"');
  });
});
