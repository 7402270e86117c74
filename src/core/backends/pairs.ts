import { ExitCode, UserError } from '../errors.js';

const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 9110 token characters. */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function usage(message: string, hint: string): UserError {
  return new UserError(message, { code: 'invalid_flag', exit: ExitCode.usage, hint });
}

/** `--env K=V` (repeatable). The value may be empty, and may itself contain `=`. */
export function parseEnvAssignments(items: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw usage(`--env "${item}" is not NAME=value.`, 'Write it as --env NAME=value, e.g. --env LOG_LEVEL=debug or --env API_TOKEN=secret:api-token.');
    const name = item.slice(0, eq);
    if (!ENV_NAME_RE.test(name)) throw usage(`--env: "${name}" is not a valid variable name.`, 'Use letters, digits and "_", not starting with a digit.');
    if (name in out) throw usage(`--env ${name} is given twice.`, 'Keep one of them.');
    out[name] = item.slice(eq + 1);
  }
  return out;
}

/** `--header "Name: value"` (repeatable). Names are compared case-insensitively for duplicates. */
export function parseHeaders(items: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon <= 0) throw usage(`--header "${item}" is not "Name: value".`, 'Write it as --header "Name: value", e.g. --header "Authorization: secret:github-token".');
    const name = item.slice(0, colon).trim();
    const value = item.slice(colon + 1).trim();
    if (!HEADER_NAME_RE.test(name)) throw usage(`--header: "${name}" is not a valid header name.`, 'Header names are letters, digits and - (no spaces).');
    if (!value) throw usage(`--header ${name} has no value.`, `Write it as --header "${name}: value".`);
    if (seen.has(name.toLowerCase())) throw usage(`--header ${name} is given twice.`, 'Keep one of them.');
    seen.add(name.toLowerCase());
    out[name] = value;
  }
  return out;
}
