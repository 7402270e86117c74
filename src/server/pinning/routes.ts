import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PinAcceptResponse, PinsResponse } from '../../core/admin/pins.js';
import type { PinSetting } from '../../core/config/schema.js';
import { sendJson } from '../admin-io.js';
import type { NewToolPolicy, Pins } from './pins.js';
import type { AdminCaller } from '../inbound/admin.js';

/** Whether a backend is pinned (its own `pin`, else `gateway.pin`), and how it treats new tools. */
export function pinPolicy(backend: PinSetting | undefined, gateway: PinSetting | undefined): { newTools: NewToolPolicy } | undefined {
  const own = backend ?? gateway;
  if (!own) return undefined;
  const pick = (p: PinSetting | undefined) => (typeof p === 'object' ? p.newTools : undefined);
  return { newTools: pick(backend) ?? pick(gateway) ?? 'accept' };
}

/** GET /admin/pins[?backend=&tool=] and POST /admin/pins/accept?by=[&backend=&tool=], behind the admin API's checks. */
export async function handlePinRoutes(deps: { pins: Pins; rebuild: () => void }, req: IncomingMessage, res: ServerResponse, path: string, url: URL, caller?: AdminCaller): Promise<boolean> {
  if (path === '/admin/pins' && req.method === 'GET') {
    const body: PinsResponse = { held: deps.pins.changes(url.searchParams.get('backend') ?? undefined, url.searchParams.get('tool') ?? undefined) };
    return sendJson(res, 200, body);
  }
  if (path === '/admin/pins/accept' && req.method === 'POST') {
    // A remote caller (gateway.admin.remote) accepts as who inbound auth says it is.
    const by = caller ? caller.identity.client : url.searchParams.get('by')?.trim();
    if (!by) return sendJson(res, 400, { error: 'bad_request', message: 'Say who accepts: POST /admin/pins/accept?by=<who>[&backend=<name>][&tool=<native name>].' });
    const accepted = await deps.pins.accept(by, url.searchParams.get('backend') ?? undefined, url.searchParams.get('tool') ?? undefined);
    if (accepted.length) deps.rebuild();
    const body: PinAcceptResponse = { accepted };
    return sendJson(res, 200, body);
  }
  if (path === '/admin/pins' || path === '/admin/pins/accept') return sendJson(res, 405, { error: 'method_not_allowed', message: `${req.method} is not allowed on ${path}.` });
  return false;
}
