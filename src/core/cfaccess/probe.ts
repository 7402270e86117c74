import { diagnoseHttpResponse, headerValues, safeOrigin, type HttpDiagnosis } from './diagnose.js';

/**
 * Exit codes of `gatehouse tokens test`, one per outcome, so scripts can branch on them. 1 and 2
 * keep their global meaning (failure before the request, usage).
 */
export const TokenTestExit = {
  accepted: 0,
  rejected: 4,
  notMcp: 5,
  cookieRedirect: 6,
  network: 7,
} as const;

/** `accepted-no-mcp`: Access let the token through and the application answered, but not as MCP (a REST API). */
export type TokenTestOutcome = 'accepted' | 'accepted-no-mcp' | 'rejected' | 'not-mcp' | 'cookie-redirect' | 'network-error';

export interface McpAnswer {
  method: 'initialize' | 'server/discover';
  protocolVersion?: string;
  serverName?: string;
  serverVersion?: string;
  /** A JSON-RPC error message, when the endpoint answered with one. */
  error?: string;
}

export interface TokenTestResult {
  outcome: TokenTestOutcome;
  exitCode: number;
  url: string;
  status?: number;
  message: string;
  next?: string;
  mcp?: McpAnswer;
  diagnosis?: HttpDiagnosis;
  cookieSet?: boolean;
  viaCloudflare?: boolean;
  /** For network errors: the system error code (ECONNREFUSED, ENOTFOUND, …). */
  errorCode?: string;
}

export interface ProbeOptions {
  url: string;
  /** Extra request headers: the CF-Access pair. Never echoed in the result. */
  headers: Record<string, string>;
  timeoutMs?: number;
  clientVersion?: string;
}

const MODERN = '2026-07-28';
const LEGACY = '2025-11-25';

/**
 * Sends an MCP `initialize` (then, if that gets no JSON-RPC answer, a 2026-era `server/discover`)
 * with the token headers, without following redirects, and says what happened and what to do.
 */
