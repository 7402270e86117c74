/**
 * Reads a secret piped on stdin. One trailing newline is dropped (what `echo` and most editors
 * add); anything else is kept as given.
 */
export async function readSecretFromStream(stream: NodeJS.ReadableStream, maxBytes = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > maxBytes) throw new Error(`stdin is larger than ${maxBytes} bytes; that is not a secret`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}
