import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { UserError } from '../../core/errors.js';

export default class BackendsTest extends BaseCommand {
  static override summary = 'Connect to a backend, initialize, and list its tools, resources and prompts.';
  static override description = [
    'Exits non-zero with a diagnosis on failure: connection refused, 401/403, an HTML login page (e.g. Cloudflare Access), a timeout, or a process that exits at once (with its stderr tail).',
    'A REST backend is checked against the network guard, its secrets are resolved, and one harmless read is made: the first GET tool without required arguments, or the GET tool named with --tool.',
  ].join('\n');
  static override examples = ['<%= config.bin %> backends test everything', '<%= config.bin %> backends test argocd --json', '<%= config.bin %> backends test prom --tool targets'];
  static override args = { name: Args.string({ required: true, description: 'backend name' }) };
  static override flags = {
    tool: Flags.string({ summary: 'REST backends: the GET tool (native name) to make the test read with.' }),
  };

  async run(): Promise<unknown> {
    const { args, flags } = await this.parse(BackendsTest);
    const config = this.store.getBackend(args.name);
    this.note(`Testing ${args.name}…`);
    if (config.type === 'rest') {
      // REST tools are defined by config, so the test is whether the guard lets the base URL through.
      const { checkRestBackendAddress } = await import('../../core/backends/network.js');
      const r = await checkRestBackendAddress(args.name, config.baseUrl, { allowedNetworks: this.store.read().gateway?.allowedNetworks });
      const refused = r.warnings.find((w) => w.address !== undefined);
      // A refusal means every call would fail, so the test fails; a name that does not resolve here only warns.
      if (refused) throw new UserError(`${refused.message}.`, { code: 'network_blocked', hint: refused.hint, details: { ...r } });
      for (const w of r.warnings) process.stderr.write(`Warning: ${w.message}.\nHint: ${w.hint}\n`);
      const { probeRestBackend } = await import('../../server/rest-probe.js');
      const { openSecrets } = await import('../../core/secrets/manager.js');
      const read = await probeRestBackend(args.name, config, { secrets: openSecrets({ dir: this.store.dir }), baseDir: this.configBaseDir, allowedNetworks: this.store.read().gateway?.allowedNetworks, tool: flags.tool });
      if (!this.jsonEnabled()) {
        this.log(`${r.warnings.length ? '!' : '✓'} ${args.name}: REST ${r.baseUrl}${r.addresses.length ? ` (${r.addresses.join(', ')})` : ''}${r.warnings.length ? '' : ', allowed by the network guard'}`);
        this.log(`  tools      ${read.tools}`);
        this.log(`  read       ${read.tool} answered in ${read.latencyMs} ms: ${read.answer.split('\n')[0]!.slice(0, 120)}`);
      }
      return { ...r, read };
    }
    const { probeBackend } = await import('../../server/probe.js');
    const { openSecrets } = await import('../../core/secrets/manager.js');
    const r = await probeBackend(args.name, config, { secrets: openSecrets({ dir: this.store.dir }) });
    if (!this.jsonEnabled()) {
      const dropped = Object.entries(r.invalid ?? {});
      // A backend that answers but lists items clients would reject is not a plain pass.
      this.log(`${dropped.length ? '!' : '✓'} ${args.name}: ${r.serverName ?? 'unnamed server'} ${r.serverVersion ?? ''}`.trimEnd());
      this.log(`  protocol   ${r.protocolVersion ?? 'unknown'} (${r.era ?? '?'} era)`);
      this.log(`  tools ${r.counts.tools} · resources ${r.counts.resources} · templates ${r.counts.resourceTemplates} · prompts ${r.counts.prompts}`);
      this.log(`  latency    ${r.latencyMs.connectAndList} ms to connect and list`);
      for (const [kind, reasons] of dropped) {
        this.warn(`${args.name} listed ${reasons!.length} invalid ${kind}, which the gateway drops (the rest are served): ${reasons!.slice(0, 5).join('; ')}${reasons!.length > 5 ? '; …' : ''}`);
      }
    }
    return r;
  }
}
