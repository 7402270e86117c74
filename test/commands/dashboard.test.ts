// `gatehouse dashboard` as a user runs it: refused without a terminal, and in a terminal refused
// with a clear error (exit 1 or 4) when no gateway runs or the admin token is wrong, before drawing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir, runCli, runCliInTerminal } from '../helpers/cli.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const dir = makeTempDir();
let gw: TestGateway;

beforeAll(async () => {
  gw = await startGateway({ backends: {} }, { stateDir: dir });
});
afterAll(async () => {
  await gw?.stop();
});

describe('gatehouse dashboard', () => {
  it('needs a terminal (exit 2, says why and what to use instead)', async () => {
    const r = await runCli(['dashboard'], { configDir: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/needs a terminal/);
    expect(r.stderr).toMatch(/approvals list --json/);
  });

  it('in a terminal: a wrong admin token is refused before anything is drawn (exit 4), and the gateway is untouched', async () => {
    const r = await runCliInTerminal(['dashboard', '--url', gw.url, '--token', 'not-the-token'], [], { configDir: dir });
    expect(r.code).toBe(4);
    expect(r.output).toMatch(/admin token/i);
    expect(r.output).not.toContain('not-the-token');
    expect(gw.gateway.eventStream.attached).toBe(0);
    expect((await fetch(gw.url.replace(/\/mcp$/, '/readyz'))).status).toBe(200);
  });

  it('in a terminal: no gateway recorded in the config dir is a clear error (exit 1)', async () => {
    const r = await runCliInTerminal(['dashboard'], [], { configDir: makeTempDir() });
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/No running gateway found/);
    expect(r.output).toMatch(/gatehouse serve/);
  });
});
