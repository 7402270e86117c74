import { describe, expect, it } from 'vitest';
import type { GatewayEvent } from '../../src/core/events.js';
import { matchesFilter } from '../../src/ui/filter.js';
import { applyNoColor } from '../../src/ui/no-color.js';
import { RingBuffer } from '../../src/ui/ring-buffer.js';
import { DashboardModel } from '../../src/ui/store.js';
import { cleanBlock, wrapText } from '../../src/ui/text.js';

let at = 1_000_000;
function ev<E extends GatewayEvent>(e: Omit<E, 'at'>): GatewayEvent {
  return { ...e, at: at++ } as GatewayEvent;
}

describe('DashboardModel bounds', () => {
  it('keeps memory bounded however many events arrive', () => {
    const m = new DashboardModel({ maxCalls: 100, maxErrors: 50, maxWarnings: 10, stderrLines: 5, historyLength: 8 });
    for (let i = 0; i < 20_000; i++) {
      m.apply(ev({ type: 'call.started', callId: `c${i}`, client: 'bench', method: 'tools/call', name: `t${i % 7}`, backend: 'b', requestBytes: 10 }));
      m.apply(ev({ type: 'call.finished', callId: `c${i}`, client: 'bench', method: 'tools/call', name: `t${i % 7}`, backend: 'b', durationMs: 1, outcome: i % 3 === 0 ? 'error' : 'ok', responseBytes: 10, error: i % 3 === 0 ? 'x'.repeat(100_000) : undefined }));
      if (i % 10 === 0) m.apply(ev({ type: 'backend.stderr', backend: 'b', line: `line ${i}` }));
      if (i % 10 === 0) m.apply(ev({ type: 'backend.state', backend: 'b', state: i % 20 === 0 ? 'failed' : 'starting', reason: `r${i}` }));
      if (i % 10 === 0) m.apply(ev({ type: 'session.opened', sessionId: `s${i}`, client: 'c', era: 'legacy', transport: 'sse' }));
      if (i % 10 === 0) m.apply(ev({ type: 'session.closed', sessionId: `s${i}`, client: 'c' }));
      if (i % 5 === 0) m.apply(ev({ type: 'alias.used', alias: 'a', target: 't', client: 'c', expired: false }));
    }
    const s = m.snapshot();
    expect(s.calls).toHaveLength(100);
    expect(s.calls.at(-1)?.callId).toBe('c19999');
    expect(s.errors).toHaveLength(50);
    expect(s.warnings).toHaveLength(10);
    expect(s.backends[0]!.stderrTail).toEqual(['line 19950', 'line 19960', 'line 19970', 'line 19980', 'line 19990']);
    expect(s.backends[0]!.history).toHaveLength(8);
    expect(s.sessionList.length).toBeLessThanOrEqual(100);
    expect(s.aliases).toEqual([expect.objectContaining({ alias: 'a', uses: 4000 })]);
    expect(s.totals.total).toBe(20_000);
    // Whole error text is kept, but a hostile size is still capped.
    expect(s.errors.at(-1)!.text.length).toBeLessThanOrEqual(4000);
    expect(s.inFlight).toBe(0);
  });

  it('counts restarts, derives the era from the protocol, and records the retry in the history', () => {
    const m = new DashboardModel();
    m.apply(ev({ type: 'backend.state', backend: 'b', state: 'starting' }));
    m.apply(ev({ type: 'backend.state', backend: 'b', state: 'ready', protocolVersion: '2025-11-25' }));
    m.apply(ev({ type: 'backend.state', backend: 'b', state: 'failed', reason: 'exit 1', retryInMs: 2000 }));
    m.apply(ev({ type: 'backend.state', backend: 'b', state: 'starting' }));
    m.apply(ev({ type: 'backend.state', backend: 'b', state: 'ready', protocolVersion: '2026-07-28' }));
    const b = m.snapshot().backends[0]!;
    expect(b.restarts).toBe(1);
    expect(b.era).toBe('modern');
    expect(b.history.map((h) => h.state)).toEqual(['starting', 'ready', 'failed', 'starting', 'ready']);
    const failed = b.history[2]!;
    expect(failed.reason).toBe('exit 1');
    expect(failed.retryAt! - failed.at).toBe(2000);
  });

  it('folds catalog diffs into entries and accepts the reshaped session payload (id instead of sessionId)', () => {
    const m = new DashboardModel();
    m.apply(ev({ type: 'catalog.changed', kind: 'tools', diff: { added: ['a_x', 'a_y'], removed: [], changed: [] }, total: 2 }));
    m.apply(ev({ type: 'catalog.changed', kind: 'tools', diff: { added: [], removed: ['a_x'], changed: ['a_y'] }, total: 1, entries: [{ name: 'a_y', description: 'Why', schema: { type: 'object' } }] }));
    const entries = m.snapshot().catalogEntries;
    expect(entries.map((e) => e.name)).toEqual(['a_y']);
    expect(entries[0]).toMatchObject({ description: 'Why', schema: '{\n  "type": "object"\n}' });
    m.apply({ type: 'session.opened', id: 'n1', client: 'c', era: 'modern', transport: 'streamable-http', at: at++ } as unknown as GatewayEvent);
    expect(m.snapshot().sessions).toEqual({ open: 1, legacy: 0, modern: 1 });
    m.apply({ type: 'session.closed', id: 'n1', client: 'c', reason: 'client closed', at: at++ } as unknown as GatewayEvent);
    expect(m.snapshot().sessionList[0]).toMatchObject({ id: 'n1', closeReason: 'client closed' });
  });

  it('redacts secrets in call text and arguments', () => {
    const m = new DashboardModel();
    m.apply(ev({ type: 'call.started', callId: 'c', client: 'x', method: 'tools/call', name: 't', requestBytes: 1, arguments: { token: 'abc', q: 'Bearer sk-secret-1' } }));
    m.apply(ev({ type: 'call.finished', callId: 'c', client: 'x', method: 'tools/call', name: 't', durationMs: 1, outcome: 'error', responseBytes: 0, error: 'denied for Authorization: Bearer sk-secret-2\nsecond line' }));
    const c = m.snapshot().calls[0]!;
    expect(JSON.stringify(c)).not.toMatch(/sk-secret|"abc"/);
    expect(c.error).toContain('\nsecond line');
  });
});

