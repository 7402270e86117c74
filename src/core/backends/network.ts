import { isIP } from 'node:net';
import { UserError } from '../errors.js';

/**
 * The outbound network rules for REST backends, shared by the gateway's guard (which enforces them at
 * connect time) and the CLI (which warns about them before any call fails).
 */

export interface Cidr {
  text: string;
  family: 4 | 6;
  base: bigint;
  bits: number;
}

/**
 * Ranges that stay blocked even when the allowed networks cover them (the default allows everything;
 * fd00:ec2::254 sits inside the IPv6 ULA range). Only a listed CIDR inside one of them opens it.
 */
const SPECIAL_RANGES: Array<{ cidr: Cidr; why: string }> = [
  ['169.254.0.0/16', 'a link-local address (cloud metadata services live at 169.254.169.254)'],
  ['fe80::/10', 'an IPv6 link-local address'],
  ['fd00:ec2::254/128', 'the AWS IPv6 metadata address'],
  ['fd20:ce::254/128', 'the GCP IPv6 metadata address'],
  ['100.100.100.200/32', 'the Alibaba Cloud metadata address'],
  ['0.0.0.0/8', 'an unspecified ("this network") address'],
  ['::/128', 'the unspecified IPv6 address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['255.255.255.255/32', 'the broadcast address'],
  ['ff00::/8', 'an IPv6 multicast address'],
].map(([c, why]) => ({ cidr: parseCidr(c!), why: why! }));

/**
 * The kind of network an address is on. A host whose answers move from one class to another
 * (public to loopback is the classic rebinding attack) is refused after the first answer.
 */
export type AddressClass = 'loopback' | 'private' | 'public';

const CLASS_RANGES: Array<{ cidr: Cidr; cls: Exclude<AddressClass, 'public'> }> = [
  ['127.0.0.0/8', 'loopback'],
  ['::1/128', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  // Carrier-grade NAT, which is also where Tailscale addresses live.
  ['100.64.0.0/10', 'private'],
  ['fc00::/7', 'private'],
].map(([c, cls]) => ({ cidr: parseCidr(c!), cls: cls as Exclude<AddressClass, 'public'> }));

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

function bigToV4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn)).join('.');
}

/** The address as people write it (IPv4-mapped IPv6 shown as IPv4). */
export function showIp(address: string): string {
  const ip = parseIp(address);
  return ip?.family === 4 ? bigToV4(ip.value) : address;
}

/** Loopback, private (RFC 1918, CGNAT/Tailscale, ULA) or public; undefined for what is not an address. */
export function addressClass(address: string): AddressClass | undefined {
  const ip = parseIp(address);
  if (!ip) return undefined;
  return CLASS_RANGES.find((r) => contains(r.cidr, ip.family, ip.value))?.cls ?? 'public';
}

export type Verdict = { allowed: true } | { allowed: false; reason: string; hint: string };

/**
 * The gateway's outbound allowlist. Without gateway.allowedNetworks every address is allowed except
 * link-local, metadata and other special ones: the operator chose the base URL, so its host may
 * resolve anywhere, a public address behind Cloudflare included.
 */
export class NetworkPolicy {
  readonly allowed: Cidr[] | undefined;
  readonly explicit: boolean;

  constructor(allowedNetworks?: string[]) {
    this.explicit = allowedNetworks !== undefined;
    this.allowed = allowedNetworks?.map(parseCidr);
  }

  check(address: string): Verdict {
    const ip = parseIp(address);
    if (!ip) return { allowed: false, reason: `"${address}" is not an IP address`, hint: 'This is a bug in name resolution; report it.' };
    const shown = showIp(address);
    const special = SPECIAL_RANGES.find((s) => contains(s.cidr, ip.family, ip.value));
    if (special) {
      const opened = this.allowed?.some((c) => within(c, special.cidr) && contains(c, ip.family, ip.value));
      if (opened) return { allowed: true };
      return {
        allowed: false,
        reason: `${shown} is ${special.why}`,
        hint: `Such addresses stay blocked unless listed explicitly: add "${shown}/${ip.family === 4 ? 32 : 128}" to gateway.allowedNetworks.`,
      };
    }
    if (!this.allowed || this.allowed.some((c) => contains(c, ip.family, ip.value))) return { allowed: true };
    return {
      allowed: false,
      reason: `${shown} is outside the allowed networks (${this.allowed.map((c) => c.text).join(', ') || 'none listed'})`,
      hint: `Add a CIDR covering ${shown} to gateway.allowedNetworks, e.g. "${shown}/${ip.family === 4 ? 32 : 128}", or remove the setting to allow any address but link-local and metadata ones.`,
    };
  }
}

