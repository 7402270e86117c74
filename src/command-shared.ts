import { Flags } from '@oclif/core';
import type { TokenPrompter } from './core/cfaccess/input.js';
import { SCOPES } from './core/clients/index.js';
import { WRITABLE_STORES } from './core/secrets/index.js';

/*
 * Flag sets and prompt adapters used by more than one command. Commands never import each other, and
 * core knows nothing of oclif or prompts, so they live here, next to the base command.
 */

/** `tokens add` and `tokens rotate`. */
export const tokenInputFlags = {
  'client-id': Flags.string({ summary: 'The CF-Access-Client-Id (ends in .access). The secret is then read from stdin, or asked for in a terminal.' }),
  team: Flags.string({ summary: 'Your Zero Trust team domain (myteam or myteam.cloudflareaccess.com); used in diagnostics.' }),
  store: Flags.option({ options: WRITABLE_STORES, summary: 'Where to keep it (default: keychain, or GATEHOUSE_SECRET_STORE).' })(),
};

/** `clients install` and `clients print`. */
export const serverSpecFlags = {
  name: Flags.string({ summary: 'Server name in the client (its tools appear as mcp__<name>__…).', default: 'gatehouse' }),
  url: Flags.string({ summary: 'The Gatehouse endpoint the client connects to over HTTP. Default: the running gateway\'s, else http://127.0.0.1:7420/mcp.', exclusive: ['connect'] }),
  connect: Flags.string({ summary: 'A remote MCP URL reached through the `gatehouse connect` stdio bridge (needs --token).', exclusive: ['url'], dependsOn: ['token'] }),
  token: Flags.string({ summary: 'Name of the stored Cloudflare Access token `gatehouse connect` sends (never its value).', dependsOn: ['connect'] }),
  'bearer-env': Flags.string({ summary: 'With --url: name of an environment variable holding a bearer token, expanded by the client at start.', dependsOn: ['url'] }),
  server: Flags.string({ summary: 'A virtual server from gateway.servers: the client connects to /servers/NAME/mcp (without --url, on the local gateway from gatehouse.yaml).' }),
  scope: Flags.option({ options: SCOPES, summary: 'project (.mcp.json, .cursor/mcp.json, .gemini/settings.json, .vscode/mcp.json, opencode.json) or user (~/.claude.json, ~/.codex/config.toml, …). Default: project; user for codex, claude-desktop and windsurf, which have no project file.' })(),
};

/** Prompts on stderr, so stdout stays the result; loaded only when a prompt is needed. */
export async function stderrPrompter(): Promise<TokenPrompter> {
  const { input, password } = await import('@inquirer/prompts');
  const ctx = { output: process.stderr };
  return {
    input: (message, validate) => input({ message, validate }, ctx),
    password: (message, validate) => password({ message, validate }, ctx),
  };
}
