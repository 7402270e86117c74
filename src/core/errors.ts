/** Exit codes follow gh: 0 ok, 1 failure, 2 usage or cancelled, 4 auth. */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 4,
  interrupted: 130,
} as const;

export interface UserErrorOptions {
  code: string;
  hint?: string;
  exit?: number;
  cause?: unknown;
  /** Extra machine-readable detail for --json output. Never put secrets here. */
  details?: Record<string, unknown>;
}

/**
 * An error meant for the person at the terminal: it names the problem (message) and the fix (hint).
 * Core code throws these; the base command maps them to stderr output and an exit code.
 */
export class UserError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly exit: number;
  readonly details?: Record<string, unknown>;

  constructor(message: string, options: UserErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.code = options.code;
    this.hint = options.hint;
    this.exit = options.exit ?? ExitCode.failure;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, hint: this.hint, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
