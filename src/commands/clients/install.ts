import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { serverSpecFlags } from '../../command-shared.js';
import { localServers, serverSpecFrom } from '../../core/clients/spec.js';
import { tokenInfo } from '../../core/cfaccess/index.js';
import { CLIENTS, displayPath, installClient, nextStep, resolveLauncher, runsCommand, type ClientId, type InstallResult } from '../../core/clients/index.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { openSecrets } from '../../core/secrets/index.js';

export default class ClientsInstall extends BaseCommand {
  static override summary = 'Add Gatehouse to an agent\'s MCP config (Claude Code, Claude Desktop, Cursor, Codex, Gemini CLI, VS Code, Windsurf, opencode), merging into the existing file.';
  static override description = [
    'Only the one server entry is added; other entries, key order, indentation and comments are kept.',
    'A same-named entry with other settings is not replaced without --force; an identical one is left',
    'alone. --dry-run prints the unified diff and writes nothing. No secret value is ever written:',
    '--connect stores the token\'s name and `gatehouse connect` reads it from the keychain; --bearer-env',
    'stores a ${VAR} reference the client expands.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> claude-code --url http://127.0.0.1:7420/mcp',
    '<%= config.bin %> <%= command.id %> cursor --scope user --name homelab --connect https://mcp.example.dev/mcp --token homelab',
    '<%= config.bin %> <%= command.id %> codex --url http://127.0.0.1:7420/mcp --dry-run',
  ];

  static override args = { client: Args.string({ options: [...CLIENTS], description: 'The agent to configure.', required: true }) };
  static override flags = {
    ...serverSpecFlags,
    'dry-run': Flags.boolean({ summary: 'Show the diff; write nothing.' }),
    force: Flags.boolean({ char: 'f', summary: 'Replace a same-named entry with different settings.' }),
  };

  async run(): Promise<InstallResult> {
    const { args, flags } = await this.parse(ClientsInstall);
    const client = args.client as ClientId;
    const { spec, from } = await serverSpecFrom({ url: flags.url, connect: flags.connect, token: flags.token, bearerEnv: flags['bearer-env'], server: flags.server }, client, flags.server !== undefined ? localServers(this.store.read()) : undefined);
    if (from !== 'flag') this.note(from === 'running' ? `Using the running gateway's endpoint ${spec.url} (pass --url for another).` : `No gateway is running here; using serve's default endpoint ${spec.url} (pass --url for another).`);
    const launcher = resolveLauncher();
    if (runsCommand(client, spec) && !launcher.onPath) this.note(`\`gatehouse\` is not on PATH, so the entry runs ${launcher.command} ${launcher.args.join(' ')} (install it on PATH with \`npm install -g\` or \`npm link\` for a portable entry).`);
    if (spec.kind === 'connect' && !spec.token.startsWith('env:')) {
      try {
        if (!(await tokenInfo(openSecrets(), spec.token))) this.note(`Warning: no Cloudflare Access token named "${spec.token}" is stored here yet; add it with \`gatehouse tokens add ${spec.token}\` before the client starts.`);
      } catch {
        // the index is only consulted for this warning
      }
    }
    const result = await installClient({ client, scope: flags.scope, name: flags.name, spec, dryRun: flags['dry-run'], force: flags.force, launcher });
    const where = displayPath(result.path);
    const label = `${client}, ${result.scope} scope`;
    if (flags['dry-run']) {
      if (result.action === 'unchanged') this.log(`No change: ${where} already has "${result.name}" with these settings.`);
      else {
        this.log(result.diff.trimEnd());
        this.note(`Dry run: nothing written (${result.action === 'replaced' ? 'would replace' : 'would add'} "${result.name}" in ${where}, ${label}).`);
      }
      return result;
    }
    if (result.action === 'unchanged') this.log(`No change: ${where} already has "${result.name}" with these settings (${label}).`);
    else if (result.action === 'created') this.log(`Created ${where} with MCP server "${result.name}" (${label}).`);
    else this.log(`${result.action === 'added' ? 'Added' : 'Replaced'} MCP server "${result.name}" in ${where} (${label}).`);
    const next = nextStep(client, result.scope);
    if (next && result.action !== 'unchanged') this.note(next);
    return result;
  }
}
