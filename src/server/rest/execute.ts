import type { Dispatcher } from 'undici';
import { ErrorCodes, UpstreamError } from '../upstream/types.js';
import { accessDiagnosis, htmlDiagnosis, looksLikeHtml, looksLikeLoginRedirect, loginRedirectDiagnosis } from './diagnose.js';
import { discard, readCapped } from './http.js';
import { SelectMiss, applySelect } from './select.js';
import { findSsrfError } from './ssrf.js';
import { ArgumentError, buildBody, buildHeaders, buildPath, buildQuery, type Args, type Violation } from './template.js';
import type { CompiledRestTool } from './tools.js';
import { violationsFrom } from './validate.js';

export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_SAME_ORIGIN_REDIRECTS = 3;
const EXCERPT_CHARS = 500;

/** What a backend contributes to every call: where, how (pool), and the resolved outbound headers. */
export interface RestRuntime {
  backend: string;
  baseUrl: URL;
  dispatcher: Dispatcher;
  /** Backend default headers (lowercase names), secrets already resolved. */
  headers: Record<string, string>;
  /** Auth headers; applied last so no tool template can replace them. */
  authHeaders: Record<string, string>;
  maxResponseBytes: number;
}

export interface ToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  [k: string]: unknown;
}

export interface ExecuteOutcome {
  result: ToolResult;
  /** Set when the backend could not be reached (connection refused, blocked, DNS), for the upstream's state. */
  unreachable?: string;
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  /** W3C trace context of a traced call (traceparent, tracestate, baggage), sent as headers. */
  traceHeaders?: Readonly<Record<string, string>>;
}

function textResult(text: string, isError = false): ToolResult {
  return isError ? { content: [{ type: 'text', text }], isError: true } : { content: [{ type: 'text', text }] };
}

function invalidArguments(tool: string, backend: string, violations: Violation[]): UpstreamError {
  const list = violations.map((v) => `  - ${v.argument}: ${v.message}`).join('\n');
  return new UpstreamError(`Invalid arguments for tool "${tool}" (${violations.length} problem${violations.length === 1 ? '' : 's'}):\n${list}`, ErrorCodes.InvalidParams, backend, {
    violations,
  });
}

