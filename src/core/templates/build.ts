import { UserError } from '../errors.js';
import { formatIssues } from '../config/load.js';
import { restBackendSchema, type RestBackendConfig } from '../config/schema.js';
import { defaultTemplatesDir, instantiateTemplate, loadTemplate, parseSecretFlags } from './index.js';
import { effectiveArguments } from './input-schema.js';
import { loadRestTools, readToolsFile, resolveToolsFile, type RestToolSourceOptions } from './rest-tools.js';

export interface BuildRestBackendOptions {
  /** Backend name, only for messages. */
  name: string;
  /** `--rest <base>` or `--url <base>`. */
  baseUrl: string;
  /** `--tools <file>`: a YAML file of tool definitions. */
  toolsFile?: string;
  /** `--template <t>`. */
  template?: string;
  /** `--secret KEY=ref` pairs (template secrets). */
  secrets?: string[] | Record<string, string>;
  allowWrites?: boolean;
  description?: string;
  prefix?: string;
  timeout?: number;
  /** Copy the tools file's tools into the config instead of pointing at the file. */
  inlineTools?: boolean;
  /** Folder a relative --tools path is taken from (default cwd); the config stores an absolute path. */
  cwd?: string;
  templatesDir?: string;
}

/**
 * What `backends add <name> --rest <base> --tools <file>` and `--template <t> --url <base>` store.
 * Loads every tool now, so a bad file, a write tool without --allow-writes or a missing template
 * secret fails at registration with the same message config load would give.
 */
export function buildRestBackendConfig(opts: BuildRestBackendOptions): RestBackendConfig {
  if (!opts.toolsFile && !opts.template) {
    throw new UserError('A REST backend needs --tools <file> or --template <name>.', {
      code: 'missing_flags',
      exit: 2,
      hint: `For example: gatehouse backends add ${opts.name} --rest ${opts.baseUrl} --tools tools.yaml, or --template prometheus --url ${opts.baseUrl}.`,
    });
  }
  const templatesDir = opts.templatesDir ?? defaultTemplatesDir();
  const secrets = parseSecretFlags(opts.secrets);
  let cfg: Record<string, unknown>;
  if (opts.template) {
    cfg = { ...instantiateTemplate(loadTemplate(opts.template, templatesDir), { url: opts.baseUrl, secrets }) };
  } else {
    if (Object.keys(secrets).length) {
      throw new UserError('--secret fills in template secrets; this backend has no template.', {
        code: 'usage',
        exit: 2,
        hint: 'Put credentials in the backend config instead: auth: {type: bearer, token: env:VAR} or headers: {X-Api-Key: secret:name}.',
      });
    }
    cfg = { type: 'rest', baseUrl: opts.baseUrl };
  }
  if (opts.toolsFile) {
    const path = resolveToolsFile(opts.toolsFile, opts.cwd);
    if (opts.inlineTools) cfg.tools = readToolsFile(path);
    else cfg.toolsFile = path;
  }
  if (opts.allowWrites) cfg.allowWrites = true;
  if (opts.description) cfg.description = opts.description;
  if (opts.prefix !== undefined) cfg.prefix = opts.prefix;
  if (opts.timeout !== undefined) cfg.timeout = opts.timeout;
  const parsed = restBackendSchema.safeParse(cfg);
  if (!parsed.success) {
    throw new UserError(`Invalid REST backend "${opts.name}":\n${formatIssues(`backends.${opts.name}`, parsed.error.issues)}`, {
      code: 'config_invalid',
      exit: 2,
      hint: 'Check --rest/--url (an http or https URL) and the tools file.',
    });
  }
  loadRestTools(parsed.data, { baseDir: opts.cwd, templatesDir });
  return parsed.data;
}

export interface RestToolSummary {
  name: string;
  method: string;
  path: string;
  description?: string;
  access: 'read' | 'write';
  source: 'template' | 'file' | 'inline';
  arguments: Array<{ name: string; required: boolean; type?: string; description?: string }>;
}

/** For `backends show`: each tool with its method and path. Throws UserError when the tools cannot load. */
export function describeRestTools(config: RestBackendConfig, opts: RestToolSourceOptions = {}): RestToolSummary[] {
  return loadRestTools(config, opts).map(({ tool, source }) => {
    const method = tool.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD' || (method === 'POST' && tool.readOnly === true);
    return {
      name: tool.name,
      method,
      path: tool.path,
      ...(tool.description ? { description: firstSentence(tool.description) } : {}),
      access: read ? 'read' : 'write',
      source,
      arguments: effectiveArguments(tool),
    };
  });
}

function firstSentence(s: string): string {
  const line = s.trim().split('\n')[0]!;
  const m = /^(.{1,160}?[.!?])(\s|$)/.exec(line);
  return m ? m[1]! : line.slice(0, 160);
}
