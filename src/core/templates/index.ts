import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';
import { formatIssues } from '../config/load.js';
import { restBackendBaseSchema, restToolSchema, type RestBackendConfig, type RestToolConfig } from '../config/schema.js';
import { SECRET_REF_RE } from '../secrets/resolve.js';

/** templates/backends/ in the package (the same relative path from src/ and dist/). */
export function defaultTemplatesDir(): string {
  return fileURLToPath(new URL('../../../templates/backends/', import.meta.url));
}

const secretSchema = z.strictObject({
  description: z.string(),
  required: z.boolean().optional(),
  example: z.string().optional(),
});

const templateBackendSchema = restBackendBaseSchema.pick({ headers: true, auth: true, tls: true, timeout: true, maxResponseBytes: true }).partial();

export const templateSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  title: z.string(),
  description: z.string(),
  docs: z.string().optional(),
  /** An example base URL, shown by `templates show` and used in usage lines. */
  url: z.string(),
  secrets: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), secretSchema).optional(),
  backend: templateBackendSchema.optional(),
  notes: z.string().optional(),
  tools: z.array(restToolSchema).min(1),
  /**
   * Default argument constraints per tool (JSON Schema fragments, as a backend's `constraints`); the
   * operator's constraints on the backend narrow them, never widen them.
   */
  constraints: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))).optional(),
});

export type BackendTemplate = z.infer<typeof templateSchema> & { source: string };

const cache = new Map<string, BackendTemplate>();

export function listTemplateNames(dir = defaultTemplatesDir()): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -5))
      .sort();
  } catch {
    return [];
  }
}

export function listTemplates(dir = defaultTemplatesDir()): BackendTemplate[] {
  return listTemplateNames(dir).map((n) => loadTemplate(n, dir));
}

/** Loads and validates one template. Its write tools load only on a backend with allowWrites (rest-tools.ts). */
export function loadTemplate(name: string, dir = defaultTemplatesDir()): BackendTemplate {
  const file = join(dir, `${name}.yaml`);
  const cached = cache.get(file);
  if (cached) return cached;
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name) || !listTemplateNames(dir).includes(name)) {
    const known = listTemplateNames(dir);
    throw new UserError(`No backend template named "${name}".`, {
      code: 'template_unknown',
      hint: known.length ? `Templates: ${known.join(', ')}. See \`gatehouse templates list\`.` : `No templates found in ${dir}.`,
    });
  }
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UserError(`Cannot read template ${file}: ${(e as Error).message}`, { code: 'template_invalid' });
  }
  const result = templateSchema.safeParse(raw);
  if (!result.success) {
    throw new UserError(`Invalid template ${file}:\n${formatIssues(file, result.error.issues)}`, { code: 'template_invalid' });
  }
  const names = new Set(result.data.tools.map((t) => t.name));
  const stray = Object.keys(result.data.constraints ?? {}).filter((n) => !names.has(n));
  if (stray.length) throw new UserError(`Template ${file} constrains tools it does not have: ${stray.join(', ')}`, { code: 'template_invalid' });
  const t = { ...result.data, source: file };
  cache.set(file, t);
  return t;
}

/** Parses `KEY=ref` pairs from --secret flags. References only: a literal secret must not land in config. */
export function parseSecretFlags(pairs: string[] | Record<string, string> | undefined): Record<string, string> {
  if (!pairs) return {};
  const entries = Array.isArray(pairs)
    ? pairs.map((p) => {
        const i = p.indexOf('=');
        if (i <= 0) {
          throw new UserError(`--secret "${p}" is not KEY=ref.`, { code: 'usage', exit: 2, hint: 'Write it as KEY=env:VAR or KEY=secret:name, e.g. --secret TOKEN=env:PROM_TOKEN.' });
        }
        return [p.slice(0, i), p.slice(i + 1)] as const;
      })
    : Object.entries(pairs);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (!SECRET_REF_RE.test(v)) {
      throw new UserError(`--secret ${k} must be a reference (env:VAR or secret:name), not a literal value.`, {
        code: 'usage',
        exit: 2,
        hint: `Store the value first (\`gatehouse secrets set ${k.toLowerCase()}\`) and pass --secret ${k}=secret:${k.toLowerCase()}, or export it and pass --secret ${k}=env:${k}.`,
      });
    }
    out[k] = v;
  }
  return out;
}

const WHOLE_SECRET = /^\$\{([A-Z][A-Z0-9_]*)\}$/;

/**
 * Makes a backend config from a template. Tools stay in the template (the config records its name), so
 * template fixes reach existing backends; headers and auth are copied with `${KEY}` replaced by the
 * reference given for KEY. An optional secret that is not given drops the header or auth using it.
 */
export function instantiateTemplate(t: BackendTemplate, opts: { url: string; secrets?: Record<string, string> }): RestBackendConfig {
  const given = opts.secrets ?? {};
  const declared = t.secrets ?? {};
  const unknown = Object.keys(given).filter((k) => !(k in declared));
  if (unknown.length) {
    throw new UserError(`Template "${t.name}" has no secret ${unknown.map((k) => `"${k}"`).join(', ')}.`, {
      code: 'usage',
      exit: 2,
      hint: Object.keys(declared).length ? `Its secrets: ${Object.keys(declared).join(', ')}.` : `It takes no secrets.`,
    });
  }
  const missing = Object.entries(declared)
    .filter(([k, s]) => s.required && !given[k])
    .map(([k]) => k);
  if (missing.length) {
    throw new UserError(`Template "${t.name}" needs ${missing.map((k) => `--secret ${k}=<ref>`).join(' ')}.`, {
      code: 'missing_flags',
      exit: 2,
      hint: missing.map((k) => `${k}: ${declared[k]!.description}`).join(' '),
    });
  }
  const sub = (v: string): string | undefined => {
    const m = WHOLE_SECRET.exec(v);
    if (!m) return v;
    return given[m[1]!];
  };
  const cfg: Record<string, unknown> = { type: 'rest', baseUrl: opts.url, template: t.name };
  const b = t.backend ?? {};
  if (b.headers) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(b.headers)) {
      const r = sub(v);
      if (r !== undefined) headers[k] = r;
    }
    if (Object.keys(headers).length) cfg.headers = headers;
  }
  if (b.auth) {
    const auth: Record<string, unknown> = {};
    let complete = true;
    for (const [k, v] of Object.entries(b.auth)) {
      if (typeof v !== 'string' || k === 'type' || k === 'name') auth[k] = v;
      else {
        const r = sub(v);
        if (r === undefined) complete = false;
        else auth[k] = r;
      }
    }
    if (complete) cfg.auth = auth;
  }
  if (b.tls) cfg.tls = b.tls;
  if (b.timeout) cfg.timeout = b.timeout;
  if (b.maxResponseBytes) cfg.maxResponseBytes = b.maxResponseBytes;
  return cfg as RestBackendConfig;
}

export type { RestToolConfig };
