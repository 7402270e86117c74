import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { CLIENTS, clientConfigPath, clientEntry, clientSnippet, defaultScope, displayPath, resolveLauncher, type ClientId } from '../../core/clients/index.js';
import { serverSpecFlags } from '../../command-shared.js';
import { localServers, serverSpecFrom } from '../../core/clients/spec.js';

export default class ClientsPrint extends BaseCommand {
  static override summary = 'Print the config snippet for an agent, without touching any file.';
  static override examples = [
    '<%= config.bin %> <%= command.id %> claude-code --url http://127.0.0.1:7420/mcp',
    '<%= config.bin %> <%= command.id %> codex --connect https://mcp.example.dev/mcp --token homelab',
  ];

  static override args = { client: Args.string({ options: [...CLIENTS], description: 'The agent.', required: true }) };
  static override flags = serverSpecFlags;

  async run(): Promise<{ client: string; name: string; path: string; snippet: string; entry: Record<string, unknown> }> {
    const { args, flags } = await this.parse(ClientsPrint);
    const client = args.client as ClientId;
    const { spec } = await serverSpecFrom({ url: flags.url, connect: flags.connect, token: flags.token, bearerEnv: flags['bearer-env'], server: flags.server }, client, flags.server !== undefined ? localServers(this.store.read()) : undefined);
    const launcher = resolveLauncher();
    const snippet = clientSnippet(client, flags.name, spec, launcher);
    const path = clientConfigPath(client, flags.scope ?? defaultScope(client));
    this.log(snippet.trimEnd());
    this.note(`Merge it into ${displayPath(path)}, or let \`gatehouse clients install ${client}\` do it.`);
    return { client, name: flags.name, path, snippet, entry: clientEntry(client, spec, launcher) };
  }
}
