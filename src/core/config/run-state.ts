import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';

/** What a running `gatehouse serve` writes so local commands can reach its admin API. */
export interface RunState {
  url: string;
  adminUrl: string;
  adminToken: string;
  pid: number;
  startedAt: string;
}

export async function readRunState(dir: string): Promise<RunState> {
  const file = join(dir, 'run', 'gateway.json');
  try {
    return JSON.parse(await readFile(file, 'utf8')) as RunState;
  } catch {
    throw new UserError('No running gateway found.', {
      code: 'gateway_not_running',
      hint: `Start one with \`gatehouse serve\` (it writes ${file}); the command talks to it over its loopback admin API.`,
    });
  }
}

/** Calls the running gateway's admin API; the token never leaves this machine. */
export async function adminRequest(dir: string, method: 'GET' | 'POST', path: string): Promise<unknown> {
  const state = await readRunState(dir);
  let res: Response;
  try {
    res = await fetch(`${state.adminUrl}${path}`, { method, headers: { authorization: `Bearer ${state.adminToken}` } });
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
