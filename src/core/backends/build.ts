import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { ExitCode, UserError, errorMessage } from '../errors.js';
import { BACKEND_NAME_RE, httpBackendSchema, restBackendSchema, stdioBackendSchema, type BackendConfig, type GatehouseConfig, type RestBackendConfig } from '../config/schema.js';
import { buildRestBackendConfig } from '../templates/build.js';
import { describeIssues } from '../config/load.js';
import { parseCommandLine } from './command-line.js';
import { parseEnvAssignments, parseHeaders } from './pairs.js';
import { assertArgsHoldNoSecrets, assertFlagValueIsReference, looksLikeSecretValue } from './sensitive.js';

export const TRANSPORTS = ['auto', 'streamable-http', 'sse'] as const;
export const ISOLATIONS = ['shared', 'per-session'] as const;

/** What `gatehouse backends add` collects, as the strings the person typed. */
export interface AddBackendInput {
  name?: string;
  /** A whole command line, split with shell-like quoting. */
  stdio?: string;
  env?: string[];
  cwd?: string;
  url?: string;
  transport?: (typeof TRANSPORTS)[number];
  header?: string[];
  prefix?: string;
  /** Seconds. */
  timeout?: number;
  disabled?: boolean;
  isolation?: (typeof ISOLATIONS)[number];
  cfAccessToken?: string;
  description?: string;
  /** REST: the service's base URL (`--rest`; with --template, --url works too). */
  rest?: string;
  /** REST: a template from templates/backends. */
  template?: string;
  /** REST: a YAML file of tool definitions. */
  tools?: string;
  /** REST: template secrets, KEY=ref. */
  secret?: string[];
  allowWrites?: boolean;
  /** REST: copy the tools file into the config instead of pointing at it. */
  inlineTools?: boolean;
  /** Folder a relative --tools path is taken from (default: the current one). */
  baseDir?: string;
  /** REST: PEM file of a CA to trust for the base URL (a cluster's self-signed CA). */
  caFile?: string;
}

/** A REST backend is asked for by --rest, --template or --tools. */
export function isRestInput(input: AddBackendInput): boolean {
  return input.rest !== undefined || input.template !== undefined || input.tools !== undefined;
}

function usage(message: string, hint: string, details?: Record<string, unknown>): UserError {
  return new UserError(message, { code: 'invalid_flag', exit: ExitCode.usage, hint, details });
}

/** Names what a prompt would have to ask for; empty when the input is complete. */
export function missingAddInputs(input: AddBackendInput): string[] {
  const missing: string[] = [];
  if (!input.name) missing.push('<name>');
  if (isRestInput(input)) {
    if (!input.rest && !input.url) missing.push(input.template ? '--url <base url>' : '--rest <base url>');
  } else if (!input.stdio && !input.url) missing.push('--stdio or --url');
  return missing;
}

export function validateBackendName(name: string): string | undefined {
  if (BACKEND_NAME_RE.test(name)) return undefined;
  return `"${name}" is not a valid backend name: use letters, digits, "_" or "-", start with a letter or digit, up to 48 characters.`;
}

/** Checks a --url value; returns a message for the person, or undefined when it is fine. */
export function validateBackendUrl(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `"${url}" is not a URL; write it like https://host.example/mcp.`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${url}" is not an http(s) URL.`;
  if (u.username || u.password) return 'Credentials in the URL would be stored in the config file; pass them as a --header with a secret: reference instead.';
  return undefined;
}

const FLAG_FOR_KEY: Record<string, string> = {
  command: '--stdio',
  args: '--stdio',
  env: '--env',
  cwd: '--cwd',
  url: '--url',
  transport: '--transport',
  headers: '--header',
  prefix: '--prefix',
  timeout: '--timeout',
  isolation: '--isolation',
  cfAccessToken: '--cf-access-token',
  description: '--description',
  baseUrl: '--rest',
  tools: '--tools',
  toolsFile: '--tools',
  template: '--template',
  allowWrites: '--allow-writes',
};

/**
 * Builds and validates the BackendConfig that `backends add` will store. Throws a UserError (exit
 * 2) naming the flag at fault. Secrets must arrive as references; nothing literal that looks like a
 * credential is accepted.
 */
