import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { relative, resolve } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { atomicWriteFile } from '../secrets/atomic.js';
import { unifiedDiff } from './diff.js';
import { EntryConflictError, JsonSyntaxError, deepEqual, lineAndColumn, nodeValue, parseJsonTree, upsertJsonMember, type UpsertAction } from './json-edit.js';
import { renderTomlTable, upsertTomlTable } from './toml-edit.js';
import { findStaleEntries, repointText, type StaleEntry } from './repoint.js';
import { clientConfigPath, clientEntry, clientFormat, defaultScope, type ClientId, type ClientPaths, type Launcher, type Scope, type ServerSpec } from './targets.js';

export { CLIENTS, SCOPES, clientConfigPath, clientEntry, defaultScope, type ClientId, type ClientPaths, type Scope, type ServerSpec } from './targets.js';

export const SERVER_NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

/** Query parameter names that carry credentials; such URLs would put a secret in the file. */
const SECRET_PARAM_RE = /^(token|access_token|api[-_]?key|key|secret|password|pass|auth|signature|sig)$/i;

export function validateSpec(name: string, spec: ServerSpec): void {
  if (!SERVER_NAME_RE.test(name)) {
    throw new UserError(`Invalid server name "${name}".`, {
      code: 'server_name_invalid',
      exit: ExitCode.usage,
      hint: 'Use 1-64 letters, digits, "_" or "-" (clients build tool names like mcp__<name>__<tool> from it).',
    });
  }
  let u: URL;
  try {
    u = new URL(spec.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new UserError(`"${spec.url}" is not an http(s) URL.`, { code: 'url_invalid', exit: ExitCode.usage, hint: 'Give the full endpoint, e.g. http://127.0.0.1:7420/mcp' });
  }
  if (u.username || u.password) {
    throw new UserError('The URL carries a user name or password; Gatehouse never writes credentials into client config files.', {
      code: 'url_has_credentials',
      exit: ExitCode.usage,
      hint: spec.kind === 'url' ? 'Drop them from the URL and pass --bearer-env <VAR> so the client expands the token from its environment.' : 'Drop them from the URL; `gatehouse connect` adds the token from the keychain.',
    });
  }
  const secretParam = [...u.searchParams.keys()].find((k) => SECRET_PARAM_RE.test(k));
  if (secretParam) {
    throw new UserError(`The URL has a "${secretParam}" query parameter, which looks like a credential; Gatehouse never writes credentials into client config files.`, {
      code: 'url_has_credentials',
      exit: ExitCode.usage,
      hint: 'Remove it, and use --bearer-env <VAR> (URL form) or --connect with --token (keychain) instead.',
    });
  }
  if (spec.kind === 'url' && spec.bearerEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(spec.bearerEnv)) {
    throw new UserError(`"${spec.bearerEnv}" is not an environment variable name.`, { code: 'env_name_invalid', exit: ExitCode.usage, hint: 'Pass the variable\'s name (e.g. GATEHOUSE_TOKEN), never its value.' });
  }
}

/** What `clients print` shows: the fragment to paste into the client's file. */
export function clientSnippet(client: ClientId, name: string, spec: ServerSpec, launcher?: Launcher): string {
  validateSpec(name, spec);
  const entry = clientEntry(client, spec, launcher);
  const { format, container } = clientFormat(client);
  if (format === 'toml') return renderTomlTable([...container, name], entry);
  const wrapped = container.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), { [name]: entry });
  return `${JSON.stringify(wrapped, null, 2)}\n`;
}

export interface InstallOptions extends ClientPaths {
  client: ClientId;
  scope?: Scope;
  name: string;
  spec: ServerSpec;
  dryRun?: boolean;
  force?: boolean;
  /** How the client starts `gatehouse connect` (default: `gatehouse` on PATH). */
  launcher?: Launcher;
}

export interface InstallResult {
  client: ClientId;
  scope: Scope;
  path: string;
  name: string;
  action: UpsertAction;
  /** Unified diff of the change ('' when unchanged). */
  diff: string;
  written: boolean;
  entry: Record<string, unknown>;
}

/**
 * Adds (or with `force` replaces) one server entry in a client's config file, leaving every other
 * byte of the file as it was. With `dryRun` it only computes the diff.
 */
