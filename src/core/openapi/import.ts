import { createHash } from 'node:crypto';
import { parseDocument } from 'yaml';
import { UserError } from '../errors.js';
import { REST_TOOL_NAME_RE, restToolSchema, type RestToolConfig } from '../config/schema.js';
import { BrokenRefError, ExternalRefError, follow, inlineRefs } from './refs.js';
import { toJsonSchema } from './schema.js';

type Json = Record<string, unknown>;

export type SpecVersion = '2.0' | '3.0' | '3.1';

export interface ImportOptions {
  /** Keep POST/PUT/PATCH/DELETE operations (marked destructive); default GET and HEAD only. */
  allowWrites?: boolean;
  /** Keep operations with at least one of these tags. */
  tags?: string[];
  /** Globs over operationId (or the generated name). */
  operations?: string[];
  /** Globs over the spec path: `*` stays within a segment, `**` crosses segments. */
  paths?: string[];
  /** The backend base URL; when its path already holds the spec's server path, it is not repeated. */
  baseUrl?: string;
}

export interface SkippedOperation {
  method: string;
  path: string;
  operationId?: string;
  reason: string;
}

export interface ImportResult {
  version: SpecVersion;
  title?: string;
  /** Path prefix from servers[0] (3.x) or basePath (2.0) that was put in front of every tool path. */
  serverPath: string;
  /** The first server URL the spec names, if absolute; a default for --base-url. */
  serverUrl?: string;
  tools: RestToolConfig[];
  skipped: SkippedOperation[];
  /** Operations left out by --tag/--operation/--path. */
  filtered: number;
  warnings: string[];
}

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'] as const;
const READ = new Set(['get', 'head']);
/** Headers Gatehouse sets itself (auth belongs to the backend, not to agent arguments). */
const RESERVED_HEADERS = new Set(['authorization', 'accept', 'content-type', 'content-length', 'cookie', 'host', 'proxy-authorization', 'cf-access-token', 'cf-access-client-id', 'cf-access-client-secret']);
const MAX_DESCRIPTION = 1000;

/** Parses a spec document (YAML or JSON text). */
export function parseSpecText(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length) {
    const first = doc.errors[0]!;
    const pos = first.linePos?.[0];
    throw new UserError(`Cannot parse the OpenAPI document ${source}${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${first.message.split('\n')[0]}`, {
      code: 'openapi_parse',
      hint: 'Pass an OpenAPI 3.x or Swagger 2.0 document in YAML or JSON.',
    });
  }
  return doc.toJS({ maxAliasCount: 1000 });
}

export function specVersion(doc: unknown): SpecVersion {
  const d = doc as Json | null;
  if (d && typeof d === 'object') {
    if (typeof d.swagger === 'string' && d.swagger.startsWith('2.')) return '2.0';
    if (typeof d.openapi === 'string' && /^3\.0\./.test(d.openapi)) return '3.0';
    if (typeof d.openapi === 'string' && /^3\.1\./.test(d.openapi)) return '3.1';
  }
  throw new UserError('This is not an OpenAPI 3.0/3.1 or Swagger 2.0 document (no "openapi: 3.x" or "swagger: 2.0" at the top).', {
    code: 'openapi_version',
    hint: 'Check that --spec points at the API description itself, not at a docs page.',
  });
}

export function globToRegExp(glob: string, segmentAware: boolean): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += segmentAware ? '[^/]*' : '.*';
    } else if (c === '?') re += segmentAware ? '[^/]' : '.';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** A tool name from an operationId, or from method and path when there is none; at most 64 characters. */
export function toolNameFor(operationId: string | undefined, method: string, path: string): string {
  const raw = operationId?.trim()
    ? operationId.trim()
    : `${method}_${path
        .replace(/\{([^}]*)\}/g, 'by_$1')
        .replace(/^\//, '')}`.toLowerCase();
  let name = raw.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/_+/g, '_').replace(/^[_-]+|[_-]+$/g, '') || method;
  if (name.length > 64) name = `${name.slice(0, 55)}_${createHash('sha256').update(raw).digest('hex').slice(0, 8)}`;
  return name;
}

