import { isDeepStrictEqual } from 'node:util';
import type { AdminReloadResult, ConfigError, ConfigHealth, ReloadSummary, ReloadTrigger } from '../core/admin/contract.js';
import { parseConfigText, readConfigText } from '../core/config/load.js';
import type { GatehouseConfig } from '../core/config/schema.js';
import { hashText, watchConfigFile, type ConfigWatcher } from '../core/config/watch.js';
import { isUserError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';

export interface ConfigReloaderOptions {
  path: string;
  bus: EventBus;
  /** Applies a valid config to the running gateway (Gateway.reconcile). */
  apply: (config: GatehouseConfig, trigger: ReloadTrigger) => Promise<ReloadSummary>;
  /** Follow the file on disk (default true); SIGHUP and the admin API reload either way. */
  watch?: boolean;
  debounceMs?: number;
}

/**
 * Turns the config file into reconciles: on a change seen by the watcher, on SIGHUP and on
 * `gatehouse config reload`. Reloads run one at a time, in order. A file that does not load changes
 * nothing: the last good configuration keeps serving and the error is kept for /readyz and status
 * until a valid file is applied.
 */
export class ConfigReloader {
  private _health: ConfigHealth;
  private watcher?: ConfigWatcher;
  private queue: Promise<unknown>;
  private openGate!: () => void;
  private closed = false;

  constructor(private readonly opts: ConfigReloaderOptions) {
    this._health = { ok: true, source: opts.path };
    // Reloads asked for while the gateway is still starting (a SIGHUP, an early write) wait for open().
    this.queue = new Promise<void>((resolve) => (this.openGate = resolve));
  }

  get health(): ConfigHealth {
    return this._health;
  }

  /**
   * Starts following the file. `served` is what the gateway was started with; the file may have
   * changed between that load and now, so if what is on disk differs, a reload is queued at once.
   */
  async start(served: GatehouseConfig): Promise<void> {
    if (this.opts.watch === false) return;
    const text = await readConfigText(this.opts.path).catch(() => undefined);
    this.watcher = watchConfigFile(this.opts.path, () => void this.reload('watch'), {
      debounceMs: this.opts.debounceMs,
      initialHash: text === undefined ? undefined : hashText(text),
    });
    if (text === undefined || text.trim() === '') return;
    let onDisk: GatehouseConfig | undefined;
    try {
      onDisk = parseConfigText(text, this.opts.path);
    } catch {
      onDisk = undefined;
    }
    if (!onDisk || !isDeepStrictEqual(onDisk, served)) void this.reload('watch');
  }

  /** The gateway is up: queued and future reloads run. */
  open(): void {
    this.openGate();
  }

  /** Reads the file, validates it and applies it; never throws for a bad file. */
  reload(trigger: ReloadTrigger): Promise<AdminReloadResult> {
    const run = this.queue.then(() => this.reloadNow(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(trigger: ReloadTrigger): Promise<AdminReloadResult> {
    const source = this.opts.path;
    if (this.closed) return { applied: false, source, error: { source, message: 'The gateway is stopping; nothing was reloaded.' } };
    let summary: ReloadSummary;
    try {
      // Read again rather than use the watcher's text: an earlier reload may have taken a while, and
      // what is applied must be what is on disk now.
      const config = parseConfigText(await readConfigText(source), source);
      // apply() fails only before it changes anything (an alias map that does not load, say).
      summary = await this.opts.apply(config, trigger);
    } catch (e) {
      const error: ConfigError = isUserError(e)
        ? { source, message: e.message, code: e.code, ...(e.hint ? { hint: e.hint } : {}) }
        : { source, message: (e as Error).message ?? String(e) };
      this._health = { ok: false, source, error };
      this.opts.bus.emit('config.invalid', { source, trigger, error: error.message, ...(error.hint ? { hint: error.hint } : {}) });
      return { applied: false, source, error };
    }
    this._health = { ok: true, source, appliedAt: new Date().toISOString() };
    const changed = summary.added.length + summary.removed.length + summary.restarted.length + summary.settings.length + summary.restartNeeded.length > 0;
    return { applied: true, changed, source, summary };
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.openGate();
  }
}