export async function installClient(opts: InstallOptions): Promise<InstallResult> {
  const { client, name, spec } = opts;
  validateSpec(name, spec);
  const scope = opts.scope ?? defaultScope(client);
  const path = clientConfigPath(client, scope, opts);
  const entry = clientEntry(client, spec, opts.launcher);
  const { format, container } = clientFormat(client);

  let before = '';
  let mode: number | undefined;
  try {
    before = await readFile(path, 'utf8');
    mode = (await stat(path)).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new UserError(`Cannot read ${path}: ${(e as Error).message}`, { code: 'client_config_unreadable', hint: 'Check the file permissions.' });
    }
  }

  let after: string;
  let action: UpsertAction;
  try {
    ({ text: after, action } =
      format === 'toml'
        ? upsertTomlTable(before, [...container, name], renderTomlTable([...container, name], entry), { force: opts.force })
        : upsertJsonMember(before, container, name, entry, { force: opts.force }));
  } catch (e) {
    if (e instanceof EntryConflictError && e.inlineLine !== undefined) {
      throw new UserError(`${path} defines "${name}" inline (line ${e.inlineLine}), which Gatehouse does not rewrite.`, {
        code: 'client_entry_inline',
        hint: `Remove that line (or move it into a [mcp_servers.${name}] table) by hand, then run the command again; or choose another --name.`,
        details: { path, name, line: e.inlineLine },
      });
    }
    if (e instanceof EntryConflictError) {
      throw new UserError(`${path} already has an MCP server named "${name}" with different settings.`, {
        code: 'client_entry_exists',
        hint: `Pass --force to replace it (add --dry-run to see the change first), or choose another --name.`,
        details: { path, name },
      });
    }
    if (e instanceof JsonSyntaxError) {
      const { line, column } = lineAndColumn(before, e.offset);
      throw new UserError(`Cannot edit ${path}: ${e.message} at line ${line}, column ${column}.`, {
        code: 'client_config_invalid',
        hint: 'Fix the file by hand (nothing was changed), then run the command again.',
      });
    }
    throw e;
  }

  const diff = unifiedDiff(before, after, displayPath(path, opts));
  let written = false;
  if (!opts.dryRun && action !== 'unchanged') {
    // Never write what we could not read back: the edit must still parse and hold the entry.
    if (format === 'json') assertRoundTrip(after, container, name, entry);
    // A new project file is meant to be shared (0644); user files hold personal settings (0600).
    await atomicWriteFile(path, after, mode ?? (scope === 'project' ? 0o644 : 0o600), 0o755);
    written = true;
  }
  return { client, scope, path, name, action, diff, written, entry };
}

/** `.mcp.json` inside the project, `~/.claude.json` inside home, else the absolute path. */
export function displayPath(path: string, paths: ClientPaths = {}): string {
  const cwd = resolve(paths.cwd ?? process.cwd());
  const home = paths.home ?? homedir();
  const inCwd = relative(cwd, path);
  if (!inCwd.startsWith('..') && !inCwd.startsWith('/')) return inCwd;
  const inHome = relative(home, path);
  if (!inHome.startsWith('..') && !inHome.startsWith('/')) return `~/${inHome}`;
  return path;
}

function assertRoundTrip(text: string, container: string[], name: string, entry: Record<string, unknown>): void {
  const root = parseJsonTree(text);
  let servers = nodeValue(text, root) as Record<string, unknown> | undefined;
  for (const key of container) servers = servers?.[key] as Record<string, unknown> | undefined;
  if (!deepEqual(servers?.[name], entry)) throw new Error(`internal error: the edited file does not hold the new "${name}" entry; nothing was written`);
}

export interface RepointResult {
  client: ClientId;
  scope: Scope;
  path: string;
  /** The entries repointed, each with the old URL it named. */
  entries: Array<{ name: string; from: string }>;
  to: string;
  diff: string;
  written: boolean;
}

/** The entries of a client's config file that name one of the old gateway's URLs (none when the file does not exist). */
export async function staleClientEntries(opts: ClientPaths & { client: ClientId; scope?: Scope; oldUrls: readonly string[] }): Promise<{ path: string; scope: Scope; text: string; entries: StaleEntry[] }> {
  const scope = opts.scope ?? defaultScope(opts.client);
  const path = clientConfigPath(opts.client, scope, opts);
  const text = await readFile(path, 'utf8').catch(() => '');
  const { format, container } = clientFormat(opts.client);
  let entries: StaleEntry[] = [];
  try {
    entries = findStaleEntries(text, format, container, opts.oldUrls);
  } catch {
    // A file that does not parse is reported by the install itself.
  }
  return { path, scope, text, entries };
}

/**
 * Points the stale entries at `url`: only their URL strings change, every other byte stays (so
 * headers, names and comments are kept and no secret is written). With `dryRun`, only the diff.
 */
export async function repointClient(opts: ClientPaths & { client: ClientId; scope?: Scope; oldUrls: readonly string[]; url: string; dryRun?: boolean }): Promise<RepointResult> {
  validateSpec('gatehouse', { kind: 'url', url: opts.url });
  const { path, scope, text, entries } = await staleClientEntries(opts);
  const after = repointText(text, entries, opts.url);
  const diff = unifiedDiff(text, after, displayPath(path, opts));
  let written = false;
  if (!opts.dryRun && after !== text) {
    const mode = (await stat(path)).mode & 0o777;
    await atomicWriteFile(path, after, mode, 0o755);
    written = true;
  }
  return { client: opts.client, scope, path, entries: entries.map((e) => ({ name: e.name, from: e.url })), to: opts.url, diff, written };
}
