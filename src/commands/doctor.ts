import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { ExitCode } from '../core/errors.js';
import { openSecrets } from '../core/secrets/index.js';

const MARK = { pass: '✓', warn: '!', fail: '✗', skip: '-' } as const;

export default class Doctor extends BaseCommand {
  static override summary = 'Check a setup before serving it, and say how to fix each problem.';
  static override description = [
    'Checks, in order: the config file is valid; every secret: and env: reference resolves; every cfAccessToken is stored;',
    'the OS keychain is reachable; the port serve will bind is free; each REST tls.caFile exists; each enabled backend is',
    'reachable and answers MCP (or, for REST, its base URL is inside the allowed networks and one GET read works); and an',
    'MCP client (Claude Code, Cursor, Codex) is wired to the gateway. Values are never printed.',
    'Exit codes: 0 nothing failed (warnings allowed), 1 a check failed.',
  ].join('\n');

  static override examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --json', '<%= config.bin %> doctor --port 7421'];
  static override flags = {
    port: Flags.integer({ summary: 'Check this port instead of gateway.port (as `serve --port` would use).', min: 0, max: 65535 }),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Doctor);
    const { runDoctor } = await import('../server/doctor/index.js');
    const report = await runDoctor({ source: this.store.path, load: () => this.store.read(), dir: this.store.dir, secrets: openSecrets({ dir: this.store.dir }), baseDir: this.configBaseDir, port: flags.port });
    if (!this.jsonEnabled()) {
      for (const c of report.checks) {
        this.log(`${MARK[c.status]} ${c.title}: ${c.detail}`);
        if (c.fix && c.status !== 'pass') this.log(`    fix: ${c.fix}`);
      }
      const { pass, warn, fail, skip } = report.counts;
      this.log(`\n${fail ? `${fail} failed` : 'Nothing failed'} · ${pass} passed · ${warn} warning${warn === 1 ? '' : 's'}${skip ? ` · ${skip} skipped` : ''}`);
    }
    return this.exitWith(report, report.ok ? ExitCode.ok : ExitCode.failure);
  }
}
