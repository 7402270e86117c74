import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { backendSettingFlags, backendSettingsInput } from '../../backend-flags.js';
import {
  addBackend,
  buildBackendConfig,
  configNetworkWarnings,
  describeBackend,
  isRestInput,
  missingAddInputs,
  parseCommandLine,
  validateBackendName,
  validateBackendUrl,
  type AddBackendInput,
  type AddressWarning,
  type BackendDetail,
} from '../../core/backends/index.js';
import { ExitCode, UserError, errorMessage } from '../../core/errors.js';

const EXAMPLE = 'gatehouse backends add everything --stdio "npx -y @modelcontextprotocol/server-everything"';
const REST_EXAMPLE = 'gatehouse backends add prom --template prometheus --url http://prometheus.monitoring:9090';

export default class BackendsAdd extends BaseCommand {
  static override summary = 'Register a backend: a local stdio MCP command, a remote MCP URL, or a REST API (--rest, --template).';
  static override description = [
    'Secrets are never written to the config: give header and env values that are credentials as',
    'references, secret:<name> (OS keychain, see `gatehouse secrets set`) or env:<VAR>.',
    'In a terminal, missing arguments are asked for; without one, the command fails and names them.',
  ].join('\n');

  static override examples = [
    EXAMPLE,
    '<%= config.bin %> <%= command.id %> files --stdio "node ./server.js --root \'/srv/my files\'" --env LOG_LEVEL=debug --cwd /srv',
    '<%= config.bin %> <%= command.id %> github --url https://api.githubcopilot.com/mcp/ --header "Authorization: secret:github-token"',
    '<%= config.bin %> <%= command.id %> internal --url https://mcp.internal.example/sse --transport sse --cf-access-token internal',
    REST_EXAMPLE,
    '<%= config.bin %> <%= command.id %> billing --rest https://billing.internal.example/api --tools billing-tools.yaml --header "X-Api-Key: secret:billing-key"',
  ];

  static override args = {
    name: Args.string({ description: 'Backend name; also the default tool prefix.', required: false }),
  };

  static override flags = {
    ...backendSettingFlags,
    force: Flags.boolean({ char: 'f', summary: 'Replace a backend of the same name.' }),
  };

  async run(): Promise<BackendDetail & { replaced: boolean; warnings?: AddressWarning[] }> {
    const { args, flags } = await this.parse(BackendsAdd);
    const input: AddBackendInput = { name: args.name, ...backendSettingsInput(flags) };

    const missing = missingAddInputs(input);
    if (missing.length) {
      if (!this.interactive) {
        throw new UserError(`Missing ${missing.join(' and ')} (no terminal to ask in).`, {
          code: 'missing_flags',
          exit: ExitCode.usage,
          hint: `Pass them on the command line, for example: ${isRestInput(input) ? REST_EXAMPLE : EXAMPLE}`,
          details: { missing },
        });
      }
      await this.ask(input, flags.force);
    }

    const backend = buildBackendConfig(input);
    const name = input.name!;
    const { replaced } = addBackend(this.store, name, backend, { force: flags.force });
    const detail = describeBackend(name, backend);
    this.log(`${replaced ? 'Replaced' : 'Added'} backend "${name}" (${detail.type}: ${detail.target})${detail.enabled ? '' : ', disabled'}.`);
    const warnings = await configNetworkWarnings({ backends: { [name]: backend }, gateway: this.store.read().gateway }, { names: [name] });
    for (const w of warnings) process.stderr.write(`Warning: ${w.message}.\nHint: ${w.hint}\n`);
    this.note(`Check it with \`gatehouse backends test ${name}\`.`);
    return { ...detail, replaced, ...(warnings.length ? { warnings } : {}) };
  }

  /** Only what is missing is asked for; prompts go to stderr so stdout stays the result. */
  private async ask(input: AddBackendInput, force: boolean): Promise<void> {
    const { input: text, select } = await import('@inquirer/prompts');
    // Prompts are chatter, so stderr, unless stderr is redirected away from the terminal.
    const ctx = { output: process.stderr.isTTY ? process.stderr : process.stdout };
    if (!input.name) {
      let known: string[] = [];
      try {
        known = Object.keys(this.store.read().backends);
      } catch {
        // a broken store is reported when we write
      }
      input.name = await text(
        {
          message: 'Backend name',
          validate: (v) => validateBackendName(v.trim()) ?? (!force && known.includes(v.trim()) ? `"${v.trim()}" exists already (use --force to replace it)` : true),
        },
        ctx,
      ).then((v) => v.trim());
    }
    if (isRestInput(input)) {
      if (!input.rest && !input.url) {
        input.rest = await text({ message: 'Base URL of the REST API', validate: (v) => validateBackendUrl(v.trim()) ?? true }, ctx).then((v) => v.trim());
      }
    } else if (!input.stdio && !input.url) {
      const kind = await select(
        {
          message: 'How does Gatehouse reach it?',
          choices: [
            { name: 'Start a local command (stdio)', value: 'stdio' as const },
            { name: 'Connect to a URL (streamable HTTP or SSE)', value: 'url' as const },
          ],
        },
        ctx,
      );
      if (kind === 'stdio') {
        input.stdio = await text(
          {
            message: 'Command line',
            validate: (v) => {
              try {
                return parseCommandLine(v).length ? true : 'Give the command to start.';
              } catch (e) {
                return errorMessage(e);
              }
            },
          },
          ctx,
        );
      } else {
        input.url = await text({ message: 'URL', validate: (v) => validateBackendUrl(v.trim()) ?? true }, ctx).then((v) => v.trim());
      }
    }
  }
}
