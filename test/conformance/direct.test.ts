// Runs every server scenario of the MCP conformance suite directly against
// the conformance fixture server (no gateway in between). This pins down what
// the fixture itself passes, so a gateway run can be compared against it.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpFixture, type HttpFixture } from '../fixtures/servers/spawn-fixture.js';
import {
  CONFORMANCE_VERSION,
  listServerScenarios,
  runConformance,
  type ConformanceRun,
} from './run-conformance.mjs';

const expected: { conformanceVersion: string; pass: string[] } = JSON.parse(
  readFileSync(new URL('./expected-direct-pass.json', import.meta.url), 'utf8'),
);

describe('conformance suite against the fixture server, directly', () => {
  let fixture: HttpFixture | undefined;
  let run: ConformanceRun;

  beforeAll(async () => {
    fixture = await startHttpFixture('conformance-server');
    run = await runConformance(fixture.url, { suite: 'all', timeoutMs: 150_000 });
  }, 180_000);

  afterAll(async () => {
    await fixture?.stop();
  });

  it('passes every scenario recorded in expected-direct-pass.json', () => {
    const failing = expected.pass
      .filter((name) => run.results[name] !== 'pass')
      .map((name) => ({ name, failures: run.details[name]?.failures ?? ['scenario did not run'] }));
    expect(failing, `failing scenarios (fixture stderr: ${fixture?.stderr().slice(-2000)})`).toEqual([]);
  });

  it('ran every scenario the installed suite lists', async () => {
    const listed: string[] = await listServerScenarios();
    expect(Object.keys(run.results).sort()).toEqual([...listed].sort());
    // A newer suite with scenarios not yet measured should be noticed and recorded.
    expect(listed.filter((name) => !expected.pass.includes(name))).toEqual([]);
    expect(CONFORMANCE_VERSION).toBe(expected.conformanceVersion);
  });

  it('really exercised the server: DNS rebinding, sampling, elicitation and SSE resumption checks ran', () => {
    for (const name of ['dns-rebinding-protection', 'tools-call-sampling', 'tools-call-elicitation', 'server-sse-polling']) {
      expect(run.details[name]?.result, name).toBe('pass');
    }
    // Resumption is only a warning-level check in the suite; make sure it actually resumed.
    const resume = run.details['server-sse-polling']?.checks.find((c) => c.id === 'server-sse-disconnect-resume');
    expect(resume?.status).toBe('SUCCESS');
    const rebinding = run.details['dns-rebinding-protection']?.checks.map((c) => [c.id, c.status]);
    expect(rebinding).toEqual([
      ['localhost-host-rebinding-rejected', 'SUCCESS'],
      ['localhost-host-valid-accepted', 'SUCCESS'],
    ]);
  });
});