describe('ui helpers', () => {
  it('RingBuffer keeps the newest items in order', () => {
    const r = new RingBuffer<number>(3);
    for (let i = 0; i < 10; i++) r.push(i);
    expect(r.toArray()).toEqual([7, 8, 9]);
    expect(r.last()).toBe(9);
    expect(r.size).toBe(3);
  });

  it('matchesFilter: every term must match, field:value narrows to one field', () => {
    const f = { tool: 'github_search', backend: 'github', client: 'claude-code', outcome: 'error' };
    expect(matchesFilter(f, '')).toBe(true);
    expect(matchesFilter(f, 'GIT')).toBe(true);
    expect(matchesFilter(f, 'git claude')).toBe(true);
    expect(matchesFilter(f, 'git cursor')).toBe(false);
    expect(matchesFilter(f, 'outcome:err')).toBe(true);
    expect(matchesFilter(f, 'outcome:ok')).toBe(false);
    expect(matchesFilter(f, 'backend:claude')).toBe(false);
  });

  it('wrapText wraps at spaces and keeps line breaks; cleanBlock strips escapes', () => {
    expect(wrapText('aaaa bbbb cccc', 10)).toEqual(['aaaa bbbb', 'cccc']);
    expect(wrapText('x'.repeat(25), 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
    expect(wrapText('a\n\nb', 10)).toEqual(['a', '', 'b']);
    expect(cleanBlock('\u001b[31mred\u001b[0m\r\nnext\u0007')).toBe('red\nnext');
  });

  it('NO_COLOR turns colour off unless FORCE_COLOR says otherwise', () => {
    const a: NodeJS.ProcessEnv = { NO_COLOR: '1' };
    expect(applyNoColor(a)).toBe(true);
    expect(a.FORCE_COLOR).toBe('0');
    const b: NodeJS.ProcessEnv = { NO_COLOR: '1', FORCE_COLOR: '1' };
    expect(applyNoColor(b)).toBe(false);
    expect(b.FORCE_COLOR).toBe('1');
    expect(applyNoColor({ NO_COLOR: '' })).toBe(false);
  });
});

describe('DashboardModel and the gateway hardening events', () => {
  it('shows dropped backend items, warnings, suppressed lines and an unapplied config in warnings and the error history', () => {
    const m = new DashboardModel({});
    m.apply(ev({ type: 'backend.invalid', backend: 'faulty', kind: 'tools', dropped: 2, reasons: ['#0: item is null, not an object', 'no_schema: inputSchema: expected object'] }));
    m.apply(ev({ type: 'backend.warning', backend: 'faulty', message: 'could not listen for list changes' }));
    m.apply(ev({ type: 'backend.suppressed', backend: 'faulty', source: 'log', count: 4812, windowMs: 10_000, totalDropped: 4812 }));
    m.apply(ev({ type: 'config.invalid', source: '/etc/gatehouse/gatehouse.yaml', trigger: 'watch', error: 'gatehouse.yaml:5:5: backends.alpha.comand: unknown key', hint: 'Did you mean "command"?' }));
    const s = m.snapshot();
    const lines = s.warnings.map((w) => w.message);
    expect(lines[0]).toBe('faulty: dropped 2 invalid tools: #0: item is null, not an object');
    expect(lines).toContain('faulty: could not listen for list changes');
    expect(lines).toContain('faulty: 4812 more log lines in the last 10 s (4812 dropped so far)');
    expect(lines.at(-1)).toMatch(/^config not applied \(\/etc\/gatehouse\/gatehouse\.yaml\): gatehouse\.yaml:5:5/);
    const invalid = s.errors.find((e) => e.summary.startsWith('faulty: dropped'))!;
    expect(invalid.text).toContain('no_schema: inputSchema: expected object');
    expect(s.errors.at(-1)!.text).toContain('Did you mean "command"?');
  });
});

describe('DashboardModel held tools (pinning)', () => {
  it('adds a row on catalog.pin_held, takes the diff (redacted) from the admin list, drops it on catalog.pin_accepted', () => {
    const m = new DashboardModel();
    m.apply(ev({ type: 'catalog.pin_held', backend: 'files', tool: 'read_logs', reason: 'changed', changes: ['description', 'annotations'] }));
    let s = m.snapshot();
    expect(s.pins).toHaveLength(1);
    expect(s.pins[0]).toMatchObject({ backend: 'files', tool: 'read_logs', reason: 'changed', changes: ['description', 'annotations'] });
    expect(s.pins[0]!.diff).toBeUndefined();
    const unchanged = s.pins;
    expect(m.snapshot().pins).toBe(unchanged); // rebuilt only after a change
    m.setPins([
      { backend: 'files', tool: 'read_logs', reason: 'changed', changes: ['description'], since: new Date(5000).toISOString(), fingerprint: 'f2', acceptedFingerprint: 'f1', diff: '-  "description": "Reads logs",\n+  "description": "Send Authorization: Bearer sk-live-secret-123",' },
      { backend: 'alpha', tool: 'new_tool', reason: 'new', changes: [], since: new Date(6000).toISOString(), fingerprint: 'f3', diff: '+{}' },
    ]);
    s = m.snapshot();
    expect(s.pins.map((p) => `${p.backend}/${p.tool}`)).toEqual(['alpha/new_tool', 'files/read_logs']);
    expect(s.pins[1]!.diff).toContain('-  "description": "Reads logs",');
    expect(s.pins[1]!.diff).not.toContain('sk-live-secret-123');
    m.apply(ev({ type: 'catalog.pin_accepted', backend: 'files', tool: 'read_logs', by: 'ops' }));
    expect(m.snapshot().pins.map((p) => p.tool)).toEqual(['new_tool']);
  });
});
