import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import type { SavedSession } from './context.js';

/**
 * Re-creates a 2025 session on a fresh transport (a cluster takeover): the client's initialize
 * params, the initialized notification, its log level and its resource subscriptions go through
 * the transport as the client sent them, and the answers are read and dropped. Resolves false when
 * the initialize is refused.
 */
export async function replaySession(transport: WebStandardStreamableHTTPServerTransport, sessionId: string, saved: SavedSession): Promise<boolean> {
  let n = 0;
  const post = async (message: Record<string, unknown>, withSession: boolean) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (withSession) headers['mcp-session-id'] = sessionId;
    const response = await transport.handleRequest(new Request('http://gatehouse.local/mcp', { method: 'POST', headers, body: JSON.stringify(message) }), { parsedBody: message });
    const text = await response.text();
    return { ok: response.status < 300 && !/"error"\s*:/.test(text), status: response.status };
  };
  const init = await post({ jsonrpc: '2.0', id: `gatehouse-takeover-${n++}`, method: 'initialize', params: saved.init }, false);
  if (!init.ok) return false;
  await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, true);
  if (saved.logLevel) await post({ jsonrpc: '2.0', id: `gatehouse-takeover-${n++}`, method: 'logging/setLevel', params: { level: saved.logLevel } }, true);
  for (const uri of saved.subscriptions) await post({ jsonrpc: '2.0', id: `gatehouse-takeover-${n++}`, method: 'resources/subscribe', params: { uri } }, true);
  return true;
}
