/**
 * Forwards one request for a 2025 session to the replica that owns it (issue 12). The owner's
 * address comes from its heartbeat in Redis; the request and its answer (a JSON body or an SSE
 * stream) go over plain HTTP, marked with x-gatehouse-forwarded so it is never forwarded again.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { exemptFromTimeouts, rpcError, sendJson } from '../inbound/guards.js';
import { requestIds } from '../inbound/jsonrpc.js';
import { FORWARDED_HEADER } from '../inbound/context.js';

/**
 * Not passed on. Host is: the client's Host already passed this replica's check, and the owner (same
 * config) checks it again, where its own pod IP would not be an allowed host.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'content-length', 'proxy-authorization']);
const agents = { http: new Agent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** The final error a forwarded call gets when its owner stops under it (a server-defined code, as at shutdown). */
export const OWNER_LOST_CODE = -32000;
export const ownerLostMessage = (owner: string) =>
  `The gateway replica that owns this session (${owner}) stopped while this request was in flight; it did not finish. Send it again: another replica takes the session over.`;

export interface ForwardTarget {
  /** The owner's advertised base URL. */
  url: string;
  owner: string;
  /** This replica's id, named in the forwarded-header. */
  self: string;
}

function copyHeaders(h: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

export function forwardRequest(target: ForwardTarget, req: IncomingMessage, res: ServerResponse, body?: { text: string; json: unknown }): Promise<void> {
  const url = new URL(req.url ?? '/mcp', target.url);
  const headers = copyHeaders(req.headers);
  headers[FORWARDED_HEADER] = target.self;
  const payload = body ? Buffer.from(body.text, 'utf8') : undefined;
  if (payload) headers['content-length'] = String(payload.length);
  const ids = body ? requestIds(body.json) : [];
  if (req.method === 'GET') exemptFromTimeouts(req);
  const lost = () => ids.map((id) => ({ jsonrpc: '2.0', id, error: { code: OWNER_LOST_CODE, message: ownerLostMessage(target.owner) } }));
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<void>((resolve) => {
    const out = send(url, { method: req.method, headers, agent: url.protocol === 'https:' ? agents.https : agents.http });
    let finished = false;
    const done = () => {
      if (finished) return;
      finished = true;
      resolve();
    };
    // The client went away: so does the forwarded request (a cancelled stream, a closed call).
    res.once('close', () => {
      if (!res.writableFinished) out.destroy();
      done();
    });
    out.once('error', () => {
      if (!res.headersSent) {
        const errors = lost();
        if (errors.length) sendJson(res, 200, Array.isArray(body?.json) ? errors : errors[0]);
        else sendJson(res, 502, rpcError(OWNER_LOST_CODE, ownerLostMessage(target.owner)));
      } else endWithError(res, []);
      done();
    });
    out.once('response', (answer) => {
      const sse = String(answer.headers['content-type'] ?? '').includes('text/event-stream');
      res.writeHead(answer.statusCode ?? 502, copyHeaders(answer.headers));
      res.flushHeaders();
      answer.on('data', (chunk: Buffer) => res.write(chunk));
      // However the answer stops (its end, or the owner's connection cut), the client's ends too.
      const finish = () => {
        if (answer.complete) res.end();
        else endWithError(res, sse ? lost() : []);
        done();
      };
      answer.once('end', finish);
      answer.once('close', finish);
      answer.once('error', finish);
    });
    out.end(payload);
  });
}

/** The owner died mid-answer: an SSE answer gets a final error per call (`errors`); anything else just ends. */
function endWithError(res: ServerResponse, errors: unknown[]): void {
  if (res.writableEnded || res.destroyed) return;
  for (const e of errors) res.write(`event: message\ndata: ${JSON.stringify(e)}\n\n`);
  res.end();
}
