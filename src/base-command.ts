import { dirname, resolve } from 'node:path';
import { Command, Errors, Flags } from '@oclif/core';
import type { Input, ParserOutput } from '@oclif/core/interfaces';

// oclif does not export these two; they are its own definitions.
type FlagOutput = { [name: string]: any };
type ArgOutput = { [name: string]: any };
import { ConfigStore, configFilePath } from './core/config/store.js';
import { configDir } from './core/config/paths.js';
import { ExitCode, UserError, isUserError } from './core/errors.js';
import { closest, spacedId } from './core/cli/suggest.js';

/**
 * Owns --json, maps UserError to its exit code and hint, and keeps results on stdout and chatter
 * on stderr. Commands stay thin: parse flags, call one core/server function, print the result.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    config: Flags.string({
      summary: 'The config file (default: gatehouse.yaml in the config dir, or GATEHOUSE_CONFIG).',
      helpGroup: 'GLOBAL',
    }),
  };

  private _store?: ConfigStore;
  private configFlag?: string;

  /** The one config file every command reads and edits, and `serve` serves. */
  protected get store(): ConfigStore {
    this._store ??= new ConfigStore(configDir(), {
      path: configFilePath(this.configFlag),
      // The one-time config.json migration is worth a line even under --json (stderr is not the result).
      onNote: (m) => process.stderr.write(`${m}\n`),
    });
    return this._store;
  }

  /** Remembers --config, so `store` opens the file the person named. */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Input<F, B, A>,
    argv?: string[],
  ): Promise<ParserOutput<F, B, A>> {
    const out = await super.parse(options, argv);
    const c = (out.flags as Record<string, unknown>).config;
    if (typeof c === 'string' && c) this.configFlag = c;
    return out;
  }

  /** What relative paths in the config resolve against: the named file's folder, else the working directory (as `serve` does). */
  protected get configBaseDir(): string {
    return this.configFlag || process.env.GATEHOUSE_CONFIG ? dirname(resolve(this.store.path)) : process.cwd();
  }

  protected get interactive(): boolean {
    return Boolean(process.stdin.isTTY && process.stdout.isTTY) && !this.jsonEnabled();
  }

  /** Progress and notes for the human; never part of the result, so never on stdout. */
  protected note(message: string): void {
    if (!this.jsonEnabled()) process.stderr.write(`${message}\n`);
  }

  /**
   * Returns the result when `code` is 0; otherwise prints it (as JSON under --json, since oclif only
   * prints what run() returns) and exits with `code`: for commands whose exit code carries a verdict.
   */
  protected exitWith<T>(result: T, code: number): T {
    if (code === 0) return result;
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    this.exit(code);
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

  /** One line per unknown flag with the nearest real one, instead of the whole usage. */
  private unknownFlagError(flags: string[]): UserError {
    const ctor = this.constructor as typeof BaseCommand;
    const known = Object.entries({ ...ctor.baseFlags, ...ctor.flags }).flatMap(([name, f]) => [`--${name}`, ...((f as { char?: string }).char ? [`-${(f as { char?: string }).char}`] : []), ...((f as { allowNo?: boolean }).allowNo ? [`--no-${name}`] : [])]);
    if (ctor.enableJsonFlag) known.push('--json');
    const parts = flags.map((f) => {
      const bare = f.split('=')[0]!;
      // Compared without the dashes, which would make any two flags look alike.
      const strip = (x: string) => x.replace(/^-+/, '');
      const nearBare = closest(strip(bare), known.map(strip));
      const near = nearBare === undefined ? undefined : known.find((k) => strip(k) === nearBare);
      return near ? `${bare} (did you mean \`${near}\`?)` : bare;
    });
    const cmd = `${this.config.bin} ${spacedId(this.id ?? '')}`.trim();
    return new UserError(`Unknown flag${flags.length === 1 ? '' : 's'} for \`${cmd}\`: ${parts.join(', ')}.`, {
      code: 'unknown_flag',
      exit: ExitCode.usage,
      hint: `Run \`${cmd} --help\` for its flags.`,
      // Names only: `--flag=value` may carry something that must not be echoed.
      details: { flags: flags.map((f) => f.split('=')[0]!) },
    });
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (err instanceof Errors.ExitError) throw err;
    if (isPromptCancel(err)) {
      process.stderr.write('Cancelled.\n');
      this.exit(ExitCode.usage);
    }
    const unknownFlags = unknownFlagsOf(err);
    if (unknownFlags) err = this.unknownFlagError(unknownFlags);
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

/** The flags oclif's parser refused as nonexistent, or undefined for any other error. */
function unknownFlagsOf(err: Error): string[] | undefined {
  const flags = (err as { flags?: unknown }).flags;
  return err.name === 'NonExistentFlagsError' || (Array.isArray(flags) && /^Nonexistent flag/.test(err.message)) ? (flags as string[]) : undefined;
}

function isPromptCancel(err: Error): boolean {
  return err.name === 'ExitPromptError' || err.name === 'AbortPromptError';
}
