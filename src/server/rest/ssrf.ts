import { isIP, type Socket } from 'node:net';
import { NetworkPolicy, addressClass, defaultLookup, showIp, type AddressClass, type LookupFn, type Verdict } from '../../core/backends/network.js';

// The rules live in core so the CLI can warn with the same verdicts the guard enforces.
export { NetworkPolicy, defaultLookup, parseCidr, parseIp, type Cidr, type LookupFn, type Verdict } from '../../core/backends/network.js';

/**
 * Remembers the class (loopback, private, public) of the first address each host resolved to. A later
 * answer of another class is a DNS rebinding attempt (a public name that turns into 127.0.0.1 or a
 * cluster address), so it is refused until the backend is reconfigured. One per backend, kept for
 * its lifetime.
 */
export class ResolutionPins {
  private readonly pins = new Map<string, { cls: AddressClass; address: string }>();

  get(host: string): { cls: AddressClass; address: string } | undefined {
    return this.pins.get(host.toLowerCase());
  }

  pin(host: string, address: string): void {
    const cls = addressClass(address);
    if (cls && !this.pins.has(host.toLowerCase())) this.pins.set(host.toLowerCase(), { cls, address });
  }
}

/** Thrown (through undici) when the guard refuses a connection. */
export class SsrfBlockedError extends Error {
  readonly code = 'GATEHOUSE_SSRF_BLOCKED';
  constructor(
    message: string,
    readonly hint: string,
    readonly address?: string,
  ) {
    super(message);
    this.name = 'SsrfBlockedError';
  }
}

export function findSsrfError(err: unknown): SsrfBlockedError | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    if (e instanceof SsrfBlockedError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Resolves `hostname`, checks every answer and returns the first allowed address. The caller connects
 * to exactly that address, so a second DNS answer between check and connect is never used. With
 * `pins`, answers whose class differs from the host's first answer are refused as rebinding.
 */
export async function resolveAllowed(hostname: string, policy: NetworkPolicy, lookup: LookupFn = defaultLookup, pins?: ResolutionPins): Promise<string> {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(host)) {
    const v = policy.check(host);
    if (!v.allowed) throw new SsrfBlockedError(`Blocked connection to ${host}: ${v.reason}.`, v.hint, host);
    return host;
  }
  const answers = await lookup(host);
  if (!answers.length) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  const verdicts = answers.map((a) => ({ address: a.address, verdict: policy.check(a.address) }));
  const allowed = verdicts.filter((v) => v.verdict.allowed);
  const pinned = pins?.get(host);
  if (pinned) {
    const same = allowed.find((v) => addressClass(v.address) === pinned.cls);
    if (same) return same.address;
    if (allowed.length) {
      const moved = allowed[0]!.address;
      throw new SsrfBlockedError(
        `Blocked connection to ${host} (resolves to ${answers.map((a) => a.address).join(', ')}): it first resolved to ${showIp(pinned.address)}, a ${pinned.cls} address, and now to ${showIp(moved)}, a ${addressClass(moved)} one (DNS rebinding).`,
        'If the service really moved, restart the gateway or change the backend so it is set up again; to pin it, list its networks in gateway.allowedNetworks.',
        moved,
      );
    }
  }
  const ok = allowed[0];
  if (ok) {
    pins?.pin(host, ok.address);
    return ok.address;
  }
  const first = verdicts[0]!.verdict as Extract<Verdict, { allowed: false }>;
  throw new SsrfBlockedError(
    `Blocked connection to ${host} (resolves to ${answers.map((a) => a.address).join(', ')}): ${first.reason}.`,
    first.hint,
    verdicts[0]!.address,
  );
}

/** The last line of defence: the socket really is connected where the policy allows. */
export function checkSocket(socket: Socket, policy: NetworkPolicy): SsrfBlockedError | undefined {
  const remote = socket.remoteAddress;
  if (!remote) return undefined;
  const v = policy.check(remote);
  return v.allowed ? undefined : new SsrfBlockedError(`Blocked connection to ${remote}: ${v.reason}.`, v.hint, remote);
}
