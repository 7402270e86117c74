// The load client: raw JSON-RPC POSTs over undici with keep-alive, identical for every target.
// It speaks just enough MCP over streamable HTTP for the benchmark: the 2025-era handshake
// (initialize → Mcp-Session-Id → notifications/initialized, DELETE at the end) or the stateless
// 2026-07-28 era (per-request _meta and Mcp-Method/Mcp-Name headers), and reads responses sent
// either as JSON or as an SSE stream. The SDK Client would cost several times more CPU per call,
// which on two cores would be taken from the processes being measured.
import { Agent, request } from 'undici';

export const LEGACY_VERSION = '2025-11-25';
export const MODERN_VERSION = '2026-07-28';
const CLIENT_INFO = { name: 'gatehouse-bench', version: '1.0.0' };

/** One keep-alive pool for the whole run; each target origin gets its own connections. */
export const agent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000, connections: 64, pipelining: 1 });

export class McpError extends Error {}

/** Extracts the JSON-RPC response with `id` from a JSON or SSE body. */
export function parseRpcBody(contentType, text, id) {
  if (contentType.startsWith('application/json')) {
    const msg = JSON.parse(text);
    const found = Array.isArray(msg) ? msg.find((m) => m.id === id) : msg;
    if (!found || found.id !== id) throw new McpError(`response id ${found?.id} does not match request id ${id}`);
    return found;
  }
  if (contentType.startsWith('text/event-stream')) {
    // Events are separated by a blank line; a response may follow notifications on the same stream.
    for (const event of text.split(/\r?\n\r?\n/)) {
      let data = '';
      for (const line of event.split(/\r?\n/)) if (line.startsWith('data:')) data += (data ? '\n' : '') + line.slice(line[5] === ' ' ? 6 : 5);
      if (!data) continue;
      const msg = JSON.parse(data);
      if (msg.id === id && ('result' in msg || 'error' in msg)) return msg;
    }
    throw new McpError(`no response with id ${id} in the SSE stream`);
  }
  throw new McpError(`unexpected content-type ${JSON.stringify(contentType)}: ${text.slice(0, 200)}`);
}

/** A client session against one MCP endpoint, in one protocol era. */
export class Session {
  /** @param {string} url @param {'legacy'|'modern'} era */
  constructor(url, era, label = 'bench') {
    this.url = url;
    this.era = era;
    this.label = label;
    this.sessionId = undefined;
    this.nextId = 1;
  }

  async open() {
    if (this.era === 'legacy') {
      const init = await this.post(
        { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: { ...CLIENT_INFO, name: `${CLIENT_INFO.name}-${this.label}` } } },
        { expectSession: true },
      );
      if (init.error) throw new McpError(`initialize failed: ${JSON.stringify(init.error)}`);
      this.protocolVersion = init.result.protocolVersion;
      await this.notify('notifications/initialized');
    } else {
      const d = await this.rpc('server/discover', {});
      if (!d.supportedVersions?.includes(MODERN_VERSION)) throw new McpError(`server does not support ${MODERN_VERSION}: ${JSON.stringify(d)}`);
    }
    return this;
  }

  headers(method, name) {
    const h = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    if (this.era === 'legacy') {
      if (this.sessionId) h['mcp-session-id'] = this.sessionId;
      if (this.protocolVersion) h['mcp-protocol-version'] = this.protocolVersion;
    } else {
      h['mcp-protocol-version'] = MODERN_VERSION;
      h['mcp-method'] = method;
      if (name !== undefined) h['mcp-name'] = name;
    }
    return h;
  }

  async post(message, { expectSession = false } = {}) {
    const name = message.params?.name ?? message.params?.uri;
    const res = await request(this.url, {
      method: 'POST',
      dispatcher: agent,
      headers: this.headers(message.method, name),
      body: JSON.stringify(message),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new McpError(`${message.method}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    if (expectSession) {
      const sid = res.headers['mcp-session-id'];
      if (!sid) throw new McpError(`${message.method}: no Mcp-Session-Id in the response`);
      this.sessionId = Array.isArray(sid) ? sid[0] : sid;
    }
    return parseRpcBody(String(res.headers['content-type'] ?? ''), text, message.id);
  }

  async notify(method) {
    const res = await request(this.url, {
      method: 'POST',
      dispatcher: agent,
      headers: this.headers(method),
      body: JSON.stringify({ jsonrpc: '2.0', method }),
    });
    await res.body.text();
    if (res.statusCode !== 202 && res.statusCode !== 200) throw new McpError(`${method}: HTTP ${res.statusCode}`);
  }

  /** Sends one request and returns its result; a JSON-RPC error becomes an McpError. */
  async rpc(method, params) {
    const id = this.nextId++;
    const p = this.era === 'modern' ? { ...params, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN_VERSION, 'io.modelcontextprotocol/clientInfo': CLIENT_INFO, 'io.modelcontextprotocol/clientCapabilities': {} } } : params;
    const msg = await this.post({ jsonrpc: '2.0', id, method, params: p });
    if (msg.error) throw new McpError(`${method}: ${msg.error.code} ${msg.error.message}`);
    return msg.result;
  }

  callTool(name, args) {
    return this.rpc('tools/call', { name, arguments: args });
  }

  /** Every tool, following pagination. */
  async listTools() {
    const tools = [];
    let cursor;
    do {
      const r = await this.rpc('tools/list', cursor ? { cursor } : {});
      tools.push(...r.tools);
      cursor = r.nextCursor;
    } while (cursor);
    return tools;
  }

  async close() {
    if (this.era !== 'legacy' || !this.sessionId) return;
    try {
      const res = await request(this.url, { method: 'DELETE', dispatcher: agent, headers: this.headers('DELETE') });
      await res.body.text();
    } catch {
      // the target may already be gone
    }
  }
}

/** The text of the first content block of a tools/call result. */
export function resultText(result) {
  if (result?.isError) throw new McpError(`tool error: ${JSON.stringify(result.content).slice(0, 300)}`);
  const block = result?.content?.[0];
  if (block?.type !== 'text') throw new McpError(`unexpected result: ${JSON.stringify(result).slice(0, 300)}`);
  return block.text;
}