/** Checks the arguments, then renders path, query, headers and body. Nothing is sent if this throws. */
export function prepareRequest(
  rt: Pick<RestRuntime, 'backend' | 'baseUrl' | 'headers' | 'authHeaders'>,
  tool: CompiledRestTool,
  rawArgs: unknown,
): { method: Dispatcher.HttpMethod; path: string; headers: Record<string, string>; body?: string } {
  const cfg = tool.config;
  if (rawArgs !== undefined && (rawArgs === null || typeof rawArgs !== 'object' || Array.isArray(rawArgs))) {
    throw invalidArguments(cfg.name, rt.backend, [{ argument: 'arguments', message: 'must be an object' }]);
  }
  const args = structuredClone((rawArgs ?? {}) as Args);
  if (!tool.validateInput(args)) throw invalidArguments(cfg.name, rt.backend, violationsFrom(tool.validateInput.errors));
  let path: string;
  let query: string;
  let toolHeaders: Record<string, string>;
  let body: unknown;
  try {
    path = buildPath(cfg.path, args);
    query = buildQuery(cfg.query, args);
    toolHeaders = buildHeaders(cfg.headers, args);
    body = cfg.body === undefined ? undefined : buildBody(cfg.body, args);
  } catch (e) {
    if (e instanceof ArgumentError) throw invalidArguments(cfg.name, rt.backend, e.violations);
    throw e;
  }
  const basePath = rt.baseUrl.pathname.replace(/\/+$/, '');
  const full = `${basePath}${path}${query ? `?${query}` : ''}`;
  // Defence in depth: encoding already guarantees this, but a request that leaves the base never goes out.
  const check = new URL(full, rt.baseUrl.origin);
  if (check.origin !== rt.baseUrl.origin || !check.pathname.startsWith(basePath) || check.pathname !== `${basePath}${path}`) {
    throw invalidArguments(cfg.name, rt.backend, [{ argument: '(path)', message: 'would change the URL structure' }]);
  }
  const headers: Record<string, string> = {
    accept: 'application/json, text/plain;q=0.9, */*;q=0.5',
    'user-agent': 'gatehouse',
    ...rt.headers,
    ...toolHeaders,
    ...rt.authHeaders,
  };
  let text: string | undefined;
  if (body !== undefined) {
    text = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  return { method: (cfg.method ?? 'GET') as Dispatcher.HttpMethod, path: full, headers, ...(text !== undefined ? { body: text } : {}) };
}

/**
 * Runs one REST tool call: validate, render, send through the backend's guarded pool, and turn the
 * response into an MCP tool result. Argument problems, timeouts and cancellation throw UpstreamError;
 * everything the backend (or the network) answered becomes a result, errors flagged with isError.
 */
export async function executeRestTool(rt: RestRuntime, tool: CompiledRestTool, rawArgs: unknown, opts: ExecuteOptions): Promise<ExecuteOutcome> {
  const req = prepareRequest(rt, tool, rawArgs);
  if (opts.traceHeaders) req.headers = { ...req.headers, ...opts.traceHeaders };
  const cfg = tool.config;
  const cap = cfg.maxResponseBytes ?? rt.maxResponseBytes;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, opts.timeoutMs);
  const onCancel = () => controller.abort(new Error('cancelled'));
  if (opts.signal?.aborted) onCancel();
  opts.signal?.addEventListener('abort', onCancel, { once: true });
  const label = `${req.method} ${req.path.split('?')[0]}`;
  try {
    let path = req.path;
    for (let hop = 0; ; hop++) {
      const res = await rt.dispatcher.request({
        origin: rt.baseUrl.origin,
        path,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
      });
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        discard(res.body);
        const location = String(res.headers.location);
        const target = new URL(location, new URL(path, rt.baseUrl.origin));
        const basePath = rt.baseUrl.pathname.replace(/\/+$/, '');
        const sameBase = target.origin === rt.baseUrl.origin && target.pathname.startsWith(basePath);
        const here = new URL(path, rt.baseUrl.origin).href;
        const access = accessDiagnosis(rt.backend, { status: res.statusCode, headers: res.headers, url: here });
        if (access) return { result: textResult(`${access} (${label})`, true) };
        if (looksLikeLoginRedirect(location)) return { result: textResult(`${loginRedirectDiagnosis(rt.backend, res.statusCode, redactUrl(target))} (${label})`, true) };
        if (sameBase && (req.method === 'GET' || req.method === 'HEAD') && hop < MAX_SAME_ORIGIN_REDIRECTS) {
          path = `${target.pathname}${target.search}`;
          continue;
        }
        const why = sameBase ? `more than ${MAX_SAME_ORIGIN_REDIRECTS} redirects, or a redirect of a ${req.method}` : `a redirect to ${target.origin === rt.baseUrl.origin ? 'a path outside the backend baseUrl' : `another host (${target.host})`}`;
        return {
          result: textResult(`Backend "${rt.backend}" answered ${label} with HTTP ${res.statusCode} and ${why}; Gatehouse does not follow it. Check the backend's baseUrl (it may have moved) or its proxy settings.`, true),
        };
      }
      const { bytes, truncated } = await readCapped(res.body, cap);
      return { result: buildResult(rt.backend, tool, label, res.statusCode, res.headers, bytes, truncated, cap, req.method, new URL(path, rt.baseUrl.origin).href) };
    }
  } catch (e) {
    if (timedOut) {
      throw new UpstreamError(`Backend "${rt.backend}" did not answer tool "${cfg.name}" (${label}) within ${formatSeconds(opts.timeoutMs)}.`, ErrorCodes.RequestTimeout, rt.backend, undefined, 'timeout');
    }
    if (controller.signal.aborted) throw new UpstreamError('Request cancelled.', ErrorCodes.InternalError, rt.backend);
    const blocked = findSsrfError(e);
    if (blocked) {
      const msg = `Backend "${rt.backend}": ${blocked.message} ${blocked.hint}`;
      return { result: textResult(msg, true), unreachable: blocked.message };
    }
    const msg = networkMessage(rt, e);
    return { result: textResult(`${msg} (tool "${cfg.name}", ${label})`, true), unreachable: msg };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onCancel);
  }
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function redactUrl(u: URL): string {
  return `${u.origin}${u.pathname}`;
}

