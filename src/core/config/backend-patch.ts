import { buildBackendConfig, checkCaFile, validateBackendUrl, type AddBackendInput } from '../backends/build.js';
import { parseHeaders } from '../backends/pairs.js';
import { assertFlagValueIsReference } from '../backends/sensitive.js';
import { ExitCode, UserError } from '../errors.js';
import type { BackendConfig } from './schema.js';

/** What `backends update` was given: the flags of `add`, each optional, none of them a kind change. */
export type BackendPatchInput = Omit<AddBackendInput, 'name' | 'baseDir'>;

export interface BackendPatch {
  backend: BackendConfig;
  /** Config keys the patch set, in flag order. */
  changed: string[];
}

const PLACEHOLDER_URL = 'https://placeholder.invalid/';

function usage(message: string, hint: string): UserError {
  return new UserError(message, { code: 'invalid_flag', exit: ExitCode.usage, hint });
}

function given(input: BackendPatchInput): string[] {
  const flags: Array<[keyof BackendPatchInput, string]> = [
    ['stdio', '--stdio'],
    ['env', '--env'],
    ['cwd', '--cwd'],
    ['url', '--url'],
    ['transport', '--transport'],
    ['header', '--header'],
    ['cfAccessToken', '--cf-access-token'],
    ['rest', '--rest'],
    ['template', '--template'],
    ['tools', '--tools'],
    ['secret', '--secret'],
    ['allowWrites', '--allow-writes'],
    ['caFile', '--ca-file'],
    ['inlineTools', '--inline-tools'],
    ['prefix', '--prefix'],
    ['timeout', '--timeout'],
    ['disabled', '--disabled'],
    ['isolation', '--isolation'],
    ['description', '--description'],
  ];
  return flags.filter(([k]) => {
    const v = input[k];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== false;
  }).map(([, f]) => f);
}

const ALLOWED: Record<BackendConfig['type'], string[]> = {
  stdio: ['--stdio', '--env', '--cwd', '--prefix', '--timeout', '--disabled', '--isolation', '--description'],
  http: ['--url', '--transport', '--header', '--cf-access-token', '--prefix', '--timeout', '--disabled', '--isolation', '--description'],
  rest: ['--rest', '--url', '--header', '--cf-access-token', '--allow-writes', '--ca-file', '--prefix', '--timeout', '--disabled', '--description'],
};

/**
 * Applies the given flags to a backend as written in the file, leaving every other field as it is.
 * `--env` and `--header` set the named entries and keep the others. What would change the kind of
 * backend, or rebuild a REST one's tools, is refused with a pointer to `backends add --force`.
 */
export function patchBackend(name: string, current: BackendConfig, input: BackendPatchInput): BackendPatch {
  const flags = given(input);
  if (!flags.length) {
    throw usage(`Nothing to update for "${name}": give at least one setting.`, `For example: gatehouse backends update ${name} --timeout 60. See \`gatehouse backends update --help\`.`);
  }
  const refused = flags.filter((f) => !ALLOWED[current.type].includes(f));
  if (refused.length) {
    throw usage(
      `${refused.join(', ')} cannot be changed on the ${current.type} backend "${name}".`,
      `To change its kind or rebuild it, register it again whole: gatehouse backends add ${name} <flags> --force`,
    );
  }
  const next = structuredClone(current) as Record<string, unknown>;
  const changed: string[] = [];
  const set = (key: string, value: unknown) => {
    next[key] = value;
    changed.push(key);
  };

  if (current.type === 'rest') {
    const url = input.rest ?? input.url;
    if (url !== undefined) {
      const problem = validateBackendUrl(url);
      if (problem) throw usage(`${input.rest !== undefined ? '--rest' : '--url'}: ${problem}`, 'For example: --rest https://api.example.com');
      set('baseUrl', url);
    }
    const headers = parseHeaders(input.header);
    for (const [k, v] of Object.entries(headers)) assertFlagValueIsReference('--header', k, v, name);
    if (Object.keys(headers).length) set('headers', { ...((current as { headers?: Record<string, string> }).headers ?? {}), ...headers });
    if (input.cfAccessToken !== undefined) set('cfAccessToken', input.cfAccessToken);
    if (input.allowWrites) set('allowWrites', true);
    if (input.caFile !== undefined) set('tls', { ...((current as { tls?: object }).tls ?? {}), caFile: checkCaFile(input.caFile, process.cwd()) });
    if (input.prefix !== undefined) set('prefix', input.prefix);
    if (input.timeout !== undefined) set('timeout', input.timeout);
    if (input.description !== undefined) set('description', input.description);
    if (input.disabled) set('disabled', true);
    return { backend: next as BackendConfig, changed };
  }

  // Build what `add` would from these flags (with a stand-in for the required target), so every
  // value gets the same parsing and checks as on add, then copy across only what was given.
  const built = buildBackendConfig({
    ...input,
    name,
    ...(current.type === 'stdio' ? { stdio: input.stdio ?? 'placeholder' } : { url: input.url ?? PLACEHOLDER_URL }),
  }) as Record<string, unknown>;
  if (input.stdio !== undefined) {
    next.command = built.command;
    if (built.args) next.args = built.args;
    else delete next.args;
    changed.push('command', 'args');
  }
  if (input.env?.length) set('env', { ...((current as { env?: Record<string, string> }).env ?? {}), ...(built.env as Record<string, string>) });
  if (input.header?.length) set('headers', { ...((current as { headers?: Record<string, string> }).headers ?? {}), ...(built.headers as Record<string, string>) });
  for (const [flagKey, key] of [
    ['cwd', 'cwd'],
    ['url', 'url'],
    ['transport', 'transport'],
    ['cfAccessToken', 'cfAccessToken'],
    ['prefix', 'prefix'],
    ['timeout', 'timeout'],
    ['isolation', 'isolation'],
    ['description', 'description'],
  ] as const) {
    if (input[flagKey] !== undefined) set(key, built[key]);
  }
  if (input.disabled) set('disabled', true);
  return { backend: next as BackendConfig, changed };
}
