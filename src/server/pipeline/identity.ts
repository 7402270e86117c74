import { anonymousIdentity } from '../../core/identity.js';
import type { CallContext, Handler, LocalCall, LocalHandler, Result, Step } from './types.js';

/**
 * Who is calling. The inbound adapter's identity wins (the sessions registry gives one); without it
 * the name comes from authentication, else from the client's own clientInfo.
 */
export const identityStep: Step = {
  name: 'identity',
  handle(call: CallContext, next: Handler): Promise<Result> {
    fillIdentity(call);
    return next(call);
  },
  local(call: LocalCall, next: LocalHandler): Promise<Result> {
    fillIdentity(call);
    return next(call);
  },
};

function fillIdentity(call: CallContext | LocalCall): void {
  call.identity ??= anonymousIdentity(call.authClient ?? call.announcedClient ?? 'client', call.transport === 'stdio' ? 'stdio' : 'none');
}

/** The display name steps and events use; identity always ran before anything reads it. */
export function clientOf(call: CallContext | LocalCall): string {
  return call.identity?.client ?? 'client';
}
