import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { ExitCode } from '../core/errors.js';
import { openSecrets } from '../core/secrets/index.js';

export default class Call extends BaseCommand {
  static override summary = 'Call one exposed tool and print its result.';
  static override description = [
    'Goes through the running gateway (an MCP client on its URL), so the call passes the same pipeline as an agent\'s: names, policy, approvals, events. When none runs, starts the configured backends here for this one call.',
    'Arguments: --json-args sets them all as one JSON object; each --arg name=value sets one, typed by the tool\'s input schema (numbers, booleans and JSON for objects and arrays).',
    'A gateway with bearer auth needs a client token in GATEHOUSE_CLIENT_TOKEN.',
    'Exit codes: 0 the tool answered, 1 the tool answered with an error (isError) or the call failed, 2 bad arguments, 4 the gateway refused the credentials.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> call everything_echo --arg message=hello',
    `<%= config.bin %> call everything_get-sum --json-args '{"a":1,"b":2}'`,
    '<%= config.bin %> call prom_query --arg query=up --json',
  ];

  static override args = { tool: Args.string({ required: true, description: 'The exposed tool name (see `gatehouse tools`).' }) };
  static override flags = {
    arg: Flags.string({ summary: 'One argument as name=value (repeatable).', multiple: true, default: [] }),
    'json-args': Flags.string({ summary: 'All arguments as a JSON object; --arg values go over it.' }),
    url: Flags.string({ summary: 'The running gateway at this URL, when several run.' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(Call);
    const { callExposedTool } = await import('../server/cli-tools.js');
    const r = await callExposedTool({
      dir: this.store.dir,
      url: flags.url,
      tool: args.tool,
      args: flags.arg,
      jsonArgs: flags['json-args'],
      bearer: process.env.GATEHOUSE_CLIENT_TOKEN || undefined,
      config: () => this.store.read(),
      secrets: openSecrets({ dir: this.store.dir }),
      baseDir: this.configBaseDir,
    });
    if (!this.jsonEnabled()) {
      if (r.via === 'local') this.note('No gateway is running: called through a gateway started here for this call.');
      const shown = r.text || (r.structuredContent !== undefined ? JSON.stringify(r.structuredContent, null, 2) : '(no content)');
      if (r.isError) process.stderr.write(`Tool error from ${r.tool}:\n${shown}\n`);
      else this.log(shown);
    }
    return this.exitWith(r, r.isError ? ExitCode.failure : ExitCode.ok);
  }
}
