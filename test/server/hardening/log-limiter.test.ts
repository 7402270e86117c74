import { describe, expect, it } from 'vitest';
import { LogLimiter } from '../../../src/server/upstream/log-limiter.js';
import { StderrTail } from '../../../src/server/upstream/stderr-tail.js';

describe('LogLimiter', () => {
  it('passes a burst per window, then reports one summary of what it dropped', () => {
    const summaries: Array<[number, number, number]> = [];
    const l = new LogLimiter({ windowMs: 10_000, burst: 3, onSuppressed: (n, w, total) => summaries.push([n, w, total]) });
    const passed = Array.from({ length: 10 }, (_, i) => l.allow(1_000 + i)).filter(Boolean).length;
    expect(passed).toBe(3);
    expect(summaries).toEqual([]);
    // The next window opens with the summary of the last one.
    expect(l.allow(11_001)).toBe(true);
    expect(summaries).toEqual([[7, 10_000, 7]]);
    for (let i = 0; i < 5; i++) l.allow(11_002 + i);
    l.flush();
    expect(summaries).toEqual([
      [7, 10_000, 7],
      [3, 10_000, 10],
    ]);
    expect(l.dropped).toBe(10);
  });
});

describe('StderrTail', () => {
  it('splits lines across chunks, cuts an overlong line once, and keeps a bounded tail', () => {
    const lines: string[] = [];
    const t = new StderrTail({ maxLineBytes: 10, maxTailBytes: 25, onLine: (l) => lines.push(l) });
    t.write('hel');
    t.write('lo\nwor');
    t.write('ld\n');
    t.write('x'.repeat(7));
    t.write('x'.repeat(100_000));
    t.write('x'.repeat(5) + '\nafter\n');
    t.write('partial');
    t.end();
    expect(lines).toEqual(['hello', 'world', `${'x'.repeat(10)}…[cut]`, 'after', 'partial']);
    expect(t.recent(10).length).toBeLessThanOrEqual(25 + 4 * 3);
    expect(t.recent(10)).not.toContain('hello');
  });
});
