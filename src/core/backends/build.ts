import { ExitCode, UserError } from '../errors.js';
import { BACKEND_NAME_RE, httpBackendSchema, stdioBackendSchema, type BackendConfig } from '../config/schema.js';
import { describeIssues } from '../config/load.js';
import { parseCommandLine } from './command-line.js';
import { parseEnvAssignments, parseHeaders } from './pairs.js';
import { assertFlagValueIsReference, looksLikeSecretValue } from './sensitive.js';

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
}

function usage(message: string, hint: string, details?: Record<string, unknown>): UserError {
  return new UserError(message, { code: 'invalid_flag', exit: ExitCode.usage, hint, details });
}

/** Names what a prompt would have to ask for; empty when the input is complete. */
export function missingAddInputs(input: AddBackendInput): string[] {
  const missing: string[] = [];
  if (!input.name) missing.push('<name>');
  if (!input.stdio && !input.url) missing.push('--stdio or --url');
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
  if (input.cfAccessToken !== undefined && (!/^[A-Za-z0-9_.\-/]+$/.test(input.cfAccessToken) || looksLikeSecretValue(input.cfAccessToken))) {
    throw usage(`--cf-access-token: "${input.cfAccessToken}" is not a token name.`, 'Give the name of a stored Cloudflare Access token (letters, digits, "_", "-", "." or "/"), not the token itself.');
  }
  return parsed.data;
}
