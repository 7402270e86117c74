import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode, UserError } from '../errors.js';

export const CLIENTS = ['claude-code', 'claude-desktop', 'cursor', 'codex', 'gemini-cli', 'vscode', 'windsurf', 'opencode'] as const;
export type ClientId = (typeof CLIENTS)[number];
export const SCOPES = ['project', 'user'] as const;
export type Scope = (typeof SCOPES)[number];

/** How the client reaches Gatehouse: its HTTP endpoint, or the `gatehouse connect` stdio bridge. */
export type ServerSpec =
  | { kind: 'url'; url: string; /** Env var holding a bearer token, expanded by the client. */ bearerEnv?: string }
  | { kind: 'connect'; url: string; token: string };

export interface ClientPaths {
  /** Home dir; defaults to os.homedir(), which honours HOME. */
  home?: string;
  /** Project dir for project scope; defaults to the working directory. */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** The command a client runs to start `gatehouse connect`. */
export interface Launcher {
  command: string;
  args: string[];
  /** False when `gatehouse` is not on PATH and the absolute command was written instead. */
  onPath: boolean;
}

/** One client's config file: where it is, where the servers sit in it, and the shape of one entry. */
interface Target {
  format: 'json' | 'toml';
  /** Keys from the file's root to the object that holds the servers by name. */
  container: string[];
  scopes: readonly Scope[];
  defaultScope: Scope;
  path(scope: Scope, p: Required<ClientPaths>): string;
  /** The entry for an HTTP endpoint; undefined when the client has no HTTP form (it gets the bridge). */
  url?(spec: Extract<ServerSpec, { kind: 'url' }>): Record<string, unknown>;
  /** The entry for a stdio command. */
  command(command: string, args: string[]): Record<string, unknown>;
  /** What to do next, per scope. */
  next: Partial<Record<Scope, string>>;
}

const xdg = (p: Required<ClientPaths>) => p.env.XDG_CONFIG_HOME ?? join(p.home, '.config');
const appData = (p: Required<ClientPaths>) => p.env.APPDATA ?? join(p.home, 'AppData', 'Roaming');
const bearer = (env: string | undefined, ref: (v: string) => string) => (env ? { headers: { Authorization: `Bearer ${ref(env)}` } } : {});
const stdio = (command: string, args: string[]) => ({ command, args });

const TARGETS: Record<ClientId, Target> = {
  'claude-code': {
    format: 'json',
    container: ['mcpServers'],
    scopes: SCOPES,
    defaultScope: 'project',
    path: (scope, p) => (scope === 'project' ? join(p.cwd, '.mcp.json') : join(p.home, '.claude.json')),
    url: (s) => ({ type: 'http', url: s.url, ...bearer(s.bearerEnv, (v) => `\${${v}}`) }),
    command: stdio,
    next: {
      project: 'Claude Code asks to approve project servers the next time it starts here; check with `claude mcp list`.',
      user: 'Restart Claude Code; check with `claude mcp list`.',
    },
  },
  'claude-desktop': {
    format: 'json',
    container: ['mcpServers'],
    scopes: ['user'],
    defaultScope: 'user',
    path: (_s, p) =>
      p.platform === 'darwin'
        ? join(p.home, 'Library', 'Application Support', 'Claude', 'claude_desktop_config.json')
        : p.platform === 'win32'
          ? join(appData(p), 'Claude', 'claude_desktop_config.json')
          : join(xdg(p), 'Claude', 'claude_desktop_config.json'),
    // Claude Desktop's file takes stdio servers only: an HTTP endpoint goes through the bridge.
    command: stdio,
    next: { user: 'Quit and reopen Claude Desktop; the server shows under Settings → Developer.' },
  },
  cursor: {
    format: 'json',
    container: ['mcpServers'],
    scopes: SCOPES,
    defaultScope: 'project',
    path: (scope, p) => (scope === 'project' ? join(p.cwd, '.cursor', 'mcp.json') : join(p.home, '.cursor', 'mcp.json')),
    url: (s) => ({ url: s.url, ...bearer(s.bearerEnv, (v) => `\${env:${v}}`) }),
    command: stdio,
    next: { project: 'Cursor picks it up on reload (Settings → MCP).', user: 'Cursor picks it up on reload (Settings → MCP).' },
  },
  codex: {
    format: 'toml',
    container: ['mcp_servers'],
    scopes: ['user'],
    defaultScope: 'user',
    path: (_s, p) => join(p.env.CODEX_HOME ?? join(p.home, '.codex'), 'config.toml'),
    url: (s) => ({ url: s.url, ...(s.bearerEnv ? { bearer_token_env_var: s.bearerEnv } : {}) }),
    command: stdio,
    next: { user: 'Codex loads it on its next start; check with `codex mcp list`.' },
  },
  'gemini-cli': {
    format: 'json',
    container: ['mcpServers'],
    scopes: SCOPES,
    defaultScope: 'project',
    path: (scope, p) => (scope === 'project' ? join(p.cwd, '.gemini', 'settings.json') : join(p.home, '.gemini', 'settings.json')),
    url: (s) => ({ httpUrl: s.url, ...bearer(s.bearerEnv, (v) => `\${${v}}`) }),
    command: stdio,
    next: { project: 'Gemini CLI loads it on its next start here; check with `gemini mcp list`.', user: 'Gemini CLI loads it on its next start; check with `gemini mcp list`.' },
  },
  vscode: {
    format: 'json',
    container: ['servers'],
    scopes: SCOPES,
    defaultScope: 'project',
    path: (scope, p) =>
      scope === 'project'
        ? join(p.cwd, '.vscode', 'mcp.json')
        : p.platform === 'darwin'
          ? join(p.home, 'Library', 'Application Support', 'Code', 'User', 'mcp.json')
          : p.platform === 'win32'
            ? join(appData(p), 'Code', 'User', 'mcp.json')
            : join(xdg(p), 'Code', 'User', 'mcp.json'),
    url: (s) => ({ type: 'http', url: s.url, ...bearer(s.bearerEnv, (v) => `\${env:${v}}`) }),
    command: (command, args) => ({ type: 'stdio', command, args }),
    next: { project: 'VS Code offers to start it from .vscode/mcp.json (MCP: List Servers).', user: 'VS Code offers to start it (MCP: List Servers).' },
  },
  windsurf: {
    format: 'json',
    container: ['mcpServers'],
    scopes: ['user'],
    defaultScope: 'user',
    path: (_s, p) => join(p.home, '.codeium', 'windsurf', 'mcp_config.json'),
    url: (s) => ({ serverUrl: s.url, ...bearer(s.bearerEnv, (v) => `\${env:${v}}`) }),
    command: stdio,
    next: { user: 'Refresh the MCP servers in Windsurf (Cascade → MCP).' },
  },
  opencode: {
    format: 'json',
    container: ['mcp', 'servers'],
    scopes: SCOPES,
    defaultScope: 'project',
    path: (scope, p) => (scope === 'project' ? join(p.cwd, 'opencode.json') : join(xdg(p), 'opencode', 'opencode.json')),
    url: (s) => ({ type: 'remote', url: s.url, ...bearer(s.bearerEnv, (v) => `{env:${v}}`) }),
    command: (command, args) => ({ type: 'local', command: [command, ...args] }),
    next: { project: 'opencode connects on its next start here; check with `opencode mcp list`.', user: 'opencode connects on its next start; check with `opencode mcp list`.' },
  },
};

function fill(paths: ClientPaths): Required<ClientPaths> {
  return { home: paths.home ?? homedir(), cwd: resolve(paths.cwd ?? process.cwd()), env: paths.env ?? process.env, platform: paths.platform ?? process.platform };
}

export function defaultScope(client: ClientId): Scope {
  return TARGETS[client].defaultScope;
}

export function clientFormat(client: ClientId): { format: 'json' | 'toml'; container: string[] } {
  return { format: TARGETS[client].format, container: TARGETS[client].container };
}

export function nextStep(client: ClientId, scope: Scope): string | undefined {
  return TARGETS[client].next[scope];
}

export function clientConfigPath(client: ClientId, scope: Scope, paths: ClientPaths = {}): string {
  const t = TARGETS[client];
  if (!t.scopes.includes(scope)) {
    throw new UserError(`${client} reads MCP servers from its ${t.defaultScope} config (${t.path(t.defaultScope, fill(paths))}), not from the ${scope}.`, {
      code: 'scope_unsupported',
      exit: ExitCode.usage,
      hint: `Use --scope ${t.defaultScope} (the default for ${client}).`,
    });
  }
  return t.path(scope, fill(paths));
}

/** The entry a client stores under its servers object for this spec. */
export function clientEntry(client: ClientId, spec: ServerSpec, launcher: Launcher = { command: 'gatehouse', args: [], onPath: true }): Record<string, unknown> {
  const t = TARGETS[client];
  if (spec.kind === 'connect') return t.command(launcher.command, [...launcher.args, 'connect', spec.url, '--token', spec.token]);
  if (t.url) return t.url(spec);
  // No HTTP form: the bridge, with the bearer token (if any) read from the same variable.
  return t.command(launcher.command, [...launcher.args, 'connect', spec.url, ...(spec.bearerEnv ? ['--bearer-secret', `env:${spec.bearerEnv}`] : [])]);
}

/** Whether this spec makes the client run a command (and so needs a launcher). */
export function runsCommand(client: ClientId, spec: ServerSpec): boolean {
  return spec.kind === 'connect' || !TARGETS[client].url;
}

/**
 * `gatehouse` when it is on PATH; otherwise the absolute command that runs this installation
 * (`node …/bin/run.js`), since a client started from a desktop or another shell would fail with
 * "executable not found".
 */
export function resolveLauncher(env: NodeJS.ProcessEnv = process.env): Launcher {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, process.platform === 'win32' ? 'gatehouse.cmd' : 'gatehouse');
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return { command: 'gatehouse', args: [], onPath: true };
    } catch {
      // not here
    }
  }
  return { command: process.execPath, args: [fileURLToPath(new URL('../../../bin/run.js', import.meta.url))], onPath: false };
}
