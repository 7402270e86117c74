// The conformance suite's server scenarios through Gatehouse, fronting the conformance fixture as its
// only backend (prefix mode `never`, so the suite finds its tool names). Every scenario that passes
// directly must pass through the gateway; the few known exceptions are pinned in
// gateway-baseline.json and the test fails if that list grows.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpFixture, stdioFixtureCommand, type HttpFixture } from '../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { runConformance, type ConformanceRun } from './run-conformance.mjs';

const direct: { pass: string[] } = JSON.parse(readFileSync(new URL('./expected-direct-pass.json', import.meta.url), 'utf8'));
const baseline: { failThroughGateway: Record<string, string> } = JSON.parse(readFileSync(new URL('./gateway-baseline.json', import.meta.url), 'utf8'));

for (const backendKind of ['stdio', 'http'] as const) {
  describe(`conformance through the gateway (conformance fixture over ${backendKind})`, () => {
    let fixture: HttpFixture | undefined;
    let gw: TestGateway;
    let run: ConformanceRun;

    beforeAll(async () => {
      let backend;
      if (backendKind === 'stdio') {
        const { command, args } = stdioFixtureCommand('conformance-server');
        backend = { type: 'stdio' as const, command, args };
      } else {
        fixture = await startHttpFixture('conformance-server');
        backend = { type: 'http' as const, url: fixture.url, transport: 'streamable-http' as const };
      }
      gw = await startGateway({ backends: { conformance: backend } }, { prefixMode: 'never' });
      await gw.ready();
      expect(gw.gateway.upstreams[0]!.state).toBe('ready');
      run = await runConformance(gw.url, { suite: 'all', timeoutMs: 150_000 });
    }, 200_000);

    afterAll(async () => {
      await gw?.stop();
      await fixture?.stop();
    });

    it('passes every scenario that passes directly, except the pinned baseline', () => {
      const failing = direct.pass.filter((name) => run.results[name] !== 'pass');
      const unexpected = failing.filter((name) => !(name in baseline.failThroughGateway));
      expect(
        unexpected.map((name) => ({ name, failures: run.details[name]?.failures ?? ['did not run'] })),
        'scenarios failing through the gateway that are not in gateway-baseline.json',
      ).toEqual([]);
    });

    it('checks DNS-rebinding protection on the gateway itself', () => {
      expect(run.details['dns-rebinding-protection']?.result).toBe('pass');
    });
  });
}
