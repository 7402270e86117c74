import { UserError, ExitCode, errorMessage } from '../errors.js';
import type { SecretStore } from './resolve.js';

/** Service attribute of every keychain item Gatehouse writes (`secret-tool search service gatehouse`). */
export const KEYCHAIN_SERVICE = 'gatehouse';

export type KeychainFailure = 'no-bus' | 'no-provider' | 'locked' | 'no-collection' | 'module-missing' | 'unknown';

type KeyringModule = typeof import('@napi-rs/keyring');

let modulePromise: Promise<KeyringModule> | undefined;

/** The native module is loaded on first use only, so `--help` and non-secret commands never pay for it. */
async function loadKeyring(): Promise<KeyringModule> {
  modulePromise ??= import('@napi-rs/keyring');
  try {
    return await modulePromise;
  } catch (e) {
    modulePromise = undefined;
    throw keychainError('module-missing', e);
  }
}

/**
 * The OS keychain: Secret Service on Linux (pinned, so there is no silent fallback to the kernel
 * keyring), Keychain on macOS, Credential Manager on Windows. Items are keyed by service
 * "gatehouse" and account = secret name.
 */
export class KeychainStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly service: string;

  constructor(opts: { service?: string } = {}) {
    this.service = opts.service ?? KEYCHAIN_SERVICE;
  }

  private async entry(name: string) {
    const { AsyncEntry } = await loadKeyring();
    try {
      return new AsyncEntry(this.service, name, { linux: { store: 'secret-service' } });
    } catch (e) {
      throw classifyKeychainError(e);
    }
  }

  async get(name: string): Promise<string | undefined> {
    const entry = await this.entry(name);
    try {
      const v = await entry.getPassword();
      return v ?? undefined;
    } catch (e) {
      throw classifyKeychainError(e);
    }
  }

  async set(name: string, value: string): Promise<void> {
    const entry = await this.entry(name);
    try {
      await entry.setPassword(value);
    } catch (e) {
      throw classifyKeychainError(e);
    }
  }

  async remove(name: string): Promise<boolean> {
    const entry = await this.entry(name);
    try {
      return await entry.deleteCredential();
    } catch (e) {
      throw classifyKeychainError(e);
    }
  }

  /**
   * Names only. Enumeration is not pinned to the Secret Service by the binding, so a probe that is
   * pinned runs first; Gatehouse's own index (not this) backs `secrets list`.
   */
  async list(): Promise<Array<{ name: string; updatedAt?: string }>> {
    await this.probe();
    const { findCredentialsAsync } = await loadKeyring();
    try {
      const found = await findCredentialsAsync(this.service);
      return found.map((c) => ({ name: c.account }));
    } catch (e) {
      throw classifyKeychainError(e);
    }
  }

  /** Throws the classified UserError when the keychain cannot be reached. */
  async probe(): Promise<void> {
    await this.get('.gatehouse-probe');
  }
}

/** Recognises the Secret Service failure modes from the binding's messages (they carry no values). */
export function keychainFailureOf(message: string): KeychainFailure {
  if (/autolaunch|DBUS_SESSION_BUS_ADDRESS|Failed to connect to socket|Connection refused|Unable to open a connection|Could not connect to bus/i.test(message)) return 'no-bus';
  if (/org\.freedesktop\.secrets was not provided|ServiceUnknown|not provided by any \.service|name has no owner|not activatable/i.test(message)) return 'no-provider';
  if (/locked|unlock prompt|prompt was dismissed|IsLocked/i.test(message)) return 'locked';
  if (/no result found|NoSuchObject|no such object|No such collection|collection.*(not|does not) exist/i.test(message)) return 'no-collection';
  return 'unknown';
}

export function classifyKeychainError(err: unknown): UserError {
  if (err instanceof UserError) return err;
  return keychainError(keychainFailureOf(errorMessage(err)), err);
}

/**
 * One command that leaves a usable keyring: it starts the Secret Service if needed, and creates and
 * unlocks the login collection with the password read from stdin. `--unlock` alone (or `--start`)
 * starts a daemon with no default collection, which only leads to the next error.
 */
const UNLOCK = '`printf %s "$PASSWORD" | gnome-keyring-daemon --replace --unlock --components=secrets` ($PASSWORD: the keyring\'s password, chosen now if it is new)';

const ALTERNATIVES = 'or store it in the file store with `--store file` (one JSON file, mode 0600, in the config dir), or reference an environment variable (`env:NAME`) in the config instead.';

function keychainError(reason: KeychainFailure, cause: unknown): UserError {
  const raw = firstLine(errorMessage(cause));
  const linux = process.platform === 'linux';
  let message: string;
  let hint: string;
  switch (reason) {
    case 'no-bus':
      message = `The OS keychain is unreachable: there is no D-Bus session bus${process.env.DBUS_SESSION_BUS_ADDRESS ? ` at ${process.env.DBUS_SESSION_BUS_ADDRESS.split(',')[0]}` : ' (DBUS_SESSION_BUS_ADDRESS is not set)'}.`;
      hint = `Run Gatehouse inside a desktop or login session that has a session bus. On a headless host start one with \`dbus-run-session -- sh\`, run ${UNLOCK} in that shell, then run gatehouse from the same shell; ${ALTERNATIVES}`;
      break;
    case 'no-provider':
      message = 'The OS keychain is unreachable: the D-Bus session bus has no Secret Service provider (nothing owns org.freedesktop.secrets).';
      hint = `Start a provider with a default keyring: ${UNLOCK} (gnome-keyring; KWallet or KeePassXC with Secret Service enabled also work), ${ALTERNATIVES}`;
      break;
    case 'locked':
      message = 'The OS keychain is locked: its default collection must be unlocked before Gatehouse can read or write secrets.';
      hint = `Unlock it (log in to the desktop, open "Passwords and Keys"/Seahorse, or on a headless host: ${UNLOCK}), then retry; ${ALTERNATIVES}`;
      break;
    case 'no-collection':
      message = 'The OS keychain has no default collection: the Secret Service is running but no keyring is set up to store secrets in.';
      hint = `Create a default keyring (open "Passwords and Keys"/Seahorse, or ${UNLOCK}, which creates the login keyring), ${ALTERNATIVES}`;
      break;
    case 'module-missing':
      message = `The OS keychain module (@napi-rs/keyring) could not be loaded on this platform: ${raw}`;
      hint = `Reinstall Gatehouse so the native module for ${process.platform}-${process.arch} is present, ${ALTERNATIVES}`;
      break;
    default:
      message = `The OS keychain failed: ${raw}`;
      hint = linux ? `Check that a Secret Service provider (gnome-keyring, KWallet) is running and unlocked, ${ALTERNATIVES}` : `Check that the keychain is available and unlocked, ${ALTERNATIVES}`;
  }
  return new UserError(message, { code: 'keychain_unavailable', exit: ExitCode.failure, hint, cause, details: { reason } });
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
