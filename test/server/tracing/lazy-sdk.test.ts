// The SDK is loaded only when tracing is on. A real `gatehouse serve` process (from dist/) runs with a
// preload that records every module it loads (module-log.mjs); it serves a call, then stops. Without
// an OTLP endpoint no @opentelemetry module is loaded at all (the API alone would be allowed); with
// one, the NodeSDK is loaded and the same call arrives as spans at the local OTLP/JSON receiver
// (collector.ts, a stand-in for a collector), which also shows `serve` traces end to end.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runStatePath } from '../../../src/core/config/run-state.js';
import type { GatewayState } from '../../../src/server/gateway.js';
import { closeAllClients, connectClient, NODE, probeStdio, ROOT, stopChild, tempDir, until, waitForExit, writeConfig, type TempDir } from '../helpers.js';
import { SpanKindOtlp, startCollector, type Collector } from './collector.js';

const PRELOAD = fileURLToPath(new URL('./module-log.mjs', import.meta.url));

const children: ChildProcess[] = [];
const dirs: TempDir[] = [];
let collector: Collector | undefined;
afterAll(async () => {
  await closeAllClients();
  await Promise.all(children.map((c) => stopChild(c)));
  for (const d of dirs) d.remove();
  await collector?.close();
});

/** Runs serve with one stdio backend, makes one call, stops it; returns the modules it loaded. */
async function serveOneCall(otel: Record<string, string>): Promise<string[]> {
  const dir = tempDir('gatehouse-lazy-sdk-');
  dirs.push(dir);
  const log = join(dir.path, 'modules.log');
  const configFile = writeConfig(dir.path, { probe: probeStdio('legacy') });
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_CONFIG_DIR: dir.path, NO_COLOR: '1', MODULE_LOG_FILE: log, ...otel };
  for (const k of Object.keys(env)) if (k.startsWith('OTEL_') && !(k in otel)) delete env[k];
  delete env.NODE_OPTIONS;
  const child = spawn(NODE, ['--import', PRELOAD, join(ROOT, 'bin', 'run.js'), 'serve', '--config', configFile, '--port', '0', '--no-tui', '--log-level', 'warn'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4_000)));
  const stateFile = runStatePath(dir.path, child.pid!);
  await until(() => existsSync(stateFile), 30_000, `the run-state file (stderr: ${err})`);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as GatewayState;
  await until(async () => (await fetch(state.url.replace(/\/mcp$/, '/readyz')).catch(() => undefined))?.status === 200, 30_000, 'readiness');
  const tc = await connectClient('http-modern', { url: state.url }, { name: 'lazy-check' });
  const res = await tc.client.callTool({ name: 'probe_meta', arguments: {} });
  expect(res.isError).toBeFalsy();
  await tc.close();
  child.kill('SIGTERM');
  expect(await waitForExit(child, 20_000)).toBe(true);
  expect(child.exitCode, `serve exit (stderr: ${err})`).toBe(0);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

/** The @opentelemetry packages among the loaded files (the innermost package of a nested path). */
const otelModules = (lines: string[]) => [...new Set(lines.map((l) => [...l.matchAll(/@opentelemetry\/([^/]+)/g)].pop()?.[1]).filter((m): m is string => Boolean(m)))];

describe('the OpenTelemetry SDK is loaded only when tracing is on', () => {
  it('serve without an OTLP endpoint loads no @opentelemetry module', async () => {
    const lines = await serveOneCall({});
    // The log works: it saw the gateway's own modules and the MCP SDK.
    expect(lines.some((l) => l.includes('/dist/server/gateway.js'))).toBe(true);
    expect(lines.some((l) => l.includes('@modelcontextprotocol/'))).toBe(true);
    expect(lines.some((l) => l.includes('/dist/server/tracing/sdk.js') || l.includes('/dist/server/tracing/spans.js'))).toBe(false);
    expect(otelModules(lines).filter((m) => m !== 'api')).toEqual([]);
  });

  it('serve with OTEL_EXPORTER_OTLP_ENDPOINT loads the NodeSDK and exports the call', async () => {
    collector = await startCollector();
    const lines = await serveOneCall({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_BSP_SCHEDULE_DELAY: '50' });
    expect(otelModules(lines)).toEqual(expect.arrayContaining(['api', 'sdk-node', 'exporter-trace-otlp-http']));
    // Spans still buffered at SIGTERM were flushed by the shutdown.
    const server = await collector.waitFor((s) => s.name === 'tools/call probe_meta' && s.kind === SpanKindOtlp.SERVER, 'SERVER span from serve');
    expect(server.resource['service.name']).toBe('gatehouse');
    expect(collector.spans.some((s) => s.traceId === server.traceId && s.kind === SpanKindOtlp.CLIENT && s.attributes['gatehouse.backend'] === 'probe')).toBe(true);
  });
});
