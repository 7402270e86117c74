import { readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { isProcessAlive } from '../process-alive.js';
import { withFileLock } from './lock.js';

/** What a running `gatehouse serve` writes so local commands can reach its admin API. */
export interface RunState {
  url: string;
  adminUrl: string;
  adminToken: string;
  pid: number;
  startedAt: string;
}

/** One record per gateway process, so two gateways sharing a config dir never overwrite each other. */
export function runStatePath(dir: string, pid: number = process.pid): string {
  return join(dir, 'run', `gateway-${pid}.json`);
}

/** The single record older versions wrote; still read, so a running older gateway is found. */
const LEGACY_RECORD = 'gateway.json';

/** Writes this process's record (0600: it holds the admin token), atomically and under its lock. */
export async function writeRunState(dir: string, state: RunState): Promise<string> {
  const file = runStatePath(dir, state.pid);
  await withFileLock(file, async () => writeFileAtomic(file, JSON.stringify(state, null, 2), { mode: 0o600, keepMode: false }));
  return file;
}

export function removeRunState(file: string): void {
  rmSync(file, { force: true });
}


export interface RunRecord extends RunState {
  file: string;
}

/**
 * Every gateway recorded in `<dir>/run` whose process is alive, oldest first. Records of dead
 * processes (a gateway killed with -9) are removed on the way.
 */
export async function listRunStates(dir: string): Promise<RunRecord[]> {
  const runDir = join(dir, 'run');
  let names: string[];
  try {
    names = readdirSync(runDir).filter((n) => n === LEGACY_RECORD || /^gateway-\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: RunRecord[] = [];
  for (const name of names) {
    const file = join(runDir, name);
    let state: RunState;
    try {
      state = JSON.parse(await readFile(file, 'utf8')) as RunState;
    } catch {
      continue;
    }
    if (typeof state?.adminUrl !== 'string' || typeof state.pid !== 'number') continue;
    if (!isProcessAlive(state.pid)) {
      // Under the record's lock, so a gateway just starting with a reused pid is not removed mid-write.
      await withFileLock(file, async () => {
        try {
          const again = JSON.parse(await readFile(file, 'utf8')) as RunState;
          if (!isProcessAlive(again.pid)) removeRunState(file);
        } catch {
          // gone already
        }
      }).catch(() => {});
      continue;
    }
    out.push({ ...state, file });
  }
  return out.sort((a, b) => (a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : a.pid - b.pid));
}

function normalise(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/(mcp|admin)$/, '');
}

function describe(r: RunState): string {
  return `${r.url} (pid ${r.pid})`;
}

/**
 * The gateway a command talks to: the one at `url` when given, else the only one running. Several
 * running and no `url` is an error that names every one.
 */
export async function readRunState(dir: string, url?: string): Promise<RunState> {
  const running = await listRunStates(dir);
  if (url) {
    const want = normalise(url);
    const match = running.find((r) => normalise(r.url) === want || normalise(r.adminUrl) === want);
    if (match) return match;
    throw new UserError(`No running gateway recorded at ${url}.`, {
      code: 'gateway_not_running',
      hint: running.length
        ? `Running gateways: ${running.map(describe).join(', ')}. Pass one of those URLs to --url.`
        : `Start one with \`gatehouse serve\` (it writes ${join(dir, 'run')}/gateway-<pid>.json); only gateways using this config dir can be reached.`,
    });
  }
  if (running.length === 0) {
    throw new UserError('No running gateway found.', {
      code: 'gateway_not_running',
      hint: `Start one with \`gatehouse serve\` (it writes ${join(dir, 'run')}/gateway-<pid>.json); the command talks to it over its loopback admin API.`,
    });
  }
  if (running.length > 1) {
    throw new UserError(`${running.length} gateways are running with this config dir: ${running.map(describe).join(', ')}.`, {
      code: 'gateway_ambiguous',
      hint: `Pick one with --url, for example --url ${running[0]!.url}.`,
      details: { gateways: running.map((r) => ({ url: r.url, pid: r.pid, startedAt: r.startedAt })) },
    });
  }
  return running[0]!;
}

/** Calls a running gateway's admin API; the token never leaves this machine. */
export async function adminRequest(dir: string, method: 'GET' | 'POST', path: string, opts: { url?: string; body?: unknown } = {}): Promise<unknown> {
  const state = await readRunState(dir, opts.url);
  let res: Response;
  try {
    res = await fetch(`${state.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${state.adminToken}`, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
  } catch {
    throw new UserError(`The gateway recorded at ${state.url} (pid ${state.pid}) does not answer.`, {
      code: 'gateway_not_running',
      hint: 'It may have exited without cleaning up; start it again with `gatehouse serve`.',
    });
  }
  const body = (await res.json().catch(() => ({}))) as { message?: string };
  if (!res.ok) {
    throw new UserError(`The gateway refused ${method} ${path}: ${body.message ?? res.status}`, { code: 'admin_failed' });
  }
  return body;
}
