import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatUptime } from '../../../src/core/log/units.js';

describe('units', () => {
  it('formats durations compactly', () => {
    const cases: Array<[number | undefined, string]> = [
      [undefined, '—'],
      [0, '0ms'],
      [0.4, '<1ms'],
      [12.4, '12ms'],
      [999, '999ms'],
      [1000, '1.0s'],
      [1234, '1.2s'],
      [9960, '10s'],
      [59_400, '59s'],
      [59_600, '1m00s'],
      [125_000, '2m05s'],
      [3_720_000, '1h02m'],
      [90_000_000, '1d01h'],
    ];
    for (const [ms, s] of cases) expect(formatDuration(ms)).toBe(s);
  });

  it('formats sizes compactly', () => {
    const cases: Array<[number, string]> = [
      [0, '0B'],
      [1023, '1023B'],
      [1024, '1K'],
      [1536, '1.5K'],
      [16 * 1024, '16K'],
      [1023.9 * 1024, '1M'],
      [2.34 * 1024 * 1024, '2.3M'],
      [5 * 1024 ** 3, '5G'],
    ];
    for (const [n, s] of cases) expect(formatBytes(n)).toBe(s);
  });

  it('formats uptime as a clock', () => {
    expect(formatUptime(5_000)).toBe('0:05');
    expect(formatUptime(754_000)).toBe('12:34');
    expect(formatUptime(3_723_000)).toBe('1:02:03');
    expect(formatUptime(3 * 86_400_000 + 14_706_000)).toBe('3d 04:05:06');
  });
});