/** Resolves a host name to every address it has. Injected in tests to simulate DNS answers. */
export type LookupFn = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const defaultLookup: LookupFn = async (hostname) => {
  const { lookup } = await import('node:dns/promises');
  return lookup(hostname, { all: true, verbatim: true });
};

export interface AddressWarning {
  backend: string;
  /** The host of the base URL. */
  host: string;
  address?: string;
  message: string;
  hint: string;
}

/**
 * Resolves a REST backend's base URL the way the gateway will and says what the guard would refuse,
 * so `backends add|test`, `config validate` and /readyz warn before a call fails. A name that does
 * not resolve here is reported too (it may resolve only inside the cluster, so this is a warning).
 */
export async function checkBaseUrlNetwork(
  backend: string,
  baseUrl: string,
  opts: { allowedNetworks?: string[]; lookup?: LookupFn } = {},
): Promise<AddressWarning[]> {
  let host: string;
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return [];
  }
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  let policy: NetworkPolicy;
  try {
    policy = new NetworkPolicy(opts.allowedNetworks);
  } catch (e) {
    const err = e as UserError;
    return [{ backend, host: bare, message: `gateway.allowedNetworks: ${err.message}`, hint: err.hint ?? '' }];
  }
  let addresses: string[];
  if (isIP(bare)) addresses = [bare];
  else {
    try {
      addresses = (await (opts.lookup ?? defaultLookup)(bare)).map((a) => a.address);
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'error';
      return [
        {
          backend,
          host: bare,
          message: `backend "${backend}": ${bare} does not resolve here (${code}), so its address cannot be checked against the network guard`,
          hint: 'If the name resolves only where the gateway runs (a cluster service), check there with `gatehouse backends test`.',
        },
      ];
    }
  }
  const verdicts = addresses.map((address) => ({ address, v: policy.check(address) }));
  if (verdicts.some((x) => x.v.allowed) || !verdicts.length) return [];
  const first = verdicts[0]!;
  const blocked = first.v as Extract<Verdict, { allowed: false }>;
  return [
    {
      backend,
      host: bare,
      address: showIp(first.address),
      message: `backend "${backend}": ${bare}${bare === first.address ? '' : ` resolves to ${addresses.map(showIp).join(', ')}`}; ${blocked.reason}, so every call to it will be refused`,
      hint: blocked.hint,
    },
  ];
}

/**
 * Warnings for the REST backends of a config (all, or those named): addresses the guard will refuse.
 * `includeUnresolved` adds names that do not resolve from here, which only `backends test` wants
 * (a config is often checked on a laptop that cannot resolve cluster service names).
 */
export async function configNetworkWarnings(
  config: { backends?: Record<string, { type: string; baseUrl?: string; disabled?: boolean }>; gateway?: { allowedNetworks?: string[] } },
  opts: { names?: string[]; lookup?: LookupFn; includeUnresolved?: boolean } = {},
): Promise<AddressWarning[]> {
  const entries = Object.entries(config.backends ?? {}).filter(([name, b]) => b.type === 'rest' && b.baseUrl && (opts.names ? opts.names.includes(name) : !b.disabled));
  const all = await Promise.all(
    entries.map(([name, b]) => checkBaseUrlNetwork(name, b.baseUrl!, { allowedNetworks: config.gateway?.allowedNetworks, lookup: opts.lookup })),
  );
  return all.flat().filter((w) => opts.includeUnresolved || w.address !== undefined || w.message.startsWith('gateway.allowedNetworks'));
}

export interface RestAddressCheck {
  backend: string;
  baseUrl: string;
  host: string;
  /** What the host resolves to from here (empty when it does not resolve). */
  addresses: string[];
  warnings: AddressWarning[];
}

/** `backends test` for a REST backend: where the base URL resolves, and what the guard would refuse. */
export async function checkRestBackendAddress(
  backend: string,
  baseUrl: string,
  opts: { allowedNetworks?: string[]; lookup?: LookupFn } = {},
): Promise<RestAddressCheck> {
  const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
  let addresses: string[] = [];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await (opts.lookup ?? defaultLookup)(host)).map((a) => showIp(a.address));
    } catch {
      // reported as a warning by the check below
    }
  }
  const warnings = await checkBaseUrlNetwork(backend, baseUrl, opts);
  return { backend, baseUrl, host, addresses, warnings };
}
