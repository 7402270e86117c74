// The approvals commands as a user runs them, on the failure paths: no gateway, unknown plan, bad input.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir, runCli } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';

vi.setConfig({ testTimeout: 60_000 });

let gw: TestGateway;
const dir = makeTempDir();

beforeAll(async () => {
  gw = await startGateway({ backends: {} }, { stateDir: dir });
});
afterAll(async () => {
  await gw?.stop();
});

describe('gatehouse approvals, failures', () => {
  it('without a running gateway says so and how to start one', async () => {
    const r = await runCli(['approvals', 'list'], { configDir: makeTempDir() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No running gateway found[\s\S]*gatehouse serve/);
  });

  it('an unknown plan id is a clear error, also under --json', async () => {
    const r = await runCli(['approvals', 'approve', 'plan_missing', '--yes'], { configDir: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No plan "plan_missing"/);
    const j = await runCli(['approvals', 'show', 'plan_missing', '--json'], { configDir: dir });
    expect(j.code).toBe(1);
    expect(j.json().error).toMatchObject({ code: 'plan_not_found', message: 'No plan "plan_missing".' });
  });

  it('a bad --since is a usage error; an empty store lists nothing', async () => {
    const r = await runCli(['approvals', 'log', '--since', 'yesterday-ish'], { configDir: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--since "yesterday-ish" is not a date/);
    const l = await runCli(['approvals', 'list', '--json'], { configDir: dir });
    expect(l.code, l.stderr).toBe(0);
    expect(l.json()).toEqual({ plans: [] });
  });
});
