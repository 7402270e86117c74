// A real PostgreSQL server from Debian's postgresql package, started by the test on 127.0.0.1 with a
// free port and a temp data directory, and stopped by the test. PostgreSQL refuses to run as root:
// under root the server runs as the `postgres` system user (spawned with its uid/gid, so the
// postmaster is our direct child and stopping it is one signal), and the temp dir is given to it.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './prometheus.js';

export const PG_BIN = process.env.GATEHOUSE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export function hasPostgres(): boolean {
  return existsSync(join(PG_BIN, 'initdb')) && existsSync(join(PG_BIN, 'postgres'));
}

export interface TestPostgres {
  /** postgres://gh@127.0.0.1:<port>/postgres (trust auth, superuser `gh`). */
  url: string;
  port: number;
  dir: string;
  /** Creates a fresh database and returns its URL (one per test keeps tests apart). */
  createDatabase(name: string): Promise<string>;
  /** Runs one SQL statement as the superuser on the given database URL (default: the server's). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[], url?: string): Promise<T[]>;
  /** Fast shutdown; waits for the postmaster to exit, then removes the data directory. */
  stop(): Promise<void>;
}

interface RunAs {
  uid?: number;
  gid?: number;
}

function runAs(): RunAs {
  if (process.getuid?.() !== 0) return {};
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    throw new Error('Running as root, and there is no `postgres` user to run PostgreSQL as; install the postgresql package (scripts/install-deps.sh).');
  }
}

/** Starts PostgreSQL; fails loudly (naming the fix) when the binaries are missing. */
export async function startPostgres(): Promise<TestPostgres> {
  if (!hasPostgres()) throw new Error(`PostgreSQL binaries not found in ${PG_BIN}; install the postgresql package (scripts/install-deps.sh) or set GATEHOUSE_PG_BIN.`);
  const who = runAs();
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(dir, 'data');
  if (who.uid !== undefined) chownSync(dir, who.uid, who.gid!);
  const opts = { ...who, env: { ...process.env, LC_ALL: 'C', LANG: 'C' } };
  try {
    execFileSync(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'gh', '--auth=trust', '--no-sync', '-E', 'UTF8'], { ...opts, stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const err = e as { stderr?: Buffer };
    throw new Error(`initdb failed: ${err.stderr?.toString() ?? String(e)}`);
  }
  const port = await freePort();
  // fsync off: a test cluster is thrown away, and the machine is shared.
  const child: ChildProcess = spawn(join(PG_BIN, 'postgres'), ['-D', data, '-k', dir, '-h', '127.0.0.1', '-p', String(port), '-c', 'fsync=off', '-c', 'max_connections=60'], {
    ...opts,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (b: Buffer) => {
    log = (log + b.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `postgres://gh@127.0.0.1:${port}/postgres`;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGINT'); // fast shutdown: disconnects clients, no wait for them
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })());
  const query = async <T>(sql: string, params: unknown[] = [], on = url): Promise<T[]> => {
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: on });
    await c.connect();
    try {
      return (await c.query(sql, params)).rows as T[];
    } finally {
      await c.end();
    }
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode} before it accepted connections:\n${log}`);
      try {
        await query('SELECT 1');
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`postgres did not accept connections on port ${port} within 30 s:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    url,
    port,
    dir,
    query,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`database name "${name}" must be lowercase letters, digits and _`);
      await query(`CREATE DATABASE ${name}`);
      return `postgres://gh@127.0.0.1:${port}/${name}`;
    },
    stop,
  };
}
