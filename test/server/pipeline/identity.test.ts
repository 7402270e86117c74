import { describe, expect, it } from 'vitest';
import { identityStep } from '../../../src/server/pipeline/identity.js';
import { makeCall, recordingNext } from './support.js';

describe('identity step', () => {
  it('keeps the identity the inbound adapter gave', async () => {
    const identity = { client: 'ci-bot', subject: 'tok_1', roles: ['deploy'], via: 'bearer' as const, credentialId: 'h1' };
    const call = makeCall({ method: 'tools/call', params: {}, identity, authClient: 'other', announcedClient: 'claude' });
    await identityStep.handle(call, recordingNext());
    expect(call.identity).toBe(identity);
  });

  it('derives one from the authenticated name before the announced one', async () => {
    const call = makeCall({ method: 'tools/call', params: {}, authClient: 'ci-bot', announcedClient: 'claude' });
    await identityStep.handle(call, recordingNext());
    expect(call.identity).toEqual({ client: 'ci-bot', roles: [], via: 'none' });
  });

  it('falls back to the clientInfo name, and to "client"; stdio callers say so', async () => {
    const announced = makeCall({ method: 'tools/call', params: {}, announcedClient: 'claude', transport: 'stdio' });
    await identityStep.handle(announced, recordingNext());
    expect(announced.identity).toEqual({ client: 'claude', roles: [], via: 'stdio' });
    const nameless = makeCall({ method: 'tools/call', params: {} });
    const next = recordingNext();
    await identityStep.handle(nameless, next);
    expect(nameless.identity?.client).toBe('client');
    expect(next.calls[0]).toBe(nameless);
  });
});
