// Starts Debian's haproxy on 127.0.0.1 in front of one HTTP server, with every inactivity timeout set
// to `idleTimeoutS`, the way a proxy on the real path (Cloudflare, an ingress) cuts idle connections.
// The caller must stop() it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './prometheus.js';

export interface Haproxy {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * `checks`: health-check each server on /healthz and send a request whose server refused the
 * connection to another one (retries + redispatch), as a load balancer in front of replicas does.
 */
export async function startHaproxy(target: { host: string; port: number }, opts: { idleTimeoutS: number; roundRobin?: Array<{ host: string; port: number }>; checks?: boolean }): Promise<Haproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-haproxy-'));
  const port = await freePort();
  const check = opts.checks ? ' check inter 300ms fall 1 rise 2' : '';
  const servers = (opts.roundRobin ?? [target]).map((s, i) => `  server s${i} ${s.host}:${s.port}${check}`).join('\n');
  const t = `${opts.idleTimeoutS}s`;
  const cfg = [
    'global',
    '  maxconn 256',
    'defaults',
    '  mode http',
    '  timeout connect 5s',
    `  timeout client ${t}`,
    `  timeout server ${t}`,
    `  timeout tunnel ${t}`,
    '  timeout http-request 10s',
    'frontend fe',
    `  bind 127.0.0.1:${port}`,
    '  default_backend be',
    'backend be',
    '  balance roundrobin',
    ...(opts.checks ? ['  option httpchk GET /healthz', '  option redispatch 1', '  retries 3'] : []),
    servers,
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, cfg);
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-4_000)));
  const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new Error(`haproxy could not start (${e.message}); install Debian's haproxy (scripts/install-deps.sh)`))));
  const deadline = Date.now() + 15_000;
  for (;;) {
    const up = await Promise.race([
      fetch(`http://127.0.0.1:${port}/healthz`).then(() => true, () => false),
      spawnError,
    ]);
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
