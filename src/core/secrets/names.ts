import { ExitCode, UserError } from '../errors.js';

/** Secret names appear in `secret:<name>` references, so they follow SECRET_REF_RE's alphabet. */
export const SECRET_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,127}$/;

/** Cloudflare Access tokens live in the same stores under this prefix; `secrets` commands hide them. */
export const CF_ACCESS_PREFIX = 'cf-access/';

export function assertSecretName(name: string, what = 'secret'): void {
  if (!SECRET_NAME_RE.test(name)) {
    throw new UserError(`Invalid ${what} name "${name}".`, {
      code: 'secret_name_invalid',
      exit: ExitCode.usage,
      hint: 'Use letters, digits, ".", "_", "-" or "/", starting with a letter or digit (up to 128 characters).',
    });
  }
  if (what === 'secret' && name.startsWith(CF_ACCESS_PREFIX)) {
    throw new UserError(`Secret names starting with "${CF_ACCESS_PREFIX}" are reserved for Cloudflare Access tokens.`, {
      code: 'secret_name_reserved',
      exit: ExitCode.usage,
      hint: 'Manage service tokens with `gatehouse tokens add|rotate|remove`, or pick another name.',
    });
  }
}
