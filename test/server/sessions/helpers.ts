// Raw 2025-era session traffic (fetch, no SDK client), so a test controls exactly when a session
// is busy, idle or abandoned.
export const ACCEPT = 'application/json, text/event-stream';

export interface RawReply {
  status: number;
  headers: Headers;
  /** JSON-RPC messages from a JSON body or from SSE `data:` lines. */
  messages: Array<Record<string, unknown>>;
  text: string;
}

export async function rpc(url: string, body: unknown, sessionId?: string, extra: Record<string, string> = {}): Promise<RawReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: ACCEPT, ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } : {}), ...extra },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, messages: parseMessages(text) };
}

export function parseMessages(text: string): Array<Record<string, unknown>> {
  const t = text.trim();
  if (!t) return [];
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      const j = JSON.parse(t) as unknown;
      return (Array.isArray(j) ? j : [j]) as Array<Record<string, unknown>>;
    } catch {
      return [];
    }
  }
  return t
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)) as Record<string, unknown>);
}

let seq = 0;
export function initializeBody(name: string): Record<string, unknown> {
  return { jsonrpc: '2.0', id: ++seq, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name, version: '1.0.0' } } };
}

/** Opens a 2025 session and completes the handshake; returns its id. */
export async function openSession(url: string, name: string, extra: Record<string, string> = {}): Promise<string> {
  const r = await rpc(url, initializeBody(name), undefined, extra);
  const id = r.headers.get('mcp-session-id');
  if (r.status !== 200 || !id) throw new Error(`initialize failed: ${r.status} ${r.text}`);
  const n = await rpc(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, id, extra);
  if (n.status !== 202) throw new Error(`initialized notification failed: ${n.status} ${n.text}`);
  return id;
}

export async function ping(url: string, sessionId: string, extra: Record<string, string> = {}): Promise<number> {
  return (await rpc(url, { jsonrpc: '2.0', id: ++seq, method: 'ping' }, sessionId, extra)).status;
}
