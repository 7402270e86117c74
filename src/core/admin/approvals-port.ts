import { AdminClient, resolveAdminTarget, type AdminTarget } from './admin-client.js';
import { AttachedGateway, type AttachOptions } from './attach.js';
import type { ApprovalsPort, PinsPort } from './feed.js';

/** Approvals through the admin API (POST /admin/approvals/<id>/approve|deny), recorded as `operator`. */
export function adminApprovals(client: AdminClient, operator: string): ApprovalsPort {
  return {
    operator,
    list: () => client.approvals(),
    decide: (id, verdict, reason) => client.decide(id, verdict, operator, reason),
  };
}

/** Held tools and accepting them through the admin API (`/admin/pins`), recorded as `operator`. */
export function adminPins(client: AdminClient | (() => AdminClient), operator: string): PinsPort {
  const get = typeof client === 'function' ? client : () => client;
  return {
    operator,
    list: async () => get().pins(),
    accept: async (backend, tool) => get().acceptPin(operator, backend, tool),
  };
}

/**
 * Approvals through a gateway's admin API whose address is known only once it listens (serve
 * renders the dashboard before the gateway starts, so the first events are not missed).
 */
export function lazyAdminApprovals(target: () => AdminTarget | undefined, operator: string): ApprovalsPort {
  let client: AdminClient | undefined;
  const get = (): AdminClient => {
    if (client) return client;
    const t = target();
    if (!t) throw new Error('The gateway is not listening yet.');
    return (client = new AdminClient(t));
  };
  return {
    operator,
    list: async () => get().approvals(),
    decide: async (id, verdict, reason) => get().decide(id, verdict, operator, reason),
  };
}

/** Like lazyAdminApprovals, for the catalog view's held tools (serve's in-process dashboard). */
export function lazyAdminPins(target: () => AdminTarget | undefined, operator: string): PinsPort {
  let client: AdminClient | undefined;
  return adminPins(() => {
    if (client) return client;
    const t = target();
    if (!t) throw new Error('The gateway is not listening yet.');
    return (client = new AdminClient(t));
  }, operator);
}

/**
 * Attaches to a running gateway (local run record, or `url` with `token`): checks that its admin API
 * answers with this token, then returns the feed (not yet started) the dashboard renders.
 */
export async function attachToGateway(dir: string, opts: { url?: string; token?: string; operator: string; attach?: AttachOptions }): Promise<AttachedGateway> {
  const target = await resolveAdminTarget(dir, opts);
  const client = new AdminClient(target);
  // Fail before drawing anything: a wrong token or a gateway that is not there is a plain error.
  const status = await client.status();
  // Without --token the run record is the truth: a restarted gateway writes a new token there.
  const resolveTarget = opts.token === undefined ? () => resolveAdminTarget(dir, { url: target.url }) : undefined;
  const feed = new AttachedGateway(client, { ...opts.attach, approvals: adminApprovals(client, opts.operator), pins: adminPins(client, opts.operator), ...(resolveTarget ? { resolveTarget } : {}) });
  feed.startedAt = Date.parse(status.startedAt) || undefined;
  return feed;
}
