/**
 * Static bearer tokens for inbound clients (`gateway.auth.mode: bearer`).
 *
 * Only a SHA-256 hash of each token is stored, in `client-tokens.json` in the config dir (mode
 * 0600, atomic writes through symlinks, each create and revoke under a cross-process lock). SHA-256 rather than scrypt on purpose: the tokens are 256 random bits that
 * Gatehouse generates itself, so there is nothing to brute-force that a slow hash would protect,
 * and a slow hash would be run on every request by anyone who can reach the port (a CPU lever for
 * an unauthenticated caller). scrypt is for low-entropy secrets people choose; these are not.
 *
 * The gateway records "last used" in a separate file it alone writes (`client-tokens-used.json`),
 * at most once a minute per client, so it never races the CLI's create and revoke on the token file.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../config/atomic.js';
import { withFileLock, withFileLockSync } from '../config/lock.js';
import { ExitCode, UserError } from '../errors.js';

export const CLIENT_TOKENS_FILE = 'client-tokens.json';
export const CLIENT_TOKENS_USED_FILE = 'client-tokens-used.json';
/** A recognisable prefix lets secret scanners (and people) tell a Gatehouse client token apart. */
export const TOKEN_PREFIX = 'gth_';
export const CLIENT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const ROLE_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const USED_WRITE_INTERVAL_MS = 60_000;

export interface ClientTokenEntry {
  /** `sha256:<hex>` of the whole token string. */
  hash: string;
  createdAt: string;
  /** Roles the token carries (gateway.roles says what each reaches); none when absent. */
  roles?: string[];
}

interface TokenFile {
  version: 1;
  clients: Record<string, ClientTokenEntry>;
}

export interface ClientTokenInfo {
  client: string;
  createdAt: string;
  roles?: string[];
  lastUsedAt?: string;
}

export function hashToken(token: string): string {
  return `sha256:${createHash('sha256').update(token, 'utf8').digest('hex')}`;
}

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function assertClientName(name: string): void {
  if (!CLIENT_NAME_RE.test(name)) {
    throw new UserError(`Invalid client name "${name}".`, {
      code: 'client_name_invalid',
      exit: ExitCode.usage,
      hint: 'Use letters, digits, ".", "_", "@" or "-", starting with a letter or digit (up to 64 characters).',
    });
  }
}

function parseTokenFile(text: string, path: string): TokenFile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${path} is not valid JSON: ${(e as Error).message}`, {
      code: 'client_tokens_invalid',
      hint: `Repair it by hand, or delete it and create the client tokens again with \`gatehouse clients token create <client>\`.`,
    });
  }
  const clients = (data as TokenFile | undefined)?.clients;
  if (!data || typeof data !== 'object' || !clients || typeof clients !== 'object') {
    throw new UserError(`${path} does not look like a Gatehouse client token file (no "clients" object).`, {
      code: 'client_tokens_invalid',
      hint: 'Delete it and create the client tokens again with `gatehouse clients token create <client>`.',
    });
  }
  const out: TokenFile = { version: 1, clients: {} };
  for (const [name, e] of Object.entries(clients)) {
    if (e && typeof e.hash === 'string' && /^sha256:[0-9a-f]{64}$/.test(e.hash)) {
      const roles = Array.isArray(e.roles) ? e.roles.filter((r): r is string => typeof r === 'string' && ROLE_NAME_RE.test(r)) : [];
      out.clients[name] = { hash: e.hash, createdAt: String(e.createdAt ?? ''), ...(roles.length ? { roles } : {}) };
    }
  }
  return out;
}

/** The CLI side: create, list and revoke. */
export class ClientTokenStore {
  readonly path: string;
  readonly usedPath: string;

  constructor(readonly dir: string) {
    this.path = join(dir, CLIENT_TOKENS_FILE);
    this.usedPath = join(dir, CLIENT_TOKENS_USED_FILE);
  }

  private read(): TokenFile {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, clients: {} };
      throw e;
    }
    return parseTokenFile(text, this.path);
  }

  private write(file: TokenFile): void {
    writeFileAtomic(this.path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, keepMode: false });
  }

  /** Creates a token for a client and returns it; only its hash is kept. */
  create(client: string, opts: { replace?: boolean; roles?: string[] } = {}): { token: string; replaced: boolean } {
    assertClientName(client);
    const roles = [...new Set(opts.roles ?? [])].sort();
    for (const r of roles) {
      if (!ROLE_NAME_RE.test(r)) {
        throw new UserError(`Invalid role name "${r}".`, { code: 'role_name_invalid', exit: ExitCode.usage, hint: 'Use letters, digits, ".", "_" or "-", starting with a letter or digit (up to 64), as in gateway.roles.' });
      }
    }
    return withFileLockSync(this.path, () => {
      const file = this.read();
      const replaced = Boolean(file.clients[client]);
      if (replaced && !opts.replace) {
        throw new UserError(`Client "${client}" already has a token.`, {
          code: 'client_token_exists',
          hint: `Revoke it first (\`gatehouse clients token revoke ${client}\`), or pass --replace to issue a new one (the old one stops working).`,
        });
      }
      const token = generateToken();
      file.clients[client] = { hash: hashToken(token), createdAt: new Date().toISOString(), ...(roles.length ? { roles } : {}) };
      this.write(file);
      return { token, replaced };
    });
  }

  list(): ClientTokenInfo[] {
    const file = this.read();
    const used = readUsed(this.usedPath);
    return Object.entries(file.clients)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([client, e]) => ({ client, createdAt: e.createdAt, ...(e.roles?.length ? { roles: [...e.roles] } : {}), ...(used[client] ? { lastUsedAt: used[client] } : {}) }));
  }

  revoke(client: string): void {
    withFileLockSync(this.path, () => {
      const file = this.read();
      if (!file.clients[client]) {
        const known = Object.keys(file.clients);
        throw new UserError(`No client token for "${client}".`, {
          code: 'client_token_unknown',
          hint: known.length ? `Clients with tokens: ${known.join(', ')}.` : 'No client tokens exist yet; create one with `gatehouse clients token create <client>`.',
          details: { client, known },
        });
      }
      delete file.clients[client];
      this.write(file);
    });
  }
}

