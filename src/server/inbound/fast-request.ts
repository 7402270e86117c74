import type { IncomingMessage } from 'node:http';
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, LOG_LEVEL_META_KEY, PROTOCOL_VERSION_META_KEY, isJsonContentType } from '@modelcontextprotocol/server';
import type { CallMethod, LocalMethod } from '../pipeline/index.js';

/**
 * The edge check of the message-level fast path: a 2026-07-28 request the gateway can answer by
 * handing the parsed message straight to the pipeline, without a per-request SDK server. It is one
 * pass over the parsed body with fixed rules (the schema the SDK would apply, for exactly these
 * shapes), so the message is validated once. Anything it does not recognise as plainly well-formed
 * returns undefined and takes the SDK's path, which answers the malformed, the unusual and the rare
 * (batches, retries of input_required rounds, completion, task-augmented calls). It runs after the
 * edge's standard-header check (http.ts), which has refused headers that disagree with the body
 * with its own errors: the fast path never answers differently, it only answers sooner.
 */
export const MODERN_REVISION = '2026-07-28';

const CALL_METHODS = new Set<string>(['tools/call', 'prompts/get', 'resources/read']);
const LIST_METHODS = new Set<string>(['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list']);
/** The MCP log levels, least severe first (a request or session gets messages at or above its level). */
export const LOG_LEVELS: readonly string[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const ENVELOPE_KEYS = [PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, CLIENT_CAPABILITIES_META_KEY, LOG_LEVEL_META_KEY];

/** A request the fast path serves: the message as the SDK would hand it to a handler. */
export interface FastRequest {
  id: string | number;
  kind: 'call' | 'local';
  method: CallMethod | LocalMethod;
  /** The params without the envelope (and without `_meta` when nothing else was in it). */
  params: Record<string, unknown>;
  /** The client's `_meta` without the envelope keys (the progress token, trace context). */
  meta?: Record<string, unknown>;
  clientCapabilities: Record<string, unknown>;
  clientName?: string;
  logLevel?: string;
}

export function matchFastRequest(req: IncomingMessage, body: unknown): FastRequest | undefined {
  if (!isObject(body) || body.jsonrpc !== '2.0' || !validId(body.id) || typeof body.method !== 'string') return undefined;
  const method = body.method;
  const kind = CALL_METHODS.has(method) ? 'call' : LIST_METHODS.has(method) ? 'local' : undefined;
  if (!kind || Object.keys(body).length !== 4 || !isObject(body.params)) return undefined;
  const params = body.params;
  const meta = params._meta;
  if (!isObject(meta) || !paramsFit(method, params)) return undefined;
  if (meta.progressToken !== undefined && typeof meta.progressToken !== 'string' && !Number.isInteger(meta.progressToken)) return undefined;
  // The envelope: this revision, declared capabilities, and a well-formed name and log level if given.
  if (meta[PROTOCOL_VERSION_META_KEY] !== MODERN_REVISION) return undefined;
  const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
  if (!isObject(capabilities)) return undefined;
  const info = meta[CLIENT_INFO_META_KEY];
  if (info !== undefined && !(isObject(info) && typeof info.name === 'string' && typeof info.version === 'string')) return undefined;
  const level = meta[LOG_LEVEL_META_KEY];
  if (level !== undefined && !(typeof level === 'string' && LOG_LEVELS.includes(level))) return undefined;
  if (!headersFit(req)) return undefined;

  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) if (!ENVELOPE_KEYS.includes(k)) rest[k] = v;
  const hasRest = Object.keys(rest).length > 0;
  const { _meta: _envelope, ...bare } = params;
  return {
    id: body.id as string | number,
    kind,
    method: method as CallMethod | LocalMethod,
    params: hasRest ? { ...bare, _meta: rest } : bare,
    ...(hasRest ? { meta: rest } : {}),
    clientCapabilities: capabilities,
    ...(isObject(info) ? { clientName: info.name as string } : {}),
    ...(typeof level === 'string' ? { logLevel: level } : {}),
  };
}

/** Only the members each method defines, each of its type (no retry fields, no task augmentation). */
export function paramsFit(method: string, p: Record<string, unknown>): boolean {
  for (const key of Object.keys(p)) {
    if (key === '_meta') continue;
    switch (method) {
      case 'tools/call':
        if (key === 'name' ? typeof p.name !== 'string' : key === 'arguments' ? !isObject(p.arguments) : true) return false;
        break;
      case 'prompts/get':
        if (key === 'name' ? typeof p.name !== 'string' : key === 'arguments' ? !stringRecord(p.arguments) : true) return false;
        break;
      case 'resources/read':
        if (key !== 'uri' || typeof p.uri !== 'string') return false;
        break;
      default:
        if (key !== 'cursor' || typeof p.cursor !== 'string') return false;
    }
  }
  if (method === 'resources/read') return typeof p.uri === 'string';
  if (method === 'tools/call' || method === 'prompts/get') return typeof p.name === 'string';
  return true;
}

/**
 * JSON content. The standard headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`) have already
 * been checked against this body at the edge (mcp-headers.ts, before any dispatch), so a request that
 * gets here carries them right.
 */
function headersFit(req: IncomingMessage): boolean {
  return isJsonContentType(one(req.headers['content-type']));
}

export function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
}

export function validId(id: unknown): boolean {
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));
}

function stringRecord(v: unknown): boolean {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
