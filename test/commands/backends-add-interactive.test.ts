/**
 * Interactive `backends add` in a real pseudo-terminal offers every kind of backend: here a REST
 * backend from a template (with its secret given as a reference and a stored Cloudflare Access
 * token picked from a list), and a remote MCP URL with a header that carries a secret.
 */
import { describe, expect, it, vi } from 'vitest';
import { cliSandbox, hasScript, runCliInTerminal } from '../helpers/cli.js';

vi.setConfig({ testTimeout: 120_000 });
const DOWN = '\x1b[B';
const ENV = { GATEHOUSE_SECRET_STORE: 'file' };

describe.skipIf(!hasScript())('backends add, asked in a terminal', () => {
  it('a REST template: picks the template, asks its secrets as references, and offers the stored tokens', async () => {
    const sb = cliSandbox();
    const token = await sb.run(['tokens', 'add', 'homelab', '--client-id', '5f1c2a9b8e7d6c5b4a3928171615a0b1.access'], { env: ENV, input: '9e8d7c6b5a4938271605f4e3d2c1b0a99e8d7c6b5a4938271605f4e3d2c1b0a9\n' });
    expect(token.code, token.stderr).toBe(0);
    const r = await runCliInTerminal(
      ['backends', 'add', 'argo'],
      [
        { expect: 'How does Gatehouse reach it?', send: `${DOWN}${DOWN}\r` },
        { expect: 'Template', send: `${DOWN}\r` },
        { expect: 'Base URL of the REST API (e.g. ', send: 'https://argocd.example.dev\r' },
        { expect: 'TOKEN: ', send: 'hunter2\r' },
        { expect: 'Give a reference', send: '\x15secret:argocd-token\r' },
        { expect: 'CF_ACCESS_CLIENT_ID (optional)', send: '\r' },
        { expect: 'CF_ACCESS_CLIENT_SECRET (optional)', send: '\r' },
        { expect: 'Cloudflare Access token to send', send: `${DOWN}\r` },
        { expect: 'Added backend "argo"' },
      ],
      { configDir: sb.configDir, env: ENV },
    );
    expect(r.code, r.output).toBe(0);
    const stored = sb.readConfig().backends.argo;
    expect(stored).toMatchObject({ type: 'rest', template: 'argocd', baseUrl: 'https://argocd.example.dev', cfAccessToken: 'homelab' });
    expect(JSON.stringify(stored)).toContain('secret:argocd-token');
    expect(JSON.stringify(stored)).not.toContain('hunter2');
  });

  it('a remote MCP URL with a secret header and no token', async () => {
    const sb = cliSandbox();
    const r = await runCliInTerminal(
      ['backends', 'add', 'docs'],
      [
        { expect: 'How does Gatehouse reach it?', send: `${DOWN}\r` },
        { expect: 'MCP URL', send: 'https://docs.example.dev/mcp\r' },
        { expect: 'A header that carries a secret', send: 'Authorization: secret:docs-token\r' },
        { expect: 'Cloudflare Access token name', send: '\r' },
        { expect: 'Added backend "docs"' },
      ],
      { configDir: sb.configDir, env: ENV },
    );
    expect(r.code, r.output).toBe(0);
    expect(sb.readConfig().backends.docs).toEqual({ type: 'http', url: 'https://docs.example.dev/mcp', headers: { Authorization: 'secret:docs-token' } });
  });
});
