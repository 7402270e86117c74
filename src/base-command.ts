import { Command, Errors } from '@oclif/core';
import { ConfigStore } from './core/config/store.js';
import { configDir } from './core/config/paths.js';
import { ExitCode, UserError, isUserError } from './core/errors.js';

/**
 * Owns --json, maps UserError to its exit code and hint, and keeps results on stdout and chatter
 * on stderr. Commands stay thin: parse flags, call one core/server function, print the result.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  private _store?: ConfigStore;

  protected get store(): ConfigStore {
    this._store ??= new ConfigStore(configDir());
    return this._store;
  }

  protected get interactive(): boolean {
    return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !this.jsonEnabled();
  }

  /** Progress and notes for the human; never part of the result, so never on stdout. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`);
  }

  /** Fail at once, naming the flags a prompt would have asked for. */
  protected requireFlags(missing: string[], example: string): never {
    throw new UserError(`Missing ${missing.map((m) => `--${m}`).join(', ')} (no terminal to ask in).`, {
      code: 'missing_flags',
      exit: ExitCode.usage,
      hint: `Pass them as flags, for example: ${example}`,
      details: { missing },
    });
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    if (isPromptCancel(err)) {
      process.stderr.write('Cancelled.\n');
      this.exit(ExitCode.usage);
    }
    if (isUserError(err)) {
      if (this.jsonEnabled()) {
        process.stdout.write(`${JSON.stringify({ error: err.toJSON() }, null, 2)}\n`);
      } else {
        process.stderr.write(`Error: ${err.message}\n`);
        if (err.hint) process.stderr.write(`Hint: ${err.hint}\n`);
      }
      this.exit(err.exit);
    }
    const exit = err.oclif?.exit;
    if (exit !== undefined) {
      if (this.jsonEnabled()) {
        process.stdout.write(`${JSON.stringify({ error: { code: 'usage', message: err.message } }, null, 2)}\n`);
        this.exit(exit);
      }
      throw err;
    }
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({ error: { code: 'internal', message: err.message } }, null, 2)}\n`);
      this.exit(ExitCode.failure);
    }
    throw err;
  }
}

function isPromptCancel(err: Error): boolean {
  return err.name === 'ExitPromptError' || err.name === 'AbortPromptError';
}