export function buildBackendConfig(input: AddBackendInput): BackendConfig {
  const name = input.name ?? '';
  const nameProblem = validateBackendName(name);
  if (nameProblem) throw usage(nameProblem, 'For example: gatehouse backends add github --url https://api.example.com/mcp');
  if (input.cfAccessToken !== undefined && (!/^[A-Za-z0-9_.\-/]+$/.test(input.cfAccessToken) || looksLikeSecretValue(input.cfAccessToken))) {
    throw usage(`--cf-access-token: "${input.cfAccessToken}" is not a token name.`, 'Give the name of a stored Cloudflare Access token (letters, digits, "_", "-", "." or "/"), not the token itself.');
  }
  if (isRestInput(input)) return buildRest(input, name);
  if (input.caFile !== undefined) throw usage('--ca-file only applies to REST backends (--rest, --template or --tools).', 'Remove it, or describe a REST API with --rest <base url>.');
  const restOnly = [input.secret?.length && '--secret', input.allowWrites && '--allow-writes', input.inlineTools && '--inline-tools'].filter(Boolean) as string[];
  if (restOnly.length) throw usage(`${restOnly.join(', ')} only appl${restOnly.length > 1 ? 'y' : 'ies'} to REST backends (--rest, --template or --tools).`, 'Remove them, or describe a REST API with --rest <base url> --tools <file>.');
  if (input.stdio && input.url) throw usage('Give either --stdio or --url, not both.', 'A backend is either a local command (--stdio) or a remote server (--url).');
  if (!input.stdio && !input.url) throw usage('Give --stdio "<command line>" or --url <http(s) url>.', 'For example: --stdio "npx -y @modelcontextprotocol/server-everything" or --url https://host.example/mcp');

  const common = {
    ...(input.description !== undefined ? { description: input.description } : {}),
    ...(input.prefix !== undefined ? { prefix: input.prefix } : {}),
    ...(input.timeout !== undefined ? { timeout: input.timeout } : {}),
    ...(input.disabled ? { disabled: true } : {}),
    ...(input.isolation ? { isolation: input.isolation } : {}),
  };

  let candidate: Record<string, unknown>;
  let schema: typeof stdioBackendSchema | typeof httpBackendSchema;
  if (input.stdio !== undefined) {
    const stray = [input.transport && '--transport', input.header?.length && '--header', input.cfAccessToken && '--cf-access-token'].filter(Boolean) as string[];
    if (stray.length) throw usage(`${stray.join(', ')} only appl${stray.length > 1 ? 'y' : 'ies'} to --url backends.`, 'Remove them, or use --url instead of --stdio.');
    const words = parseCommandLine(input.stdio);
    if (!words.length) throw usage('--stdio is empty.', 'Give the command to start, e.g. --stdio "npx -y @modelcontextprotocol/server-everything".');
    const env = parseEnvAssignments(input.env);
    for (const [k, v] of Object.entries(env)) assertFlagValueIsReference('--env', k, v, name);
    const [command, ...args] = words as [string, ...string[]];
    assertArgsHoldNoSecrets(command, args, name);
    candidate = {
      type: 'stdio',
      command,
      ...(args.length ? { args } : {}),
      ...(Object.keys(env).length ? { env } : {}),
      ...(input.cwd !== undefined ? { cwd: input.cwd } : {}),
      ...common,
    };
    schema = stdioBackendSchema;
  } else {
    const stray = [input.env?.length && '--env', input.cwd !== undefined && '--cwd'].filter(Boolean) as string[];
    if (stray.length) throw usage(`${stray.join(', ')} only appl${stray.length > 1 ? 'y' : 'ies'} to --stdio backends.`, 'Remove them, or use --stdio instead of --url.');
    const url = input.url!;
    const urlProblem = validateBackendUrl(url);
    if (urlProblem) throw usage(`--url: ${urlProblem}`, 'For example: --url https://host.example/mcp');
    const headers = parseHeaders(input.header);
    for (const [k, v] of Object.entries(headers)) assertFlagValueIsReference('--header', k, v, name);
    candidate = {
      type: 'http',
      url,
      ...(input.transport ? { transport: input.transport } : {}),
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(input.cfAccessToken !== undefined ? { cfAccessToken: input.cfAccessToken } : {}),
      ...common,
    };
    schema = httpBackendSchema;
  }

  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    const issue = describeIssues(parsed.error.issues, undefined, candidate)[0]!;
    const flag = FLAG_FOR_KEY[issue.path[0] ?? ''] ?? issue.path.join('.');
    throw usage(`${flag}: ${issue.message}`, 'See `gatehouse backends add --help`.', { path: issue.path });
  }
  return parsed.data;
}

