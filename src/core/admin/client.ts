import { adminRequest } from '../config/run-state.js';
import { UserError } from '../errors.js';
import type { AdminQuery, AdminResponse, AdminRoute } from './contract.js';
import { checkAdminAnswer } from './guards.js';

/**
 * Calls one admin route of the running gateway recorded in `dir` (the one at `opts.url` when several
 * run) and returns its typed answer.
 */
export async function callAdmin<R extends AdminRoute>(dir: string, route: R, query?: AdminQuery<R>, opts: { url?: string } = {}): Promise<AdminResponse<R>> {
  const [method, path] = route.split(' ') as ['GET' | 'POST', string];
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (typeof v === 'string') params.set(k, v);
  const q = params.size ? `?${params.toString()}` : '';
  const body = await adminRequest(dir, method, `${path}${q}`, opts);
  if (!checkAdminAnswer(route, body)) {
    throw new UserError(`The gateway answered ${route} in a shape this CLI does not know.`, {
      code: 'admin_bad_answer',
      hint: 'Is the running gateway the same version as this CLI? Restart `gatehouse serve` with this version.',
    });
  }
  return body;
}