export async function probeWithToken(opts: ProbeOptions): Promise<TokenTestResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const url = opts.url;
  const where = safeOrigin(url);

  const first = await post(url, opts, 'initialize', timeoutMs);
  if ('networkError' in first) return networkResult(url, first.networkError, timeoutMs);

  const diag = diagnoseHttpResponse({ status: first.status, headers: first.headers, bodySnippet: first.body, url });
  const common = { url, status: first.status, diagnosis: diag, cookieSet: diag.cookieSet, viaCloudflare: diag.viaCloudflare };
  if (diag.accessBlocked) {
    return { ...common, outcome: 'rejected', exitCode: TokenTestExit.rejected, message: `Rejected by Cloudflare Access. ${diag.message}`, next: diag.hint };
  }
  if (diag.kind === 'access-cookie-redirect') {
    return { ...common, outcome: 'cookie-redirect', exitCode: TokenTestExit.cookieRedirect, message: diag.message, next: diag.hint };
  }

  let answer = first.mcp;
  let final = first;
  if (!answer?.protocolVersion) {
    const second = await post(url, opts, 'server/discover', timeoutMs);
    if (!('networkError' in second) && second.mcp && (!answer || !second.mcp.error)) {
      answer = second.mcp;
      final = second;
    }
  }
  const cookieNote = diag.cookieSet ? ' Access also set a CF_Authorization cookie; Gatehouse does not need it, since it sends the token on every request.' : '';
  const cfNote = diag.viaCloudflare ? '' : ' (The response carried no Cloudflare headers, so this URL may not be behind Cloudflare Access at all.)';
  if (answer) {
    const who = answer.serverName ? `${answer.serverName}${answer.serverVersion ? ` ${answer.serverVersion}` : ''}` : 'the server';
    const how = answer.error ? `answered MCP ${answer.method} with a JSON-RPC error (${answer.error})` : `answered MCP ${answer.method}${answer.protocolVersion ? ` (protocol ${answer.protocolVersion})` : ''}`;
    return {
      ...common,
      status: final.status,
      mcp: answer,
      outcome: 'accepted',
      exitCode: TokenTestExit.accepted,
      message: `Accepted: the token got through to ${where}, and ${who} ${how}.${cookieNote}${cfNote}`,
      next: 'Attach it to a backend: `gatehouse backends add <name> --url ' + url + ' --cf-access-token <token>`.',
    };
  }
  const ct = headerValues(first.headers, 'content-type')[0]?.split(';')[0];
  // The application itself answered (not the edge, not a redirect, not a server error): the token got
  // through Access. A REST API answers a JSON-RPC POST like this, and that is a pass for a token test.
  if (first.status < 500 && diag.kind !== 'cloudflare-error' && diag.kind !== 'redirect' && !(first.status >= 300 && first.status < 400)) {
    const appAuth = first.status === 401 ? ' The application asks for its own credentials too (HTTP 401 after Access): add them to the backend (headers or a bearer secret).' : '';
    return {
      ...common,
      outcome: 'accepted-no-mcp',
      exitCode: TokenTestExit.accepted,
      message: `Accepted: ${where} answered HTTP ${first.status}${ct ? ` ${ct}` : ''}: no MCP endpoint, but Access accepted the token.${appAuth}${cookieNote}${cfNote}`,
      next: `For a REST API, attach it with \`gatehouse backends add <name> --rest <base URL> --cf-access-token <token>\` and check it with \`gatehouse backends test <name>\`; if this should be an MCP server, check the path (usually /mcp or /sse).`,
    };
  }
  let next: string;
  if (diag.kind === 'cloudflare-error') next = diag.hint!;
  else if (diag.kind === 'redirect') next = diag.hint!;
  else if (first.status === 401) next = 'The application itself asks for credentials (HTTP 401 after Access): add its own auth to the backend (headers or a bearer secret) besides the Access token.';
  else next = 'Check the path: MCP endpoints are usually /mcp (streamable HTTP) or /sse (legacy SSE). Check the application is an MCP server and is up.';
  return {
    ...common,
    outcome: 'not-mcp',
    exitCode: TokenTestExit.notMcp,
    message: `Passed Cloudflare Access, but ${where} did not answer MCP: HTTP ${first.status}${ct ? ` ${ct}` : ''}.${diag.kind === 'cloudflare-error' || diag.kind === 'redirect' ? ` ${diag.message}` : ''}${cookieNote}${cfNote}`,
    next,
  };
}

interface Answered {
  status: number;
  headers: Headers;
  body: string;
  mcp?: McpAnswer;
}

async function post(url: string, opts: ProbeOptions, method: 'initialize' | 'server/discover', timeoutMs: number): Promise<Answered | { networkError: unknown }> {
  const params =
    method === 'initialize'
      ? { protocolVersion: LEGACY, capabilities: {}, clientInfo: { name: 'gatehouse-tokens-test', version: opts.clientVersion ?? '0' } }
      : {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': MODERN,
            'io.modelcontextprotocol/clientCapabilities': {},
            'io.modelcontextprotocol/clientInfo': { name: 'gatehouse-tokens-test', version: opts.clientVersion ?? '0' },
          },
        };
  const headers: Record<string, string> = {
    ...opts.headers,
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    ...(method === 'server/discover' ? { 'mcp-protocol-version': MODERN, 'mcp-method': method } : {}),
  };
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), redirect: 'manual', signal });
  } catch (e) {
    return { networkError: e };
  }
  let body = '';
  try {
    body = await readSome(res, 64 * 1024);
  } catch {
    /* a body cut short still leaves status and headers to judge by */
  }
  const mcp = parseJsonRpc(body, method);
  const sessionId = res.headers.get('mcp-session-id');
  if (sessionId && res.ok) {
    // Be polite: end the session this probe opened (with the same Access headers, as the gateway would).
    await fetch(url, { method: 'DELETE', headers: { ...opts.headers, 'mcp-session-id': sessionId }, redirect: 'manual', signal: AbortSignal.timeout(2000) })
      .then((r) => r.body?.cancel())
      .catch(() => {});
  }
  return { status: res.status, headers: res.headers, body, mcp };
}