function networkMessage(rt: RestRuntime, e: unknown): string {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.code ?? err.cause?.code;
  const where = `${rt.baseUrl.host}`;
  switch (code) {
    case 'ECONNREFUSED':
      return `Backend "${rt.backend}" refused the connection at ${where}; check that the service runs and the baseUrl port is right.`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Backend "${rt.backend}": cannot resolve ${rt.baseUrl.hostname}; check the host name, DNS or VPN.`;
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return `Backend "${rt.backend}" closed the connection at ${where} (${err.message ?? code}).`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `Backend "${rt.backend}": connecting to ${where} timed out.`;
    default:
      if (/certificate|self.signed|CERT_|TLS/i.test(`${code} ${err.message}`)) {
        return `Backend "${rt.backend}": TLS failed for ${where} (${err.message}); set tls.caFile to the CA that signed its certificate.`;
      }
      return `Backend "${rt.backend}" request failed: ${err.message ?? String(e)}${code ? ` (${code})` : ''}.`;
  }
}

function excerpt(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > EXCERPT_CHARS ? `${t.slice(0, EXCERPT_CHARS)}…` : t;
}

function truncationNotice(backend: string, cap: number): string {
  return `\n\n[Gatehouse: the response was longer than ${cap} bytes and was cut off there. Narrow the request (filters, a limit, a shorter time range) or raise maxResponseBytes on backend "${backend}".]`;
}

const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

export function buildResult(
  backend: string,
  tool: CompiledRestTool,
  label: string,
  status: number,
  headers: Record<string, string | string[] | undefined>,
  bytes: Buffer,
  truncated: boolean,
  cap: number,
  method: string,
  url: string,
): ToolResult {
  const contentType = String(headers['content-type'] ?? '');
  const text = bytes.toString('utf8');
  const head = text.slice(0, 4096);
  const html = looksLikeHtml(contentType, head);
  if (html || status < 200 || status >= 300) {
    const access = accessDiagnosis(backend, { status, headers, url, bodySnippet: head });
    if (access) return textResult(`${access} (${label})`, true);
    if (html) return textResult(`${htmlDiagnosis(backend, status)} (${label}; the page starts: ${excerpt(head).slice(0, 160)})`, true);
  }
  if (status < 200 || status >= 300) {
    const reason = STATUS_TEXT[status] ? ` ${STATUS_TEXT[status]}` : '';
    const authHint = status === 401 || status === 403 ? ' Check the credentials configured for this backend (auth or headers).' : '';
    return textResult(`Backend "${backend}" returned HTTP ${status}${reason} for ${label}.${authHint}${text ? ` Body: ${excerpt(text)}` : ''}`, true);
  }
  if (method === 'HEAD' || bytes.length === 0) {
    return textResult(JSON.stringify({ status, headers: pickHeaders(headers) }));
  }
  const isJson = /\bjson\b/i.test(contentType) || (!contentType && /^\s*[[{]/.test(head));
  if (!isJson) {
    return textResult(truncated ? `${text}${truncationNotice(backend, cap)}` : text);
  }
  if (truncated) {
    // A cut-off JSON document cannot be parsed, so no selection or structured content: the notice says why.
    return textResult(`${text}${truncationNotice(backend, cap)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return textResult(`Backend "${backend}" sent invalid JSON for ${label} (HTTP ${status}, ${contentType || 'no content type'}): ${(e as Error).message}. Body starts: ${excerpt(text).slice(0, 200)}`, true);
  }
  let value = data;
  let out = text;
  if (tool.config.select) {
    try {
      value = applySelect(data, tool.config.select);
    } catch (e) {
      if (e instanceof SelectMiss) {
        return textResult(
          `The response of ${label} has nothing at "${e.at}" (the tool's select is "${tool.config.select}")${e.available.length ? `; found: ${e.available.join(', ')}` : ''}. Body: ${excerpt(text)}`,
          true,
        );
      }
      throw e;
    }
    out = JSON.stringify(value);
  }
  const result: ToolResult = { content: [{ type: 'text', text: out }] };
  if (tool.validateOutput) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      return textResult(`The response of ${label} is not a JSON object, so it cannot match the tool's outputSchema. Body: ${excerpt(out)}`, true);
    }
    if (!tool.validateOutput(value)) {
      const problems = violationsFrom(tool.validateOutput.errors, 'response').map((v) => `${v.argument}: ${v.message}`);
      return textResult(`The response of ${label} does not match the tool's outputSchema: ${problems.join('; ')}`, true);
    }
    result.structuredContent = value as Record<string, unknown>;
  }
  return result;
}

function pickHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const keep = ['content-type', 'content-length', 'etag', 'last-modified', 'location'];
  const out: Record<string, string> = {};
  for (const k of keep) if (headers[k] !== undefined) out[k] = String(headers[k]);
  return out;
}
