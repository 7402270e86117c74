import { describe, expect, it } from 'vitest';
import { decodeText, encodeText, looksBinary, unifiedDiff } from '../../../src/core/migrate/index.js';

describe('decodeText / encodeText', () => {
  const roundTrip = (bytes: Buffer) => {
    const d = decodeText(bytes);
    if (d.kind !== 'text') throw new Error(d.kind);
    expect(Buffer.from(encodeText(d.text, d.encoding)).equals(bytes)).toBe(true);
    return d;
  };

  it('round-trips UTF-8 with and without BOM, and UTF-16 with BOM', () => {
    expect(roundTrip(Buffer.from('héllo\r\n', 'utf8')).encoding).toBe('utf8');
    const bom = roundTrip(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('x', 'utf8')]));
    expect([bom.encoding, bom.text]).toEqual(['utf8-bom', 'x']);
    const le = roundTrip(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('tool-a 🙂', 'utf16le')]));
    expect([le.encoding, le.text]).toEqual(['utf16le', 'tool-a 🙂']);
    const be = Buffer.from([0xfe, 0xff, 0x00, 0x61, 0x00, 0x62]);
    expect(roundTrip(be).text).toBe('ab');
  });

  it('flags binaries and refuses invalid UTF-8 rather than corrupt it', () => {
    expect(decodeText(Buffer.from([0x61, 0x00, 0x62])).kind).toBe('binary');
    expect(decodeText(Buffer.from([0x61, 0xe9, 0x62])).kind).toBe('undecodable');
    expect(looksBinary(Buffer.from([0xff, 0xfe, 0x61, 0x00]))).toBe(false);
    const lateNul = Buffer.concat([Buffer.alloc(9000, 0x61), Buffer.from([0])]);
    expect(looksBinary(lateNul)).toBe(false);
  });
});

describe('unifiedDiff', () => {
  it('groups changed lines into hunks with context, keeping CRLF out of the output', () => {
    const before = ['l1', 'l2', 'old-a', 'l4', 'l5', 'l6', 'l7', 'l8', 'l9', 'l10', 'old-b', 'l12'].join('\r\n') + '\r\n';
    const after = before.replace('old-a', 'new-a').replace('old-b', 'new-b');
    expect(unifiedDiff('f.yml', before, after, 1)).toBe(
      ['--- a/f.yml', '+++ b/f.yml', '@@ -2,3 +2,3 @@', ' l2', '-old-a', '+new-a', ' l4', '@@ -10,3 +10,3 @@', ' l10', '-old-b', '+new-b', ' l12', ''].join('\n'),
    );
  });

  it('marks a missing final newline and returns nothing for equal texts', () => {
    expect(unifiedDiff('x', 'a', 'b')).toBe('--- a/x\n+++ b/x\n@@ -1,1 +1,1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n');
    expect(unifiedDiff('x', 'same', 'same')).toBe('');
  });
});
