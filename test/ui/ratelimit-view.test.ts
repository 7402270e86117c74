// What the dashboard shows of rate limits: a limited call is a failed call with the limit's message
// (calls and errors views), and a degraded shared store is a `ratelimit` warning.
import { describe, expect, it } from 'vitest';
import { DashboardModel } from '../../src/ui/store.js';
import { errorsView } from '../../src/ui/errors-view.js';
import { EventBus, gateway } from './events.js';

describe('dashboard: rate limits', () => {
  it('shows a limited call in calls and errors, and a degraded Redis as a ratelimit warning', () => {
    const bus = new EventBus();
    const model = new DashboardModel();
    bus.onAny((e) => model.apply(e));
    const g = gateway(bus);
    const message = 'Rate limit reached: gateway.rateLimits[0] {client=*}: 60 per 60s, burst 10 for client "claude-code". Retry in 4 s.';
    g.call('gh_search', 'gh', { outcome: 'error', error: message });
    bus.emit('ratelimit.limited', { backend: 'gh', tool: 'gh_search', limit: 'gateway.rateLimits[0] {client=*}: 60 per 60s, burst 10' });
    bus.emit('ratelimit.degraded', { reason: 'Redis at 127.0.0.1:6379 is not connected (connect ECONNREFUSED 127.0.0.1:6379)', failOpen: true });
    const s = model.snapshot();
    expect(s.calls.at(-1)).toMatchObject({ name: 'gh_search', outcome: 'error', error: message });
    expect(s.errors.map((e) => [e.kind, e.summary])).toEqual([
      ['call', `gh_search error: ${message}`],
      ['ratelimit', 'rate limits not enforced (fail open): Redis at 127.0.0.1:6379 is not connected (connect ECONNREFUSED 127.0.0.1:6379)'],
    ]);
    expect(s.warnings.map((w) => w.kind)).toEqual(['ratelimit']);
    expect(errorsView.filterFields(s.errors[1]!)).toMatchObject({ kind: 'ratelimit' });
  });
});
