// `backends test` against a backend whose tools/list breaks the protocol (issue 9, item 1): it used
// to print ✓; now it says what the gateway drops, and still counts the valid tools.
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { cliSandbox, stripAnsi } from '../helpers/cli.js';

const FAULT = fileURLToPath(new URL('../server/fixtures/fault-server.mjs', import.meta.url));

describe('backends test and invalid backend output', () => {
  const sb = cliSandbox();
  afterAll(() => rmSync(sb.configDir, { recursive: true, force: true }));

  it('reports the dropped items instead of a plain pass, and keeps the valid tools', async () => {
    sb.writeConfig({ version: 1, backends: { faulty: { type: 'stdio', command: process.execPath, args: [FAULT, '--mode', 'null-entry'], protocol: 'legacy' } } });
    const r = await sb.run(['backends', 'test', 'faulty']);
    const out = stripAnsi(r.stdout);
    const err = stripAnsi(r.stderr);
    expect(r.code, err).toBe(0);
    expect(out).toMatch(/^! faulty:/m);
    expect(out).not.toMatch(/^✓ faulty/m);
    expect(err).toMatch(/faulty listed 1 invalid tools, which the gateway drops/);
    expect(err).toMatch(/null/);
    const json = await sb.run(['backends', 'test', 'faulty', '--json']);
    const body = JSON.parse(json.stdout) as { counts: { tools: number }; invalid?: { tools?: string[] } };
    expect(body.invalid?.tools).toHaveLength(1);
    // The valid tools (echo, pid, after_null) are still counted.
    expect(body.counts.tools).toBeGreaterThanOrEqual(3);
  });
});
