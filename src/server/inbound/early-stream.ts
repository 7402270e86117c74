import type { IncomingMessage, ServerResponse } from 'node:http';
import { STREAM_HEADERS, writeWebResponse, type StreamBound } from './web.js';

/**
 * A request answered with plain JSON sends nothing until its answer is ready, and a proxy that cuts
 * idle connections (Cloudflare at about 100 s) fails a long call that reports no progress. When the
 * client accepts an event stream and the answer is not ready within one keep-alive interval, the
 * response becomes an event stream at once: headers now, keep-alive comments while the call runs,
 * then the answer as an SSE message (or, when the answer is a stream itself, its events). Both
 * shapes are valid streamable-HTTP answers for a client that accepts both.
 */
export async function writeWhenReady(req: IncomingMessage, res: ServerResponse, answer: Promise<Response>, bound: StreamBound): Promise<void> {
  const ms = bound.keepAliveMs ?? 0;
  if (!ms || !acceptsEventStream(req)) return writeWebResponse(res, await answer, bound);
  let timer: NodeJS.Timeout | undefined;
  const early = new Promise<'early'>((resolve) => {
    timer = setTimeout(() => resolve('early'), ms);
    timer.unref();
  });
  const first = await Promise.race([answer, early]);
  clearTimeout(timer);
  if (first !== 'early') return writeWebResponse(res, first, bound);
  if (res.writableEnded || res.destroyed) {
    await (await answer).body?.cancel().catch(() => undefined);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', ...STREAM_HEADERS });
  res.flushHeaders();
  const keepAlive = setInterval(() => {
    if (!res.destroyed && !res.writableEnded) res.write(': keep-alive\n\n');
  }, ms);
  keepAlive.unref();
  let response: Response;
  try {
    response = await answer;
  } finally {
    clearInterval(keepAlive);
  }
  if (res.writableEnded || res.destroyed) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/event-stream') && response.body) {
    // Already a stream: its events follow the comments (its headers were sent above).
    await copyEvents(res, response.body, bound);
    return;
  }
  const text = await response.text().catch(() => '');
  for (const message of jsonMessages(text)) res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  res.end();
}

function acceptsEventStream(req: IncomingMessage): boolean {
  return String(req.headers.accept ?? '').includes('text/event-stream');
}

function jsonMessages(text: string): unknown[] {
  if (!text.trim()) return [];
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch {
    return [];
  }
}

async function copyEvents(res: ServerResponse, body: ReadableStream<Uint8Array>, bound: StreamBound): Promise<void> {
  const reader = body.getReader();
  res.on('close', () => void reader.cancel().catch(() => undefined));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed || res.writableEnded) break;
      if (res.writableLength > bound.limitBytes) {
        bound.onDropped(res.writableLength);
        res.destroy();
        break;
      }
      res.write(value);
    }
  } catch {
    // the client went away
  } finally {
    if (!res.destroyed) res.end();
  }
}