function serverInfo(doc: Json, version: SpecVersion, baseUrl?: string): { path: string; url?: string } {
  let path = '';
  let url: string | undefined;
  if (version === '2.0') {
    path = typeof doc.basePath === 'string' ? doc.basePath : '';
    if (typeof doc.host === 'string') {
      const scheme = Array.isArray(doc.schemes) && doc.schemes.includes('https') ? 'https' : Array.isArray(doc.schemes) && doc.schemes[0] ? String(doc.schemes[0]) : 'https';
      url = `${scheme}://${doc.host}${path}`;
    }
  } else {
    const server = Array.isArray(doc.servers) ? (doc.servers[0] as Json | undefined) : undefined;
    if (server && typeof server.url === 'string') {
      let u = server.url;
      const vars = (server.variables ?? {}) as Record<string, { default?: string }>;
      u = u.replace(/\{([^}]+)\}/g, (_m, v: string) => String(vars[v]?.default ?? ''));
      if (/^https?:\/\//i.test(u)) {
        url = u;
        try {
          path = new URL(u).pathname;
        } catch {
          path = '';
        }
      } else path = u;
    }
  }
  path = path.replace(/\/+$/, '');
  if (path && !path.startsWith('/')) path = `/${path}`;
  if (baseUrl && path) {
    try {
      if (new URL(baseUrl).pathname.replace(/\/+$/, '').endsWith(path)) path = '';
    } catch {
      // an invalid base URL is reported by the caller
    }
  }
  return { path, url };
}

interface Param {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie' | 'body' | 'formData';
  required?: boolean;
  description?: string;
  schema?: unknown;
  style?: string;
  explode?: boolean;
  deprecated?: boolean;
  [k: string]: unknown;
}

class Skip extends Error {}

/**
 * Turns an OpenAPI document into REST tool definitions: one per kept operation, with an input schema
 * built from its parameters and JSON request body (local $refs inlined, OpenAPI-only keywords
 * converted), path/query/header templates, and the operation's summary as the description.
 */
export function importOpenApi(doc: unknown, opts: ImportOptions = {}): ImportResult {
  const version = specVersion(doc);
  const d = doc as Json;
  const server = serverInfo(d, version, opts.baseUrl);
  const title = typeof (d.info as Json | undefined)?.title === 'string' ? String((d.info as Json).title) : undefined;
  const tools: RestToolConfig[] = [];
  const skipped: SkippedOperation[] = [];
  const warnings: string[] = [];
  let filtered = 0;
  const used = new Set<string>();
  const tagSet = opts.tags?.length ? new Set(opts.tags) : undefined;
  const opGlobs = opts.operations?.map((g) => globToRegExp(g, false));
  const pathGlobs = opts.paths?.map((g) => globToRegExp(g, true));

  const paths = (d.paths ?? {}) as Record<string, unknown>;
  for (const [specPath, rawItem] of Object.entries(paths)) {
    let item: Json;
    try {
      item = follow(d, rawItem) as Json;
    } catch (e) {
      skipped.push({ method: '*', path: specPath, reason: refReason(e) });
      continue;
    }
    if (!item || typeof item !== 'object') continue;
    for (const method of METHODS) {
      const op = item[method] as Json | undefined;
      if (!op || typeof op !== 'object') continue;
      const operationId = typeof op.operationId === 'string' ? op.operationId : undefined;
      const name = toolNameFor(operationId, method, specPath);
      const M = method.toUpperCase();
      if (tagSet && !(Array.isArray(op.tags) && op.tags.some((t) => tagSet.has(String(t))))) {
        filtered++;
        continue;
      }
      if (opGlobs && !opGlobs.some((g) => g.test(operationId ?? name) || g.test(name))) {
        filtered++;
        continue;
      }
      if (pathGlobs && !pathGlobs.some((g) => g.test(specPath))) {
        filtered++;
        continue;
      }
      if (!READ.has(method) && !opts.allowWrites) {
        skipped.push({ method: M, path: specPath, operationId, reason: `${M} is a write; pass --allow-writes to import it` });
        continue;
      }
      try {
        const tool = buildTool(d, version, server.path, specPath, method, op, item, name, warnings);
        let unique = tool.name;
        for (let i = 2; used.has(unique); i++) unique = `${tool.name.slice(0, 60)}_${i}`;
        if (unique !== tool.name) warnings.push(`${M} ${specPath}: the name "${tool.name}" was taken; named "${unique}"`);
        used.add(unique);
        tools.push({ ...tool, name: unique });
      } catch (e) {
        if (e instanceof Skip || e instanceof ExternalRefError || e instanceof BrokenRefError) {
          skipped.push({ method: M, path: specPath, operationId, reason: e instanceof Skip ? e.message : refReason(e) });
        } else throw e;
      }
    }
  }
  return { version, title, serverPath: server.path, serverUrl: server.url, tools, skipped, filtered, warnings };
}