/** Reads up to `max` bytes, stopping early once an SSE stream has delivered a JSON-RPC response. */
async function readSome(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const sse = /text\/event-stream/i.test(res.headers.get('content-type') ?? '');
  try {
    while (text.length < max) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (sse && /"jsonrpc"\s*:\s*"2\.0"[\s\S]*"id"|"id"[\s\S]*"jsonrpc"\s*:\s*"2\.0"/.test(text) && /\n\n|\r\n\r\n/.test(text)) break;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return text.slice(0, max);
}

function parseJsonRpc(body: string, method: McpAnswer['method']): McpAnswer | undefined {
  const candidates: string[] = [];
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) candidates.push(trimmed);
  for (const line of body.split(/\r?\n/)) if (line.startsWith('data:')) candidates.push(line.slice(5).trim());
  for (const c of candidates) {
    let msg: { jsonrpc?: string; id?: unknown; result?: Record<string, unknown>; error?: { message?: string; code?: number } };
    try {
      msg = JSON.parse(c);
    } catch {
      continue;
    }
    if (msg?.jsonrpc !== '2.0' || !('result' in msg || 'error' in msg)) continue;
    if (msg.error) return { method, error: `${msg.error.code ?? ''} ${msg.error.message ?? ''}`.trim() };
    const r = msg.result ?? {};
    const info = (r.serverInfo ?? (r._meta as Record<string, unknown> | undefined)?.['io.modelcontextprotocol/serverInfo']) as { name?: string; version?: string } | undefined;
    const pv = (r.protocolVersion ?? (Array.isArray(r.supportedVersions) ? r.supportedVersions[0] : undefined)) as string | undefined;
    return { method, ...(pv ? { protocolVersion: String(pv) } : {}), ...(info?.name ? { serverName: info.name } : {}), ...(info?.version ? { serverVersion: info.version } : {}) };
  }
  return undefined;
}

function networkResult(url: string, err: unknown, timeoutMs: number): TokenTestResult {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.cause?.code ?? (e?.name === 'TimeoutError' ? 'ETIMEDOUT' : undefined);
  const where = safeOrigin(url);
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    /* keep url */
  }
  let message: string;
  let next: string;
  switch (code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      message = `Network error: cannot resolve ${host}.`;
      next = 'Check the hostname, your DNS, or a VPN/WARP client that should resolve it.';
      break;
    case 'ECONNREFUSED':
      message = `Network error: ${host} refused the connection.`;
      next = 'Check the URL and port; behind Cloudflare the hostname should resolve to Cloudflare, not straight to the origin.';
      break;
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      message = `Network error: ${where} did not answer within ${Math.round(timeoutMs / 1000)}s.`;
      next = 'Check connectivity (proxy, firewall, VPN), or raise --timeout.';
      break;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      message = `Network error: ${host} closed the connection.`;
      next = 'Check that the URL scheme (http/https) and port match the server.';
      break;
    default:
      if (/cert|tls|ssl/i.test(`${code ?? ''} ${e?.cause?.message ?? ''}`)) {
        message = `Network error: TLS failed for ${host} (${code ?? e?.cause?.message}).`;
        next = 'Check the certificate and hostname; a corporate proxy that intercepts TLS needs NODE_EXTRA_CA_CERTS.';
      } else {
        message = `Network error reaching ${where}: ${e?.cause?.message ?? e?.message ?? String(err)}.`;
        next = 'Check the URL and your connectivity.';
      }
  }
  return { outcome: 'network-error', exitCode: TokenTestExit.network, url, message, next, ...(code ? { errorCode: code } : {}) };
}
