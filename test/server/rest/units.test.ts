import { describe, expect, it } from 'vitest';
import { restToolSchema } from '../../../src/core/config/schema.js';
import { applySelect } from '../../../src/server/rest/select.js';
import { NetworkPolicy, ResolutionPins, parseCidr, parseIp, resolveAllowed } from '../../../src/server/rest/ssrf.js';
import { addressClass } from '../../../src/core/backends/network.js';
import { buildBody, buildPath, buildQuery, encodePathValue } from '../../../src/server/rest/template.js';
import { effectiveInputSchema } from '../../../src/server/rest/tools.js';

describe('network policy', () => {
  it('parses IPv4, IPv6 and IPv4-mapped addresses', () => {
    expect(parseIp('10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp('::ffff:10.1.2.3')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp('::ffff:a01:203')).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp('[::1]')).toEqual({ family: 6, value: 1n });
    expect(parseIp('fe80::1%eth0')?.family).toBe(6);
    expect(parseIp('not-an-ip')).toBeUndefined();
  });

  it('rejects malformed CIDRs with the fix', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fd00::/129', '10.0.0.0/8/1', 'ten', '10.0.0.0/x']) {
      expect(() => parseCidr(bad), bad).toThrow(/not a network in CIDR form/);
    }
    expect(parseCidr('10.1.2.3/8').base).toBe(0x0a000000n);
  });

  it('defaults: any address, public (behind Cloudflare) and Tailscale included; link-local, metadata and special ones blocked', () => {
    const p = new NetworkPolicy();
    for (const ok of ['127.0.0.1', '10.96.0.1', '172.16.5.4', '192.168.1.1', '::1', 'fd12:3456::1', '::ffff:127.0.0.1', '104.16.132.229', '2606:4700::6810:84e5', '100.64.0.1', '100.101.102.103', '8.8.8.8']) {
      expect(p.check(ok), ok).toEqual({ allowed: true });
    }
    for (const no of ['169.254.169.254', '169.254.0.1', 'fe80::1', 'fd00:ec2::254', 'fd20:ce::254', '100.100.100.200', '0.0.0.0', '::', '224.0.0.1', '::ffff:169.254.169.254']) {
      const v = p.check(no);
      expect(v.allowed, no).toBe(false);
      expect(v.allowed === false && v.hint, no).toMatch(/stay blocked unless listed explicitly.*gateway\.allowedNetworks/);
    }
  });

  it('classifies addresses for rebinding detection', () => {
    expect(['127.0.0.1', '::1', '::ffff:127.0.0.2'].map(addressClass)).toEqual(['loopback', 'loopback', 'loopback']);
    expect(['10.1.1.1', '172.20.0.1', '192.168.0.1', '100.64.0.1', 'fd00::2'].map(addressClass)).toEqual(Array(5).fill('private'));
    expect(['104.16.132.229', '172.32.0.1', '2001:db8::1'].map(addressClass)).toEqual(['public', 'public', 'public']);
    expect(addressClass('nope')).toBeUndefined();
  });

  it('allowedNetworks narrows everything; metadata stays blocked under a broad entry unless listed itself', () => {
    const narrow = new NetworkPolicy(['10.96.0.0/12']);
    expect(narrow.check('10.96.0.1').allowed).toBe(true);
    expect(narrow.check('104.16.132.229')).toMatchObject({ allowed: false, reason: expect.stringContaining('outside the allowed networks (10.96.0.0/12)') });
    expect(narrow.check('127.0.0.1').allowed).toBe(false);
    const broad = new NetworkPolicy(['0.0.0.0/0', '::/0']);
    expect(broad.check('8.8.8.8').allowed).toBe(true);
    expect(broad.check('169.254.169.254').allowed).toBe(false);
    expect(broad.check('fd00:ec2::254').allowed).toBe(false);
    const listed = new NetworkPolicy(['169.254.169.254/32', 'fd00:ec2::254']);
    expect(listed.check('169.254.169.254').allowed).toBe(true);
    expect(listed.check('169.254.169.253').allowed).toBe(false);
    expect(listed.check('fd00:ec2::254').allowed).toBe(true);
    expect(listed.check('127.0.0.1').allowed).toBe(false);
  });

  it('resolveAllowed returns the first allowed answer and names blocked ones', async () => {
    const p = new NetworkPolicy();
    expect(await resolveAllowed('x', p, async () => [{ address: '169.254.169.254', family: 4 }, { address: '10.0.0.5', family: 4 }])).toBe('10.0.0.5');
    await expect(resolveAllowed('x', p, async () => [{ address: '169.254.169.254', family: 4 }])).rejects.toMatchObject({
      name: 'SsrfBlockedError',
      address: '169.254.169.254',
      message: expect.stringContaining('Blocked connection to x (resolves to 169.254.169.254)'),
    });
    expect(await resolveAllowed('[::1]', p)).toBe('::1');
  });

  it('resolveAllowed with pins: public first, loopback later is rebinding; answers of the first class are preferred', async () => {
    const p = new NetworkPolicy();
    const pins = new ResolutionPins();
    const dns = (...a: string[]) => async () => a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    expect(await resolveAllowed('signoz.example.dev', p, dns('104.16.132.229'), pins)).toBe('104.16.132.229');
    expect(await resolveAllowed('signoz.example.dev', p, dns('104.16.133.229'), pins)).toBe('104.16.133.229');
    expect(await resolveAllowed('signoz.example.dev', p, dns('127.0.0.1', '104.16.132.229'), pins)).toBe('104.16.132.229');
    await expect(resolveAllowed('signoz.example.dev', p, dns('127.0.0.1'), pins)).rejects.toMatchObject({
      name: 'SsrfBlockedError',
      address: '127.0.0.1',
      message: expect.stringMatching(/first resolved to 104\.16\.132\.229, a public address, and now to 127\.0\.0\.1, a loopback one \(DNS rebinding\)/),
    });
    // Another host has its own pin.
    expect(await resolveAllowed('other.example', p, dns('127.0.0.1'), pins)).toBe('127.0.0.1');
    // Without pins (a one-off fetch) only the policy applies.
    expect(await resolveAllowed('signoz.example.dev', p, dns('127.0.0.1'))).toBe('127.0.0.1');
  });
});

