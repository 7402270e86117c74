import { SSEClientTransport, StreamableHTTPClientTransport, type Transport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import type { BackendConfig, HttpBackendConfig, StdioBackendConfig } from '../../core/config/schema.js';
import { isSensitiveKey } from '../../core/log/redact.js';
import { registerSecretValue } from '../../core/log/secret-values.js';
import type { BackendFetch } from './http-fetch.js';
import { guardSseResponses } from './sse-guard.js';
import { SameChildStdioTransport } from './stdio-transport.js';
import { traceHeaders } from '../tracing/outbound.js';

export type McpBackendConfig = StdioBackendConfig | HttpBackendConfig;
export type McpTransport = Transport & { stderr?: NodeJS.ReadableStream | null; pid?: number | null };

export interface TransportDeps {
  resolveEnv?: (env: Record<string, string> | undefined) => Promise<Record<string, string>>;
  resolveHeaders?: (config: HttpBackendConfig) => Promise<Record<string, string>>;
  /** One keep-alive pool per HTTP backend, shared by its connections. */
  httpFetch: () => Promise<BackendFetch>;
  /** Called with the request ids a dropped SSE response stream left unanswered. */
  onSseEnded?: (ids: Array<string | number>, why: string) => void;
}

/** Builds the transport for one connection to an MCP backend. */
export async function createMcpTransport(c: McpBackendConfig, deps: TransportDeps, kind?: 'streamable-http' | 'sse'): Promise<McpTransport> {
  if (c.type === 'stdio') {
    const env = { ...getDefaultEnvironment(), ...(deps.resolveEnv ? await deps.resolveEnv(c.env) : (c.env ?? {})) };
    // The era probe runs on this child: never a second spawn (stdio-transport.ts).
    return new SameChildStdioTransport({ command: c.command, args: c.args ?? [], env, cwd: c.cwd, stderr: 'pipe' }) as never;
  }
  const headers = deps.resolveHeaders ? await deps.resolveHeaders(c) : (c.headers ?? {});
  // Credentials in headers (Cloudflare Access id and secret included) are scrubbed from every text we emit.
  for (const [k, v] of Object.entries(headers)) if (isSensitiveKey(k) || /^cf-access-/i.test(k)) registerSecretValue(v);
  const url = new URL(c.url);
  const pooled = withOutboundTrace((await deps.httpFetch()).fetch);
  const backendFetch = deps.onSseEnded ? guardSseResponses(pooled, deps.onSseEnded) : pooled;
  if ((kind ?? 'streamable-http') === 'sse') {
    return new SSEClientTransport(url, {
      requestInit: { headers },
      fetch: backendFetch,
      eventSourceInit: {
        // The event stream's GET carries the same headers (Cloudflare Access needs them there too).
        fetch: (input: string | URL | Request, init?: RequestInit) => {
          const h = new Headers(init?.headers);
          for (const [k, v] of Object.entries(headers)) h.set(k, v);
          return backendFetch(input, { ...init, headers: h });
        },
      } as never,
    } as never) as never;
  }
  return new StreamableHTTPClientTransport(url, { requestInit: { headers }, fetch: backendFetch }) as never;
}

export function isMcpBackend(c: BackendConfig): c is McpBackendConfig {
  return c.type === 'stdio' || c.type === 'http';
}

export interface McpUpstreamDeps {
  /** Resolves env values (secret/env references) for a stdio child. */
  resolveEnv?: (env: Record<string, string> | undefined) => Promise<Record<string, string>>;
  /** Resolves outbound headers (references, Cloudflare Access token) for an HTTP backend. */
  resolveHeaders?: (config: HttpBackendConfig) => Promise<Record<string, string>>;
  /** Default per-call timeout when the backend sets none. */
  defaultTimeoutMs?: number;
  /** Re-list interval for backends that do not announce list changes; 0 disables. */
  refreshIntervalMs?: number;
  /** How long connect + first list may take. */
  connectTimeoutMs?: number;
  /** Backoff for restarts and reconnects. */
  backoff?: { initialMs: number; maxMs: number; resetAfterMs: number };
  /** Rate limit for stderr lines and unattributed log messages, per backend. */
  logLimit?: { windowMs: number; burst: number };
}

/** A traced call's trace context rides as HTTP headers on the request that carries it. */
function withOutboundTrace(fetch: BackendFetch['fetch']): BackendFetch['fetch'] {
  return (input, init) => {
    const trace = traceHeaders();
    if (!trace) return fetch(input, init);
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(trace)) headers.set(k, v);
    return fetch(input, { ...init, headers });
  };
}
