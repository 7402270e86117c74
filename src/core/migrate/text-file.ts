/** How a text file was stored, so a rewrite can write it back byte for byte the same way. */
export type TextEncoding = 'utf8' | 'utf8-bom' | 'utf16le' | 'utf16be';

export type Decoded =
  | { kind: 'text'; text: string; encoding: TextEncoding }
  /** A NUL byte in the first 8 KiB, as git decides. */
  | { kind: 'binary' }
  /** Neither valid UTF-8 nor UTF-16 with a BOM: left alone rather than risk corrupting it. */
  | { kind: 'undecodable' };

/** How many leading bytes decide whether a file is binary. */
export const BINARY_SNIFF_BYTES = 8192;

function hasBom16(buf: Uint8Array): 'utf16le' | 'utf16be' | undefined {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return 'utf16le';
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return 'utf16be';
  return undefined;
}

/** True for content git would call binary (NUL in the first 8 KiB), except UTF-16 text with a BOM. */
export function looksBinary(head: Uint8Array): boolean {
  if (hasBom16(head)) return false;
  const end = Math.min(head.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < end; i++) if (head[i] === 0) return true;
  return false;
}

function swapBytes(buf: Uint8Array): Buffer {
  const out = Buffer.alloc(buf.length);
  for (let i = 0; i + 1 < buf.length; i += 2) {
    out[i] = buf[i + 1]!;
    out[i + 1] = buf[i]!;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes a file's bytes, remembering BOM and encoding. */
export function decodeText(buf: Uint8Array): Decoded {
  const bom16 = hasBom16(buf);
  if (bom16) {
    if (buf.length % 2 !== 0) return { kind: 'undecodable' };
    const body = buf.subarray(2);
    const le = bom16 === 'utf16le' ? Buffer.from(body) : swapBytes(body);
    return { kind: 'text', text: le.toString('utf16le'), encoding: bom16 };
  }
  if (looksBinary(buf)) return { kind: 'binary' };
  const bom8 = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
  try {
    return { kind: 'text', text: utf8.decode(bom8 ? buf.subarray(3) : buf), encoding: bom8 ? 'utf8-bom' : 'utf8' };
  } catch {
    return { kind: 'undecodable' };
  }
}

/** Encodes text the way decodeText found it. */
export function encodeText(text: string, encoding: TextEncoding): Buffer {
  switch (encoding) {
    case 'utf8':
      return Buffer.from(text, 'utf8');
    case 'utf8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
    case 'utf16le':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16be':
      return Buffer.concat([Buffer.from([0xfe, 0xff]), swapBytes(Buffer.from(text, 'utf16le'))]);
  }
}
