import { BaseCommand } from '../../base-command.js';
import { callAdmin, type AdminReloadResult } from '../../core/admin/index.js';
import { ExitCode, UserError } from '../../core/errors.js';

export default class ConfigReload extends BaseCommand {
  static override summary = 'Make the running gateway re-read its config file and apply it now.';
  static override description = `The gateway also follows its config file on its own (and reloads on SIGHUP); this is for when you want the answer. Added backends start, removed ones drain and stop, changed ones restart, unchanged ones are left alone; naming, aliases, timeouts and the refresh interval apply live. Host, port, allowed hosts and origins and inbound auth need a restart, which the answer says.
An invalid file changes nothing: the gateway keeps serving the last good configuration, and this command exits 1 with the error.`;
  static override examples = ['<%= config.bin %> config reload', '<%= config.bin %> config reload --json'];

  async run(): Promise<AdminReloadResult> {
    await this.parse(ConfigReload);
    const r = await callAdmin(this.store.dir, 'POST /reload');
    if (!r.applied) {
      throw new UserError(`The gateway did not apply ${r.source}; it keeps serving the last good configuration.\n${r.error.message}`, {
        code: 'config_invalid',
        exit: ExitCode.failure,
        hint: r.error.hint ?? `Fix ${r.source}; the gateway applies it as soon as it is saved.`,
      });
    }
    if (!this.jsonEnabled()) {
      const s = r.summary;
      if (!r.changed) this.log(`${r.source}: applied, nothing changed.`);
      else {
        this.log(`${r.source}: applied.`);
        const line = (label: string, names: string[]) => names.length && this.log(`  ${label}: ${names.join(', ')}`);
        line('started', s.added);
        line('stopped', s.removed);
        line('restarted', s.restarted);
        line('unchanged', s.unchanged);
        line('settings applied', s.settings);
      }
      if (s.restartNeeded.length) this.note(`Restart the gateway to apply ${s.restartNeeded.join(', ')}.`);
    }
    return r;
  }
}
