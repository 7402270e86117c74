import { Flags } from '@oclif/core';
import type { Interfaces } from '@oclif/core';
import { ISOLATIONS, TRANSPORTS, type AddBackendInput } from './core/backends/build.js';

/**
 * The backend settings `backends add` takes and `backends update` changes, defined once so the two
 * commands cannot drift (commands never import each other).
 */
export const backendSettingFlags = {
  stdio: Flags.string({ summary: 'Command line that starts a stdio MCP server, quoted as in a shell.', helpGroup: 'STDIO' }),
  env: Flags.string({ summary: 'Environment variable for the process, NAME=value (repeatable).', multiple: true, multipleNonGreedy: true, helpGroup: 'STDIO' }),
  cwd: Flags.string({ summary: 'Working directory for the process.', helpGroup: 'STDIO' }),
  url: Flags.string({ summary: 'http(s) URL of a remote MCP server.', helpGroup: 'HTTP' }),
  transport: Flags.option({ options: TRANSPORTS, summary: 'Remote transport; auto tries streamable HTTP, then SSE.', helpGroup: 'HTTP' })(),
  header: Flags.string({ summary: 'HTTP header "Name: value" (repeatable).', multiple: true, multipleNonGreedy: true, helpGroup: 'HTTP' }),
  'cf-access-token': Flags.string({ summary: 'Name of a stored Cloudflare Access token to send.', helpGroup: 'HTTP' }),
  rest: Flags.string({ summary: 'Base URL of a REST API whose endpoints become tools (with --tools or --template).', helpGroup: 'REST' }),
  template: Flags.string({ summary: 'REST template (see `gatehouse templates list`); the base URL comes from --url or --rest.', helpGroup: 'REST' }),
  tools: Flags.string({ summary: 'YAML file of REST tool definitions.', helpGroup: 'REST' }),
  secret: Flags.string({ summary: 'Template secret as a reference, KEY=secret:<name> or KEY=env:<VAR> (repeatable).', multiple: true, multipleNonGreedy: true, helpGroup: 'REST' }),
  'ca-file': Flags.string({ summary: 'PEM file of a CA to trust for the REST base URL (e.g. a k3s cluster CA); stored as tls.caFile.', helpGroup: 'REST' }),
  'allow-writes': Flags.boolean({ summary: 'Allow REST tools that write (POST, PUT, PATCH, DELETE).', helpGroup: 'REST' }),
  'inline-tools': Flags.boolean({ summary: 'Copy the --tools file into the config instead of referring to it.', helpGroup: 'REST' }),
  prefix: Flags.string({ summary: 'Tool name prefix (default: the backend name).' }),
  timeout: Flags.custom<number>({
    summary: 'Call timeout in seconds (resets on progress).',
    parse: async (input) => {
      const n = Number(input);
      if (!input.trim() || !Number.isFinite(n) || n <= 0 || n > 86_400) throw new Error(`"${input}" is not a number of seconds between 0 and 86400.`);
      return n;
    },
  })(),
  disabled: Flags.boolean({ summary: 'Register it switched off (enable later with `backends enable`).' }),
  isolation: Flags.option({ options: ISOLATIONS, summary: 'shared: one connection for all clients; per-session: one per client session.' })(),
  description: Flags.string({ summary: 'A note for people reading the config.' }),
};

/** The parsed values of `backendSettingFlags`, as the core input `add` and `update` both take. */
export function backendSettingsInput(flags: Interfaces.InferredFlags<typeof backendSettingFlags>): Omit<AddBackendInput, 'name' | 'baseDir'> {
  return {
    stdio: flags.stdio,
    env: flags.env,
    cwd: flags.cwd,
    url: flags.url,
    transport: flags.transport,
    header: flags.header,
    prefix: flags.prefix,
    timeout: flags.timeout,
    disabled: flags.disabled,
    isolation: flags.isolation,
    cfAccessToken: flags['cf-access-token'],
    description: flags.description,
    rest: flags.rest,
    template: flags.template,
    tools: flags.tools,
    secret: flags.secret,
    allowWrites: flags['allow-writes'],
    inlineTools: flags['inline-tools'],
    caFile: flags['ca-file'],
  };
}
