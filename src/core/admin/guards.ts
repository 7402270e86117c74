/**
 * Shape checks for admin answers. The CLI may talk to a gateway of another version, so an answer
 * is checked before it is typed; a mismatch is a clear error instead of a crash deep in a command.
 */
import type { AdminResponse, AdminRoute } from './contract.js';

type Guard = (body: unknown) => boolean;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'string');

// Only what every gateway version has answered: a command that needs a newer field (toolNames)
// checks it and says so, rather than the whole answer being refused.
const status: Guard = (b) => isObj(b) && Array.isArray(b.backends) && b.backends.every((x) => isObj(x) && typeof x.name === 'string');

const aliases: Guard = (b) => isObj(b) && Array.isArray(b.aliases) && b.aliases.every((a) => isObj(a) && typeof a.alias === 'string' && typeof a.target === 'string');

const refresh: Guard = (b) =>
  isObj(b) && Array.isArray(b.refreshed) && isObj(b.tools) && isStrings(b.tools.added) && isStrings(b.tools.removed) && isStrings(b.tools.changed);

const reload: Guard = (b) =>
  isObj(b) &&
  typeof b.source === 'string' &&
  ((b.applied === true && isObj(b.summary) && ['added', 'removed', 'restarted', 'unchanged', 'settings', 'restartNeeded'].every((k) => isStrings((b.summary as Record<string, unknown>)[k]))) ||
    (b.applied === false && isObj(b.error) && typeof b.error.message === 'string'));

const pinChange = (c: unknown): boolean => isObj(c) && typeof c.backend === 'string' && typeof c.tool === 'string' && typeof c.diff === 'string';
const pins: Guard = (b) => isObj(b) && Array.isArray(b.held) && b.held.every(pinChange);
const pinAccept: Guard = (b) => isObj(b) && Array.isArray(b.accepted) && b.accepted.every(pinChange);

const GUARDS: { [R in AdminRoute]: Guard } = {
  'GET /status': status,
  'GET /aliases': aliases,
  'POST /refresh': refresh,
  'POST /reload': reload,
  'GET /pins': pins,
  'POST /pins/accept': pinAccept,
};

/** Narrows an answer to the route's response type, or says it does not fit. */
export function checkAdminAnswer<R extends AdminRoute>(route: R, body: unknown): body is AdminResponse<R> {
  return GUARDS[route](body);
}
