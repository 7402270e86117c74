import { describe, expect, it } from 'vitest';
import { buildBackendConfig } from '../../../src/core/backends/build.js';
import { assertNoLiteralSecrets, findArgSecrets, redactBackend, urlPassword } from '../../../src/core/backends/sensitive.js';
import type { BackendConfig, GatehouseConfig } from '../../../src/core/config/schema.js';

const add = (stdio: string, env?: string[]) => () => buildBackendConfig({ name: 'db', stdio, env });

describe('literal secrets on a stdio command line', () => {
  it('refuses --api-key=…, --token X, -p pw, token-shaped values and URL passwords, naming the fix', () => {
    for (const line of ['mcp-server --api-key=abc123def456', 'mcp-server --token s3cr3t-value', 'psql-mcp -p hunter2', 'srv ghp_abcdefghijklmnopqrstuvwx12', 'pg-mcp postgres://app:pw@db.internal/app']) {
      expect(add(line), line).toThrow(/--stdio: .* a secret given literally/);
    }
    try {
      add('mcp-server --api-key=abc123def456')();
    } catch (e) {
      const err = e as { hint: string; code: string; exit: number };
      expect(err.code).toBe('literal_secret');
      expect(err.exit).toBe(2);
      expect(err.hint).toContain('gatehouse secrets set db-api-key');
      expect(err.hint).toContain('--env DB_API_KEY=secret:db-api-key');
    }
  });

  it('accepts what is not a secret: references, ports, paths, npx -p packages, docker -p ports, user-only URLs', () => {
    for (const line of [
      'mcp-server --api-key=secret:db-key',
      'mcp-server --token env:TOKEN',
      'server -p 8080',
      'npx -y -p @modelcontextprotocol/server-postgres mcp-server-postgres',
      'docker run -p 8080:80 img',
      'srv --key ./key.pem --auth none',
      'pg-mcp postgres://app@db.internal/app',
    ]) {
      expect(add(line), line).not.toThrow();
    }
  });

  it('refuses a password inside an env URL value, whatever the variable is called', () => {
    expect(add('pg-mcp', ['DATABASE_URL=postgres://app:pw@db/app'])).toThrow(/--env DATABASE_URL holds a URL with a password/);
    expect(add('pg-mcp', ['DATABASE_URL=secret:db-url'])).not.toThrow();
    expect(add('pg-mcp', ['DATABASE_URL=postgres://app@db/app'])).not.toThrow();
  });
});

describe('hand-edited configs', () => {
  const cfg = (b: BackendConfig): GatehouseConfig => ({ backends: { db: b } }) as GatehouseConfig;
  const stdio = { type: 'stdio', command: 'pg-mcp', args: ['--password', 'hunter2', '--dsn=postgres://u:pw@db:5432/x', 'plain'], env: { DATABASE_URL: 'postgres://u:pw@db/x' } } as BackendConfig;

  it('config validate refuses args and URL passwords with the path and the fix', () => {
    expect(() => assertNoLiteralSecrets(cfg(stdio), 'gatehouse.yaml')).toThrow(/backends\.db\.args\.1: --password carries a secret on the command line/);
    expect(() => assertNoLiteralSecrets(cfg({ type: 'http', url: 'https://u:pw@mcp.example/mcp' } as BackendConfig), 'g.yaml')).toThrow(/backends\.db\.url: the URL carries a password/);
  });

  it('redaction hides only the secret: the flag, the user and the host stay readable', () => {
    const r = redactBackend('db', stdio) as Extract<BackendConfig, { type: 'stdio' }>;
    expect(r.args).toEqual(['--password', '<redacted>', '--dsn=postgres://u:<redacted>@db:5432/x', 'plain']);
    expect(r.env).toEqual({ DATABASE_URL: 'postgres://u:<redacted>@db/x' });
    const h = redactBackend('db', { type: 'http', url: 'https://u:pw@mcp.example/mcp' } as BackendConfig) as Extract<BackendConfig, { type: 'http' }>;
    expect(h.url).toBe('https://u:<redacted>@mcp.example/mcp');
    expect(JSON.stringify([r, h])).not.toMatch(/hunter2|:pw@/);
  });

  it('urlPassword and findArgSecrets', () => {
    expect(urlPassword('redis://:pw@cache:6379')).toEqual({ redacted: 'redis://:<redacted>@cache:6379' });
    expect(urlPassword('https://host/path?x=a:b@c')).toBeUndefined();
    expect(findArgSecrets(['-p', 'pw'], '/usr/bin/npx')).toEqual([]);
    expect(findArgSecrets(['-p', 'pw'], 'mysql-mcp')).toEqual([{ index: 1, name: '-p', redacted: '<redacted>' }]);
  });
});

describe('list and show', () => {
  it('the target hides secrets in args and URLs', async () => {
    const { summarizeBackend } = await import('../../../src/core/backends/registry.js');
    expect(summarizeBackend('db', { type: 'stdio', command: 'pg-mcp', args: ['--password=hunter2', 'postgres://u:pw@db/x'] } as BackendConfig).target).toBe(
      "pg-mcp '--password=<redacted>' 'postgres://u:<redacted>@db/x'",
    );
    expect(summarizeBackend('r', { type: 'rest', baseUrl: 'https://u:pw@api.example' } as BackendConfig).target).toBe('https://u:<redacted>@api.example');
  });
});
