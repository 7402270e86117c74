import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type Socket } from 'node:net';
import { UserError } from '../../core/errors.js';

/** Resolves a host name to every address it has. Injected in tests to simulate DNS answers. */
export type LookupFn = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const defaultLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface Cidr {
  text: string;
  family: 4 | 6;
  base: bigint;
  bits: number;
}

/** Cluster services are the point, so loopback and private ranges are allowed unless the operator narrows the list. */
export const DEFAULT_ALLOWED_NETWORKS = ['127.0.0.0/8', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '::1/128', 'fc00::/7'];

/**
 * Ranges that stay blocked even when a broader allowed network covers them (fd00:ec2::254 sits inside
 * the IPv6 ULA range; 0.0.0.0/0 covers everything). Only a listed CIDR inside one of them opens it.
 */
const SPECIAL_RANGES: Array<{ cidr: Cidr; why: string }> = [
  ['169.254.0.0/16', 'a link-local address (cloud metadata services live at 169.254.169.254)'],
  ['fe80::/10', 'an IPv6 link-local address'],
  ['fd00:ec2::254/128', 'the AWS IPv6 metadata address'],
  ['0.0.0.0/8', 'an unspecified ("this network") address'],
  ['::/128', 'the unspecified IPv6 address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['255.255.255.255/32', 'the broadcast address'],
  ['ff00::/8', 'an IPv6 multicast address'],
].map(([c, why]) => ({ cidr: parseCidr(c!), why: why! }));

/** Parses an address to its family and numeric value; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4. */
export function parseIp(address: string): { family: 4 | 6; value: bigint } | undefined {
  let a = address.trim();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone >= 0) a = a.slice(0, zone);
  const kind = isIP(a);
  if (kind === 4) return { family: 4, value: v4ToBig(a) };
  if (kind !== 6) return undefined;
  const v = v6ToBig(a);
  if (v >> 32n === 0xffffn) return { family: 4, value: v & 0xffffffffn };
  return { family: 6, value: v };
}

function v4ToBig(a: string): bigint {
  return a.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6ToBig(a: string): bigint {
  let s = a;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = v4ToBig(dotted[1]!);
    s = `${s.slice(0, -dotted[1]!.length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].reduce((acc, part) => (acc << 16n) | BigInt(parseInt(part || '0', 16)), 0n);
}

export function parseCidr(text: string): Cidr {
  const [addr, bitsText, extra] = text.trim().split('/');
  const ip = addr === undefined ? undefined : parseIp(addr);
  const max = ip?.family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!ip || extra !== undefined || !Number.isInteger(bits) || bits < 0 || bits > max || (bitsText !== undefined && !/^\d+$/.test(bitsText))) {
    throw new UserError(`"${text}" is not a network in CIDR form.`, {
      code: 'config_invalid',
      hint: 'Write networks as address/prefix, for example 10.96.0.0/12 or fd00::/8 (a bare address means just that address).',
    });
  }
  const width = BigInt(max);
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << (width - BigInt(bits));
  return { text: text.trim(), family: ip.family, base: ip.value & mask, bits };
}

function contains(c: Cidr, family: 4 | 6, value: bigint): boolean {
  if (c.family !== family) return false;
  const width = BigInt(family === 4 ? 32 : 128);
  const shift = width - BigInt(c.bits);
  return value >> shift === c.base >> shift;
}

function within(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.bits >= outer.bits && contains(outer, inner.family, inner.base);
}

export type Verdict = { allowed: true } | { allowed: false; reason: string; hint: string };

/** The gateway's outbound allowlist. Checked against resolved addresses at connect time. */
export class NetworkPolicy {
  readonly allowed: Cidr[];
  readonly explicit: boolean;

  constructor(allowedNetworks?: string[]) {
    this.explicit = allowedNetworks !== undefined;
    this.allowed = (allowedNetworks ?? DEFAULT_ALLOWED_NETWORKS).map(parseCidr);
  }

  check(address: string): Verdict {
    const ip = parseIp(address);
    if (!ip) return { allowed: false, reason: `"${address}" is not an IP address`, hint: 'This is a bug in name resolution; report it.' };
    const shown = ip.family === 4 ? bigToV4(ip.value) : address;
    const special = SPECIAL_RANGES.find((s) => contains(s.cidr, ip.family, ip.value));
    if (special) {
      const opened = this.explicit && this.allowed.some((c) => within(c, special.cidr) && contains(c, ip.family, ip.value));
      if (opened) return { allowed: true };
      return {
        allowed: false,
        reason: `${shown} is ${special.why}`,
        hint: `Such addresses stay blocked unless listed explicitly: add "${shown}/${ip.family === 4 ? 32 : 128}" to gateway.allowedNetworks.`,
      };
    }
    if (this.allowed.some((c) => contains(c, ip.family, ip.value))) return { allowed: true };
    return {
      allowed: false,
      reason: `${shown} is outside the allowed networks (${this.allowed.map((c) => c.text).join(', ')})`,
      hint: this.explicit
        ? `Add a CIDR covering ${shown} to gateway.allowedNetworks.`
        : `By default Gatehouse reaches only loopback and private networks. Set gateway.allowedNetworks to the networks it may reach, e.g. ["${shown}/32"] (the list replaces the default, so include the private ranges you still need).`,
    };
  }
}

function bigToV4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn)).join('.');
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
 * to exactly that address, so a second (rebinding) DNS answer can never be used.
 */
export async function resolveAllowed(hostname: string, policy: NetworkPolicy, lookup: LookupFn = defaultLookup): Promise<string> {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(host)) {
    const v = policy.check(host);
    if (!v.allowed) throw new SsrfBlockedError(`Blocked connection to ${host}: ${v.reason}.`, v.hint, host);
    return host;
  }
  const answers = await lookup(host);
  if (!answers.length) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  const verdicts = answers.map((a) => ({ address: a.address, verdict: policy.check(a.address) }));
  const ok = verdicts.find((v) => v.verdict.allowed);
  if (ok) return ok.address;
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