/** --rest / --template / --tools: the REST helper builds and checks the tools; MCP-only flags are refused. */
function buildRest(input: AddBackendInput, name: string): RestBackendConfig {
  if (input.stdio !== undefined) throw usage('--stdio starts an MCP server; --rest, --template and --tools describe a REST API.', 'Use one kind per backend.');
  if (input.rest !== undefined && input.url !== undefined) throw usage('Give the REST base URL once, with --rest or --url.', `For example: gatehouse backends add ${name} --rest https://api.example.com --tools tools.yaml`);
  const stray = [input.env?.length && '--env', input.cwd !== undefined && '--cwd', input.transport && '--transport', input.isolation && '--isolation'].filter(Boolean) as string[];
  if (stray.length) throw usage(`${stray.join(', ')} only appl${stray.length > 1 ? 'y' : 'ies'} to MCP backends, not REST ones.`, 'Remove them.');
  const baseUrl = (input.rest ?? input.url)!;
  const urlProblem = validateBackendUrl(baseUrl);
  if (urlProblem) throw usage(`${input.rest !== undefined ? '--rest' : '--url'}: ${urlProblem}`, 'For example: --rest https://api.example.com');
  const built = buildRestBackendConfig({
    name,
    baseUrl,
    toolsFile: input.tools,
    template: input.template,
    secrets: input.secret,
    allowWrites: input.allowWrites,
    description: input.description,
    prefix: input.prefix,
    timeout: input.timeout,
    inlineTools: input.inlineTools,
    cwd: input.baseDir,
  });
  const headers = parseHeaders(input.header);
  for (const [k, v] of Object.entries(headers)) assertFlagValueIsReference('--header', k, v, name);
  const cfg: Record<string, unknown> = { ...built };
  if (Object.keys(headers).length) cfg.headers = { ...(built.headers ?? {}), ...headers };
  if (input.cfAccessToken !== undefined) cfg.cfAccessToken = input.cfAccessToken;
  if (input.disabled) cfg.disabled = true;
  if (input.caFile !== undefined) cfg.tls = { ...((built as { tls?: object }).tls ?? {}), caFile: checkCaFile(input.caFile, input.baseDir) };
  const parsed = restBackendSchema.safeParse(cfg);
  if (!parsed.success) {
    const issue = describeIssues(parsed.error.issues, undefined, cfg)[0]!;
    const flag = FLAG_FOR_KEY[issue.path[0] ?? ''] ?? issue.path.join('.');
    throw usage(`${flag}: ${issue.message}`, 'See `gatehouse backends add --help`.', { path: issue.path });
  }
  return parsed.data;
}

/**
 * What adding `name` would do, without writing: the same refusal as the write for an existing name
 * without `force`, so a dry run answers exactly what the real run would.
 */
export function previewAddBackend(config: Pick<GatehouseConfig, 'backends'>, name: string, opts: { force?: boolean } = {}): { replaced: boolean } {
  if (!config.backends?.[name]) return { replaced: false };
  if (!opts.force) {
    throw new UserError(`A backend named "${name}" already exists.`, {
      code: 'backend_exists',
      hint: `Pass --force to replace it, or pick another name. \`gatehouse backends show ${name}\` shows its settings.`,
      details: { name },
    });
  }
  return { replaced: true };
}

const PEM_CERT_RE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks a --ca-file before it is stored: the file is readable and holds at least one PEM
 * certificate that parses. Returns the absolute path, so the gateway finds it from any folder.
 */
export function checkCaFile(file: string, baseDir?: string): string {
  const path = resolve(baseDir ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw usage(
      `--ca-file: cannot read ${path}${code === 'ENOENT' ? ' (no such file)' : code === 'EISDIR' ? ' (it is a folder)' : `: ${errorMessage(e)}`}.`,
      'Give the PEM file of the CA that signed the server certificate, e.g. for k3s: kubectl -n kube-system get cm kube-root-ca.crt -o jsonpath="{.data.ca\\.crt}" > k3s-ca.pem',
    );
  }
  const blocks = text.match(PEM_CERT_RE) ?? [];
  if (!blocks.length) {
    throw usage(`--ca-file: ${path} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" block).`, 'Give the CA certificate in PEM form; convert a DER file with `openssl x509 -inform der -in ca.der -out ca.pem`.');
  }
  blocks.forEach((pem, i) => {
    try {
      new X509Certificate(pem);
    } catch (e) {
      throw usage(`--ca-file: certificate ${i + 1} in ${path} does not parse: ${errorMessage(e)}.`, 'Check that the file was copied whole; `openssl x509 -in <file> -noout -text` shows what is wrong.');
    }
  });
  return path;
}
