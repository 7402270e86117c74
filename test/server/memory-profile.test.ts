// The memory profile of a serving gateway (src/server/memory.ts): V8's --optimize-for-size is on
// while the gateway is idle (from start until the first call, and again a while after the last)
// and while it holds many sessions, and off for a busy gateway. Real event bus, real V8 flag; the
// switches are read from the profile's onChange hook.
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/events.js';
import { LEAN_FROM_SESSIONS, SPEED_BELOW_SESSIONS, adaptMemoryProfile } from '../../src/server/memory.js';
import { until } from './helpers.js';

const call = (bus: EventBus, n: number) => bus.emit('call.started', { callId: `c${n}`, client: 't', sessionId: 's', method: 'tools/call', name: 'echo', backend: 'b', requestBytes: 10 });
const opened = (bus: EventBus, n: number) => bus.emit('session.opened', { sessionId: `s${n}`, client: 't', era: 'legacy', transport: 'streamable-http' });

describe('memory profile', () => {
  it('is lean while idle, fast from the first call, and lean again after a quiet spell', async () => {
    const bus = new EventBus();
    const seen: Array<[boolean, string]> = [];
    const stop = adaptMemoryProfile({ bus, sessions: () => 0, env: {}, idleAfterMs: 200, onChange: (lean, why) => seen.push([lean, why]) });
    try {
      expect(seen).toEqual([[true, 'idle']]);
      call(bus, 1);
      call(bus, 2);
      expect(seen).toEqual([[true, 'idle'], [false, 'busy']]);
      await until(() => seen.length === 3, 10_000, 'the profile to go lean after the calls stopped');
      expect(seen[2]).toEqual([true, 'idle']);
    } finally {
      stop();
    }
    expect(seen.at(-1)).toEqual([false, 'stopped']);
  });

  it('stays lean while it holds many sessions, calls or not', () => {
    const bus = new EventBus();
    let sessions = 0;
    const seen: Array<[boolean, string]> = [];
    const stop = adaptMemoryProfile({ bus, sessions: () => sessions, env: {}, idleAfterMs: 60_000, onChange: (lean, why) => seen.push([lean, why]) });
    try {
      call(bus, 1);
      expect(seen.at(-1)).toEqual([false, 'busy']);
      sessions = LEAN_FROM_SESSIONS;
      opened(bus, 1);
      expect(seen.at(-1)).toEqual([true, 'sessions']);
      call(bus, 2);
      expect(seen.at(-1)).toEqual([true, 'sessions']);
      sessions = SPEED_BELOW_SESSIONS - 1;
      bus.emit('session.closed', { sessionId: 's1', client: 't', reason: 'deleted' });
      expect(seen.at(-1)).toEqual([false, 'sessions']);
    } finally {
      stop();
    }
  });

  it('never switches with GATEHOUSE_MEMORY_PROFILE=speed', () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    const stop = adaptMemoryProfile({ bus, sessions: () => 1_000, env: { GATEHOUSE_MEMORY_PROFILE: 'speed' }, onChange: (...a) => seen.push(a) });
    opened(bus, 1);
    stop();
    expect(seen).toEqual([]);
  });
});
