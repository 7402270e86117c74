// The registry alone, with an injected clock: LRU eviction of idle sessions only, refusal when
// every session under a cap is busy, idle expiry, and the events and hooks a session's end fires.
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus, type GatewayEvent } from '../../../src/core/events.js';
import { anonymousIdentity, type Identity } from '../../../src/core/identity.js';
import { SessionRegistry, type SessionCloseReason } from '../../../src/server/sessions.js';

let registry: SessionRegistry | undefined;
afterEach(() => registry?.dispose());

function setup(limits: { idleTimeout?: number; max?: number; maxPerClient?: number }) {
  let now = 1_000_000;
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.onAny((e) => events.push(e));
  const ended: Array<[string, SessionCloseReason]> = [];
  const reg = new SessionRegistry(bus, limits, () => now);
  registry = reg;
  reg.onEnded = (s, reason) => ended.push([s.id, reason]);
  const ends: string[] = [];
  const open = (id: string, identity: Identity = anonymousIdentity(`client-${id}`)) => {
    const refusal = reg.admit(identity);
    if (refusal) return refusal;
    return reg.open({ id, era: 'legacy', transport: 'streamable-http', identity, end: () => ends.push(id) });
  };
  return { reg, events, ended, ends, open, tick: (ms: number) => (now += ms) };
}

describe('SessionRegistry', () => {
  it('evicts the least recently used idle session at the cap, and traffic refreshes a session', () => {
    const { reg, open, tick, ends, events } = setup({ max: 3 });
    open('a');
    tick(1);
    open('b');
    tick(1);
    open('c');
    tick(1);
    reg.touch('a');
    open('d');
    expect(ends).toEqual(['b']);
    expect(reg.get('b')).toBeUndefined();
    expect([...reg.sessions()].map((s) => s.id)).toEqual(['c', 'a', 'd']);
    expect(events.filter((e) => e.type === 'session.closed')).toMatchObject([{ sessionId: 'b', reason: 'evicted' }]);
    expect(reg.size).toBe(3);
  });

  it('never evicts a session with a call in flight or an open stream, and refuses when all are busy', () => {
    const { reg, open, ends, events } = setup({ max: 2 });
    open('a');
    open('b');
    const endCall = reg.beginCall('a');
    const endStream = reg.openStream('b');
    const refusal = open('c');
    expect(refusal).toMatchObject({ limit: 'max', cap: 2, retryAfterSec: 5 });
    expect('message' in refusal && refusal.message).toMatch(/gateway\.sessions\.max \(2\)/);
    expect(ends).toEqual([]);
    expect(events.some((e) => e.type === 'session.refused' && e.limit === 'max')).toBe(true);
    endCall();
    endCall(); // idempotent
    expect(reg.get('a')?.inFlight).toBe(0);
    open('c');
    expect(ends).toEqual(['a']);
    endStream();
    expect(reg.get('b')?.streams).toBe(0);
  });

  it('caps sessions per client, evicting that client\'s own idle sessions first', () => {
    const { reg, open, ends } = setup({ max: 100, maxPerClient: 2 });
    const alice = anonymousIdentity('alice');
    open('other', anonymousIdentity('bob'));
    open('a1', alice);
    open('a2', alice);
    open('a3', alice);
    expect(ends).toEqual(['a1']);
    reg.beginCall('a2');
    reg.beginCall('a3');
    expect(open('a4', alice)).toMatchObject({ limit: 'maxPerClient', cap: 2 });
    expect(reg.get('other')).toBeDefined();
  });

  it('counts per credential, so two tokens of one name are two clients', () => {
    const { open, ends } = setup({ maxPerClient: 1 });
    open('t1', { client: 'laptop', roles: [], via: 'bearer', credentialId: 'token:one' });
    open('t2', { client: 'laptop', roles: [], via: 'bearer', credentialId: 'token:two' });
    expect(ends).toEqual([]);
  });

  it('expires idle sessions after idleTimeout, but not busy ones', () => {
    const { reg, open, tick, ended } = setup({ idleTimeout: 60 });
    open('idle');
    open('busy');
    open('streaming');
    reg.beginCall('busy');
    reg.openStream('streaming');
    tick(59_000);
    expect(reg.sweep()).toBe(0);
    tick(2_000);
    expect(reg.sweep()).toBe(1);
    expect(ended).toEqual([['idle', 'expired']]);
    expect(reg.size).toBe(2);
  });

  it('expires on its own timer with a short idleTimeout', async () => {
    const bus = new EventBus();
    const closed: GatewayEvent[] = [];
    bus.on('session.closed', (e) => closed.push(e));
    const reg = new SessionRegistry(bus, { idleTimeout: 0.2 });
    registry = reg;
    reg.open({ id: 'x', era: 'legacy', transport: 'sse', identity: anonymousIdentity('c') });
    const deadline = Date.now() + 5_000;
    while (!closed.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(closed).toMatchObject([{ sessionId: 'x', reason: 'expired' }]);
  });

  it('lists stateless requests without counting them against the caps', () => {
    const { reg, open } = setup({ max: 1 });
    reg.open({ era: 'modern', transport: 'stateless', identity: anonymousIdentity('m') });
    expect(reg.size).toBe(0);
    expect(open('a')).toMatchObject({ id: 'a' });
    expect(reg.list().map((s) => s.transport).sort()).toEqual(['stateless', 'streamable-http']);
  });

  it('answers every pending call through the peers at shutdown', async () => {
    const { reg, open } = setup({});
    open('a');
    const told: string[] = [];
    reg.open({
      id: 'p',
      era: 'legacy',
      transport: 'sse',
      identity: anonymousIdentity('p'),
      peer: { notifyListChanged: () => undefined, notifyResourceUpdated: () => undefined, failPending: async (m) => (told.push(m ?? 'default'), 2) },
    });
    expect(await reg.failPending('gateway shutting down')).toBe(2);
    expect(told).toEqual(['gateway shutting down']);
  });
});
