import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY = 64 * 1024;

/** A JSON object body of at most 64 KiB; undefined when it is larger, not JSON, or not an object. */
export async function readJsonObject<T extends object>(req: IncomingMessage): Promise<Partial<T> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_BODY) return undefined;
    chunks.push(c);
  }
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Partial<T>) : undefined;
  } catch {
    return undefined;
  }
}

/** Writes a JSON answer; true, since a route that sends has handled the request. */
export function sendJson(res: ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  return true;
}