describe('templating', () => {
  it('encodes every reserved character in path values', () => {
    expect(encodePathValue("a/b?c#d%2F(e)*!'")).toBe('a%2Fb%3Fc%23d%252F%28e%29%2A%21%27');
    expect(buildPath('/v1/{ns}/pods/{name}.json', { ns: 'kube system', name: 'x' })).toBe('/v1/kube%20system/pods/x.json');
  });

  it('refuses dot segments even when assembled from two placeholders', () => {
    expect(() => buildPath('/a/{x}{y}', { x: '.', y: '.' })).toThrow(/must not be "\." or "\.\."/);
  });

  it('query: literal values, omitted absent arguments, interpolation and arrays', () => {
    expect(buildQuery({ a: 1, b: true, c: '{c}', d: 'prefix-{d}', e: '{e}' }, { d: 'x y', e: ['1', 2] })).toBe('a=1&b=true&d=prefix-x%20y&e=1&e=2');
    expect(buildQuery({ q: 'up{{job="{job}"}}' }, { job: 'api' })).toBe(`q=${encodeURIComponent('up{job="api"}')}`);
  });

  it('body: whole placeholders keep types; arrays drop absent items', () => {
    expect(buildBody({ a: '{n}', b: ['{n}', '{none}', 'x'], c: '{obj}', d: 'n={n}' }, { n: 3, obj: { k: [1] } })).toEqual({ a: 3, b: [3, 'x'], c: { k: [1] }, d: 'n=3' });
    expect(buildBody('{body}', { body: [1, 2] })).toEqual([1, 2]);
  });
});

describe('select', () => {
  const doc = { data: { result: [{ metric: { job: 'a' } }, { metric: { job: 'b' } }], '0': 'zero' }, items: [[1, 2], [3]] };
  it('walks keys, indexes and wildcards', () => {
    expect(applySelect(doc, 'data.result[1].metric.job')).toBe('b');
    expect(applySelect(doc, 'data.result.*.metric.job')).toEqual(['a', 'b']);
    expect(applySelect(doc, 'data.result[*].metric')).toEqual([{ job: 'a' }, { job: 'b' }]);
    expect(applySelect(doc, 'data.0')).toBe('zero');
    expect(applySelect(doc, 'items.0.1')).toBe(2);
  });
  it('reports where it missed', () => {
    expect(() => applySelect(doc, 'data.results')).toThrow(/nothing at "data\.results"/);
  });
});

describe('tool schema', () => {
  it('path parameters become required strings unless typed; other placeholders optional', () => {
    const tool = restToolSchema.parse({ name: 't', path: '/a/{id}/{n}', query: { q: '{q}', all: '{list}' }, inputSchema: { type: 'object', properties: { n: { type: 'integer' }, id: { description: 'the id' }, q: { type: 'string' }, list: { type: 'array' } } } });
    const s = effectiveInputSchema(tool);
    expect(s).toMatchObject({
      type: 'object',
      properties: { id: { type: 'string', minLength: 1, description: 'the id' }, n: { type: 'integer' }, q: { type: 'string' } },
      required: ['id', 'n'],
      additionalProperties: false,
    });
    const derived = effectiveInputSchema(restToolSchema.parse({ name: 't', path: '/a/{id}', query: { q: '{q}' }, headers: { 'X-A': 'v={a}' } }));
    expect(derived.properties).toEqual({ id: { type: 'string', minLength: 1, description: 'URL path parameter' }, q: {}, a: { type: 'string' } });
  });

  it('catches undeclared placeholders, bad paths and selects at load', () => {
    const issues = (x: unknown) => restToolSchema.safeParse(x).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ name: 't', path: '/a/{id}', inputSchema: { type: 'object', properties: {} } })).toEqual(['path: uses {id}, which inputSchema.properties does not declare']);
    expect(issues({ name: 't', path: '/a?x=1' })[0]).toContain('must not contain "?"');
    expect(issues({ name: 't', path: '/a/../b' })[0]).toContain('"." or ".."');
    expect(issues({ name: 't', path: '/a', select: 'data..x' })[0]).toContain('select');
    expect(issues({ name: 'bad name', path: '/a' })[0]).toContain('name');
    expect(issues({ name: 't', path: '/a', body: {} })[0]).toContain('a GET request has no body');
  });
});
