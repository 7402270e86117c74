import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { UserError } from '../../core/errors.js';

export default class BackendsTest extends BaseCommand {
  static override summary = 'Connect to a backend, initialize, and list its tools, resources and prompts.';
  static override description = 'Exits non-zero with a diagnosis on failure: connection refused, 401/403, an HTML login page (e.g. Cloudflare Access), a timeout, or a process that exits at once (with its stderr tail).';
  static override examples = ['<%= config.bin %> backends test everything', '<%= config.bin %> backends test argocd --json'];
  static override args = { name: Args.string({ required: true, description: 'backend name' }) };

  async run(): Promise<unknown> {
    const { args } = await this.parse(BackendsTest);
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
      if (!this.jsonEnabled()) this.log(`${r.warnings.length ? '!' : '✓'} ${args.name}: REST ${r.baseUrl}${r.addresses.length ? ` (${r.addresses.join(', ')})` : ''}${r.warnings.length ? '' : ', allowed by the network guard'}`);
      return r;
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
