import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { backendSettingFlags, backendSettingsInput } from '../../backend-flags.js';
import { assertNoLiteralSecrets, describeBackend, findBackend, type BackendDetail } from '../../core/backends/index.js';
import { patchBackend } from '../../core/config/backend-patch.js';

export default class BackendsUpdate extends BaseCommand {
  static override summary = 'Change some settings of a backend; everything not given stays as it is.';
  static override description = [
    'Takes the flags of `backends add`. --env and --header set the entries named and keep the others.',
    'The config file keeps its comments and layout. To change what kind of backend it is (stdio, URL, REST), use `backends add NAME ... --force`.',
  ].join('\n');

  static override examples = [
    '<%= config.bin %> <%= command.id %> github --timeout 120',
    '<%= config.bin %> <%= command.id %> files --stdio "node ./server.js --root /srv" --env LOG_LEVEL=info',
    '<%= config.bin %> <%= command.id %> github --header "Authorization: secret:github-token-2"',
  ];

  static override args = { name: Args.string({ description: 'Backend name.', required: true }) };
  static override flags = { ...backendSettingFlags };

  async run(): Promise<BackendDetail & { changed: string[] }> {
    const { args, flags } = await this.parse(BackendsUpdate);
    let changed: string[] = [];
    const config = this.store.update((c) => {
      const patch = patchBackend(args.name, findBackend(c, args.name), backendSettingsInput(flags));
      assertNoLiteralSecrets({ ...c, backends: { [args.name]: patch.backend } }, this.store.path);
      c.backends[args.name] = patch.backend;
      changed = patch.changed;
    });
    const detail = describeBackend(args.name, config.backends[args.name]!);
    this.log(`Updated backend "${args.name}" (${changed.join(', ')}).`);
    return { ...detail, changed };
  }
}