function readUsed(path: string): Record<string, string> {
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as { clients?: Record<string, string> };
    return data.clients && typeof data.clients === 'object' ? data.clients : {};
  } catch {
    return {};
  }
}

/**
 * The gateway side: checks a presented token against the hashes. The file is re-read when its
 * mtime or size changes, so `clients token revoke` takes effect on a running gateway at once.
 */
export class ClientTokenVerifier {
  private readonly path: string;
  private readonly usedPath: string;
  private cache?: { key: string; entries: Array<{ client: string; hash: Buffer; roles: string[] }> };
  private lastUsed: Record<string, string> = {};
  private lastWritten = new Map<string, number>();
  private usedLoaded = false;
  private readonly refused = new Set<string>();
  private readonly removedListeners = new Set<(hashes: string[]) => void>();

  constructor(dir: string) {
    this.path = join(dir, CLIENT_TOKENS_FILE);
    this.usedPath = join(dir, CLIENT_TOKENS_USED_FILE);
  }

  private async entries(): Promise<Array<{ client: string; hash: Buffer; roles: string[] }>> {
    let key: string;
    try {
      const s = await stat(this.path);
      key = `${s.mtimeMs}:${s.size}:${s.ino}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    if (this.cache?.key === key) return this.cache.entries;
    const file = parseTokenFile(await readFile(this.path, 'utf8'), this.path);
    const entries = Object.entries(file.clients).map(([client, e]) => ({ client, hash: Buffer.from(e.hash.slice('sha256:'.length), 'hex'), roles: e.roles ?? [] }));
    const before = this.cache?.entries;
    this.cache = { key, entries };
    if (before && this.removedListeners.size) {
      const kept = new Set(entries.map((e) => e.hash.toString('hex')));
      const removed = before.map((e) => e.hash.toString('hex')).filter((h) => !kept.has(h));
      if (removed.length) for (const l of this.removedListeners) l(removed);
    }
    return entries;
  }

  /**
   * Hashes (hex SHA-256) of tokens revoked elsewhere (another replica of a cluster, issue 12): they
   * stop working here at once, whatever this replica's copy of the file still says.
   */
  refuse(hashes: string[]): void {
    for (const h of hashes) if (/^[0-9a-f]{64}$/.test(h)) this.refused.add(h);
  }

  /** Called with the hashes of tokens that left the file (a revoke or a replace seen here). */
  onRemoved(listener: (hashes: string[]) => void): () => void {
    this.removedListeners.add(listener);
    return () => this.removedListeners.delete(listener);
  }

  /** Re-checks the file every `everyMs`, so a revoke is noticed without waiting for a request. */
  watch(everyMs: number): () => void {
    const t = setInterval(() => void this.entries().catch(() => undefined), everyMs);
    t.unref();
    return () => clearInterval(t);
  }

  /** How many clients have tokens (0 means bearer mode would refuse everyone). */
  async count(): Promise<number> {
    return (await this.entries()).length;
  }

  /** The client a token belongs to, or undefined. Compares against every entry in constant time. */
  async verify(token: string): Promise<string | undefined> {
    return (await this.identify(token))?.client;
  }

  /** The client a token belongs to and the roles it carries, or undefined. Constant time over the entries. */
  async identify(token: string): Promise<{ client: string; roles: string[] } | undefined> {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    let match: { client: string; roles: string[] } | undefined;
    for (const e of await this.entries()) {
      // No early exit: the time taken does not depend on which entry (if any) matches.
      if (timingSafeEqual(presented, e.hash) && match === undefined) match = { client: e.client, roles: e.roles };
    }
    if (match && this.refused.size && this.refused.has(presented.toString('hex'))) return undefined;
    if (match) this.noteUsed(match.client);
    return match;
  }

  private noteUsed(client: string): void {
    const now = Date.now();
    if (now - (this.lastWritten.get(client) ?? 0) < USED_WRITE_INTERVAL_MS) return;
    this.lastWritten.set(client, now);
    if (!this.usedLoaded) {
      this.lastUsed = readUsed(this.usedPath);
      this.usedLoaded = true;
    }
    this.lastUsed[client] = new Date(now).toISOString();
    // Not awaited: auth never waits on bookkeeping. Locked and merged, because two gateways can share a config dir.
    void withFileLock(this.usedPath, async () => {
      const merged = { ...readUsed(this.usedPath), ...this.lastUsed };
      writeFileAtomic(this.usedPath, `${JSON.stringify({ version: 1, clients: merged }, null, 2)}\n`, { mode: 0o600, keepMode: false });
    }).catch(() => {
      // Last-used is a convenience for `clients token list`; a read-only config dir must not fail auth.
    });
  }
}
