import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { serverSpecFlags } from '../../command-shared.js';
import { localServers, serverSpecFrom } from '../../core/clients/spec.js';
import { tokenInfo } from '../../core/cfaccess/index.js';
import { CLIENTS, displayPath, installClient, nextStep, repointClient, resolveLauncher, runsCommand, staleClientEntries, type ClientId, type InstallResult, type RepointResult, type ServerSpec } from '../../core/clients/index.js';
import { readMigrationRecord } from '../../core/migrate/record.js';
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
    '<%= config.bin %> <%= command.id %> claude-code --repoint   # after `gatehouse migrate map --old-url …`',
  ];

  static override args = { client: Args.string({ options: [...CLIENTS], description: 'The agent to configure.', required: true }) };
  static override flags = {
    ...serverSpecFlags,
    'dry-run': Flags.boolean({ summary: 'Show the diff; write nothing.' }),
    force: Flags.boolean({ char: 'f', summary: 'Replace a same-named entry with different settings.' }),
    repoint: Flags.boolean({
      allowNo: true,
      summary: 'Point entries that still name the old gateway (recorded by `migrate map --old-url`) at Gatehouse instead of adding one; --no-repoint skips the question.',
    }),
  };

  async run(): Promise<InstallResult | RepointResult> {
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
    const repointed = await this.maybeRepoint(client, spec, flags);
    if (repointed) return repointed;
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

  /**
   * After a migration: entries of this client's file that still name the old gateway. --repoint (or
   * yes to the question, in a terminal) points them at Gatehouse and adds no entry; otherwise a hint.
   */
  private async maybeRepoint(client: ClientId, spec: ServerSpec, flags: { scope?: 'project' | 'user'; repoint?: boolean; 'dry-run'?: boolean }): Promise<RepointResult | undefined> {
    const record = await readMigrationRecord(this.store.dir);
    if (!record || flags.repoint === false) return undefined;
    const { path, entries } = await staleClientEntries({ client, scope: flags.scope, oldUrls: record.oldUrls });
    const where = displayPath(path);
    if (!entries.length) {
      if (flags.repoint) this.note(`Nothing to repoint: no entry in ${where} names the old gateway (${record.oldUrls.join(', ')}).`);
      return undefined;
    }
    const names = entries.map((e) => `"${e.name}"`).join(', ');
    const what = `${names} in ${where} still ${entries.length === 1 ? 'names' : 'name'} the old gateway (${[...new Set(entries.map((e) => e.url))].join(', ')})`;
    if (spec.kind !== 'url') {
      this.note(`${what}; repointing writes a URL, so it goes with --url, not --connect. Edit ${entries.length === 1 ? 'it' : 'them'} by hand or remove ${entries.length === 1 ? 'it' : 'them'}.`);
      return undefined;
    }
    let yes: boolean | undefined = flags.repoint;
    if (yes === undefined && this.interactive) {
      const { confirm } = await import('@inquirer/prompts');
      yes = await confirm({ message: `${what}. Point ${entries.length === 1 ? 'it' : 'them'} at ${spec.url} instead of adding an entry?`, default: true });
    }
    if (!yes) {
      this.note(`Note: ${what}. Run again with --repoint to point ${entries.length === 1 ? 'it' : 'them'} at ${spec.url} (only the URL changes), or --no-repoint to silence this.`);
      return undefined;
    }
    const result = await repointClient({ client, scope: flags.scope, oldUrls: record.oldUrls, url: spec.url, dryRun: flags['dry-run'] });
    if (flags['dry-run']) {
      this.log(result.diff.trimEnd());
      this.note(`Dry run: nothing written (would point ${names} in ${where} at ${spec.url}).`);
    } else {
      this.log(`Repointed ${names} in ${where} at ${spec.url} (only the URL changed; no new entry added).`);
    }
    return result;
  }
}
