// JSON log files: a real gateway (server-everything, plus a backend that prints its secret to
// stderr and keeps failing) logging to a small rotated file while SDK clients call through it;
// then the real `serve --log-file` command, and its refusal of a path it cannot write.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/core/events.js';
import { startFileLog, type FileLog } from '../../../src/core/log/file-sink.js';
import { BIN, childEnv, makeTempDir, runCli } from '../../helpers/cli.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { closeAllClients, connectClient, everythingStdio, NODE, textOf, until, writeConfig } from '../helpers.js';

const SECRET = 'kq7Zx93pLmW44aaVe';
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const MAX_BYTES = 2048;
const KEEP = 2;

function linesOf(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

describe('gateway events in a rotated JSON log file', () => {
  let gw: TestGateway;
  let log: FileLog;
  const dir = makeTempDir('gh-logfile-');
  const path = join(dir, 'events.jsonl');

  beforeAll(async () => {
    process.env.GH_LOGFILE_TEST_TOKEN = SECRET;
    const bus = new EventBus();
    log = startFileLog(bus, { path, maxBytes: MAX_BYTES, files: KEEP, level: 'debug' });
    const leaky = { type: 'stdio' as const, command: NODE, args: ['-e', "console.error('leaking ' + process.env.API_TOKEN); setTimeout(() => process.exit(3), 20)"], env: { API_TOKEN: 'env:GH_LOGFILE_TEST_TOKEN' } };
    gw = await startGateway({ backends: { ev: everythingStdio(), leaky } }, { bus });
    await gw.ready();
  });
  afterAll(async () => {
    await closeAllClients();
    await gw?.stop();
    log?.stop();
    delete process.env.GH_LOGFILE_TEST_TOKEN;
  });

  it('rotates at its size, keeps files.N, and every line is JSON without the secret; request lines carry the trace id', async () => {
    const legacy = await connectClient('http-legacy', { url: gw.url });
    const modern = await connectClient('http-modern', { url: gw.url });
    for (let i = 0; i < 20; i++) {
      for (const tc of [legacy, modern]) {
        const res = await tc.client.callTool({ name: 'ev_echo', arguments: { message: `n${i}` }, _meta: { traceparent: TRACEPARENT } });
        expect(textOf(res)).toBe(`Echo: n${i}`);
      }
    }
    // The failing backend's next stderr line, after the calls, lands in the newest file.
    const seen = gw.events.filter((e) => e.type === 'backend.stderr').length;
    await until(() => gw.events.filter((e) => e.type === 'backend.stderr').length > seen, 15_000, 'the leaky backend to print again');

    const files = readdirSync(dir).sort();
    expect(files).toEqual(['events.jsonl', 'events.jsonl.1', 'events.jsonl.2']);
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(MAX_BYTES);
    // A rotated file was filled up to the line that would have passed the limit.
    expect(statSync(join(dir, 'events.jsonl.1')).size).toBeGreaterThan(MAX_BYTES / 2);
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const all = files.flatMap((f) => linesOf(join(dir, f)));
    const parsed = all.map((l) => JSON.parse(l) as { type: string; level: string; time: string; traceId?: string; line?: string });
    for (const p of parsed) expect(p).toMatchObject({ type: expect.any(String), level: expect.any(String), time: expect.any(String) });
    expect(all.join('\n')).not.toContain(SECRET);
    expect(parsed.filter((p) => p.type === 'call.finished').length).toBeGreaterThan(3);
    expect(parsed.filter((p) => p.type === 'call.finished' && p.traceId !== TRACE_ID)).toEqual([]);
    expect(parsed.filter((p) => p.type === 'call.started').every((p) => p.traceId === TRACE_ID)).toBe(true);
    const leak = linesOf(path).map((l) => JSON.parse(l) as { type: string; line?: string }).find((p) => p.type === 'backend.stderr');
    expect(leak?.line).toBe('leaking [REDACTED]');
  });
});

describe('serve --log-file', () => {
  it('writes JSON lines from start to stop', async () => {
    const dir = makeTempDir('gh-serve-log-');
    const config = writeConfig(dir, {}, { port: 0 });
    const file = join(dir, 'serve.jsonl');
    const child = spawn(NODE, [BIN, 'serve', '--config', config, '--no-tui', '--log-file', file], { env: childEnv(dir), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until(() => existsSync(file) && readFileSync(file, 'utf8').includes('"gateway.listening"'), 30_000, `serve to log gateway.listening\n${out}`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const types = linesOf(file).map((l) => (JSON.parse(l) as { type: string }).type);
    expect(types[0]).toBe('gateway.listening');
    expect(types.at(-1)).toBe('gateway.stopped');
  });

  it('refuses a log file it cannot write, before serving anything', async () => {
    const dir = makeTempDir('gh-serve-log-bad-');
    const config = writeConfig(dir, {}, { port: 0 });
    const r = await runCli(['serve', '--config', config, '--no-tui', '--log-file', join(dir, 'missing', 'x.jsonl')], { configDir: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Cannot open log file ${join(dir, 'missing', 'x.jsonl')}: the folder ${join(dir, 'missing')} does not exist.`);
    expect(r.stderr).toMatch(/--log-file/);
    expect(r.stdout).not.toContain('listening');
    expect(existsSync(join(dir, 'run'))).toBe(false);
  });
});
