// The MCP Inspector's CLI (@modelcontextprotocol/inspector 2.x, `--cli`) as an independent client of
// the gateway, in both protocol eras (`--protocol-era legacy|modern`) over streamable HTTP, and in the
// legacy era over SSE, fronting a 2025 backend (server-everything) and a 2026-07-28 one.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { NODE, ROOT, everythingStdio, modernStdio, tempDir, type TempDir } from './helpers.js';

const INSPECTOR = join(ROOT, 'node_modules', '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('the MCP Inspector CLI through the gateway', () => {
  let gw: TestGateway;
  let home: TempDir;

  // Asynchronously: the gateway that answers runs in this process.
  const inspector = (args: string[]) =>
    new Promise<Run>((resolve) => {
      execFile(
        NODE,
        [INSPECTOR, '--cli', ...args, '--format', 'json', '--quiet'],
        {
          cwd: home.path,
          // The inspector keeps a catalog and client config under HOME; keep them out of the real one.
          env: { ...process.env, HOME: home.path, NO_COLOR: '1', MCP_CATALOG_PATH: join(home.path, 'mcp.json'), MCP_CLIENT_CONFIG_PATH: join(home.path, 'client.json') },
          timeout: 60_000,
        },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const json = (r: Run) => {
    expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
    return JSON.parse(r.stdout) as { result: Record<string, unknown> };
  };

  beforeAll(async () => {
    home = tempDir('gatehouse-inspector-');
    gw = await startGateway({ backends: { ev: everythingStdio(), mod: modernStdio() } });
    await gw.ready();
  });
  afterAll(async () => {
    await gw?.stop();
    home?.remove();
  });

  const cases = [
    { era: 'legacy', path: '/mcp' },
    { era: 'modern', path: '/mcp' },
    { era: 'legacy', path: '/sse' },
  ] as const;

  describe.each(cases)('$era era over $path', ({ era, path }) => {
    const url = () => gw.url.replace(/\/mcp$/, path);
    const base = () => [url(), '--protocol-era', era, ...(path === '/sse' ? ['--transport', 'sse'] : ['--transport', 'http'])];

    it('lists the tools of both backends under their prefixes, in the era asked for', async () => {
      const sessions = () => gw.events.filter((e) => e.type === 'session.opened').length;
      const before = sessions();
      const out = json(await inspector([...base(), '--method', 'tools/list']));
      // A 2025 client opens a session (initialize); a 2026-07-28 client is stateless.
      expect(sessions() - before).toBe(era === 'legacy' ? 1 : 0);
      const names = (out.result.tools as Array<{ name: string }>).map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['ev_echo', 'ev_get-structured-content', 'mod_echo', 'mod_add']));
      expect(names.every((n) => n.startsWith('ev_') || n.startsWith('mod_'))).toBe(true);
    });

    it('calls a tool of the 2025 backend', async () => {
      const out = json(await inspector([...base(), '--method', 'tools/call', '--tool-name', 'ev_echo', '--tool-arg', `message=inspected ${era}`]));
      expect(out.result.content).toEqual([{ type: 'text', text: `Echo: inspected ${era}` }]);
    });

    it('calls a tool of the 2026-07-28 backend, with structured content', async () => {
      const out = json(await inspector([...base(), '--method', 'tools/call', '--tool-name', 'mod_add', '--tool-args-json', '{"a":2,"b":40}']));
      expect(out.result.structuredContent).toEqual({ sum: 42 });
      expect(out.result.content).toEqual([{ type: 'text', text: '42' }]);
    });

    it('gets a prompt, and shows a backend error naming the backend', async () => {
      const ok = json(await inspector([...base(), '--method', 'prompts/get', '--prompt-name', 'mod_greet', '--prompt-args', 'name=Ada']));
      expect(JSON.stringify(ok.result.messages)).toContain('Please greet Ada warmly.');
      const bad = await inspector([...base(), '--method', 'prompts/get', '--prompt-name', 'ev_args-prompt']);
      expect(bad.code).not.toBe(0);
      expect(bad.stdout + bad.stderr).toMatch(/\[ev\] .*(Invalid|argument)/i);
    });
  });

  it('is the client whose calls the gateway recorded', () => {
    const calls = gw.events.filter((e) => e.type === 'call.finished' && e.name === 'mod_add');
    expect(calls).toHaveLength(3);
  });
});
