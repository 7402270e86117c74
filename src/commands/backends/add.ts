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
  type AddBackendInput,
  type AddressWarning,
  type BackendDetail,
} from '../../core/backends/index.js';
import { listTokens } from '../../core/cfaccess/tokens.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { openSecrets } from '../../core/secrets/index.js';
import { listTemplates } from '../../core/templates/index.js';

const EXAMPLE = 'gatehouse backends add everything --stdio "npx -y @modelcontextprotocol/server-everything"';
const REST_EXAMPLE = 'gatehouse backends add prom --template prometheus --url http://prometheus.monitoring:9090';

export default class BackendsAdd extends BaseCommand {
  static override summary = 'Register a backend: a local stdio MCP command, a remote MCP URL, or a REST API (--rest, --template).';
  static override description = [
    'Secrets are never written to the config: give header and env values that are credentials as',
    'references, secret:<name> (OS keychain, see `gatehouse secrets set`) or env:<VAR>.',
    'In a terminal, missing arguments are asked for (any kind: stdio, MCP URL, REST from a template or a tools file, with',
    'template secrets, a secret header and a Cloudflare Access token); without one, the command fails and names them.',
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

  /** Only what is missing is asked for, every kind of backend included (src/backend-prompts.ts). */
  private async ask(input: AddBackendInput, force: boolean): Promise<void> {
    const { askBackendInput } = await import('../../backend-prompts.js');
    let known: string[] = [];
    try {
      known = Object.keys(this.store.read().backends);
    } catch {
      // a broken store is reported when we write
    }
    await askBackendInput(input, {
      known,
      force,
      templates: () => listTemplates(),
      tokens: async () => (await listTokens(openSecrets({ dir: this.store.dir }))).map((t) => t.name),
    });
  }
}