function refReason(e: unknown): string {
  if (e instanceof ExternalRefError) return `uses ${e.message}, refused: only references inside the document are resolved (bundle the spec into one file first)`;
  if (e instanceof BrokenRefError) return e.message;
  return String(e);
}

function argName(raw: string, taken: Set<string>, where: string): string {
  let n = raw.replace(/[^A-Za-z0-9_.$@:[\]-]+/g, '_') || where;
  if (taken.has(n)) n = `${n}_${where}`;
  for (let i = 2; taken.has(n); i++) n = `${n}_${i}`;
  taken.add(n);
  return n;
}

function buildTool(doc: Json, version: SpecVersion, serverPath: string, specPath: string, method: string, op: Json, item: Json, name: string, warnings: string[]): RestToolConfig {
  const M = method.toUpperCase();
  const where = `${M} ${specPath}`;
  // Path-level parameters apply to every operation; an operation's own parameter with the same name and location wins.
  const merged = new Map<string, Param>();
  for (const raw of [...asArray(item.parameters), ...asArray(op.parameters)]) {
    const p = follow(doc, raw) as Param;
    if (!p || typeof p !== 'object' || typeof p.name !== 'string') continue;
    merged.set(`${p.in}:${p.name}`, p);
  }
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const query: Record<string, string> = {};
  const headers: Record<string, string> = {};
  const taken = new Set<string>();
  const pathArgs = new Map<string, string>();
  let body: unknown;

  const addProperty = (arg: string, schema: unknown, p: { description?: string; required?: boolean; deprecated?: boolean }) => {
    const s = { ...((schema as Json) ?? {}) };
    if (p.description && !s.description) s.description = truncate(p.description, 300);
    if (p.deprecated) s.deprecated = true;
    properties[arg] = s;
    if (p.required) required.push(arg);
  };

  for (const p of merged.values()) {
    const schema = paramSchema(doc, version, p);
    switch (p.in) {
      case 'path': {
        const arg = argName(p.name, taken, 'path');
        pathArgs.set(p.name, arg);
        addProperty(arg, schema, { ...p, required: true });
        break;
      }
      case 'query': {
        const s = schema as Json;
        if (s.type === 'object' || p.style === 'deepObject') {
          if (p.required) throw new Skip(`query parameter "${p.name}" is an object (${p.style ?? 'form'} style), which Gatehouse cannot send`);
          warnings.push(`${where}: left out the object query parameter "${p.name}"`);
          break;
        }
        const arg = argName(p.name, taken, 'query');
        addProperty(arg, schema, p);
        query[p.name] = `{${arg}}`;
        break;
      }
      case 'header': {
        if (RESERVED_HEADERS.has(p.name.toLowerCase())) {
          warnings.push(`${where}: left out the "${p.name}" header parameter (credentials and content headers come from the backend config)`);
          break;
        }
        const arg = argName(p.name, taken, 'header');
        addProperty(arg, schema, p);
        headers[p.name] = `{${arg}}`;
        break;
      }
      case 'cookie':
      case 'formData':
        if (p.required) throw new Skip(`${p.in === 'cookie' ? 'cookie' : 'form'} parameter "${p.name}" is required, and Gatehouse sends only JSON bodies`);
        warnings.push(`${where}: left out the ${p.in} parameter "${p.name}"`);
        break;
      case 'body': {
        if (READ.has(method)) break;
        const arg = argName('body', taken, 'body');
        addProperty(arg, toJsonSchema(inlineRefs(doc, p.schema ?? {})), { description: p.description, required: p.required });
        body = `{${arg}}`;
        break;
      }
      default:
        break;
    }
  }

  if (version !== '2.0' && op.requestBody && !READ.has(method)) {
    const rb = follow(doc, op.requestBody) as Json;
    const content = (rb.content ?? {}) as Record<string, Json>;
    const type = Object.keys(content).find((t) => /^application\/(?:[\w.+-]+\+)?json\b/i.test(t)) ?? (content['*/*'] ? '*/*' : undefined);
    if (type) {
      const arg = argName('body', taken, 'body');
      addProperty(arg, toJsonSchema(inlineRefs(doc, content[type]!.schema ?? {})), {
        description: typeof rb.description === 'string' ? rb.description : 'Request body (JSON).',
        required: rb.required === true,
      });
      body = `{${arg}}`;
    } else if (rb.required === true) {
      throw new Skip(`its request body is ${Object.keys(content).join(', ') || 'not described'}, and Gatehouse sends only JSON bodies`);
    } else {
      warnings.push(`${where}: left out an optional non-JSON request body`);
    }
  }

  // The spec path's {param} names become argument names (sanitised), escaping literal braces otherwise.
  const undeclared: Array<{ variable: string; arg: string }> = [];
  const path = `${serverPath}${specPath}`.replace(/\{([^}]*)\}/g, (_m, p: string) => {
    let arg = pathArgs.get(p);
    if (!arg) {
      arg = argName(p, taken, 'path');
      pathArgs.set(p, arg);
      undeclared.push({ variable: p, arg });
    }
    return `{${arg}}`;
  });
  for (const { variable, arg } of undeclared) {
    // A path template variable without a parameter declaration is still a required string.
    properties[arg] = { type: 'string', minLength: 1, description: 'URL path parameter' };
    required.push(arg);
    warnings.push(`${where}: the path variable {${variable}} has no parameter declaration; treated as a required string`);
  }
  if (path.split('/').some((seg) => seg === '.' || seg === '..')) throw new Skip('its path has "." or ".." segments');
  if (/[?#]/.test(path)) throw new Skip('its path contains "?" or "#"');

  const summary = typeof op.summary === 'string' ? op.summary.trim() : '';
  const longer = typeof op.description === 'string' ? op.description.trim() : '';
  let description = [summary, longer && longer !== summary ? longer : ''].filter(Boolean).join('\n\n');
  if (op.deprecated === true) description = `(Deprecated) ${description}`;
  if (!description) description = `${M} ${specPath}`;

  const candidate: Json = {
    name,
    description: truncate(description, MAX_DESCRIPTION),
    method: M,
    path,
    ...(Object.keys(query).length ? { query } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(body !== undefined ? { body } : {}),
    inputSchema: { type: 'object', properties, ...(required.length ? { required: [...new Set(required)] } : {}) },
    ...(summary ? { annotations: { title: truncate(summary, 120) } } : {}),
  };
  if (!REST_TOOL_NAME_RE.test(name)) throw new Skip(`cannot make a valid tool name from "${name}"`);
  const parsed = restToolSchema.safeParse(candidate);
  if (!parsed.success) throw new Skip(`it does not fit a REST tool: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** A parameter's JSON Schema: 3.x `schema` (or `content`), 2.0 inline type/format/items/enum. */
function paramSchema(doc: Json, version: SpecVersion, p: Param): unknown {
  let schema: unknown;
  if (version === '2.0' && p.in !== 'body') {
    const { name: _n, in: _i, required: _r, description: _d, ...rest } = p;
    schema = rest;
  } else if (p.schema !== undefined) {
    schema = p.schema;
  } else if (p.content && typeof p.content === 'object') {
    const first = Object.values(p.content as Record<string, Json>)[0];
    schema = first?.schema ?? {};
  } else schema = { type: 'string' };
  let s = toJsonSchema(inlineRefs(doc, schema)) as Json;
  // Comma-joined arrays (2.0 csv, 3.x form without explode) cannot be repeated parameters: take the joined text.
  const commaJoined = version === '2.0' ? (p.collectionFormat ?? 'csv') !== 'multi' : p.in === 'query' && p.explode === false;
  if (s.type === 'array' && commaJoined && p.in !== 'path') {
    s = { type: 'string', description: `Comma-separated list${s.items && (s.items as Json).enum ? ` of ${((s.items as Json).enum as unknown[]).join(', ')}` : ''}.` };
  }
  if (p.in === 'path' && (s.type === 'array' || s.type === 'object')) {
    s = { type: 'string', description: 'URL path parameter' };
  }
  return s;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
