import { describe, expect, it } from 'vitest';
import { checkBaseUrlNetwork, configNetworkWarnings, type LookupFn } from '../../../src/core/backends/network.js';

const dns =
  (answers: Record<string, string[]>): LookupFn =>
  async (host) => {
    const a = answers[host];
    if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('network warnings', () => {
  const lookup = dns({ 'signoz.example.dev': ['104.16.132.229', '104.16.133.229'], 'ts.example': ['100.101.102.103'], 'meta.example': ['169.254.169.254'] });

  it('by default a host behind Cloudflare and a Tailscale host are fine; a metadata address is not', async () => {
    expect(await checkBaseUrlNetwork('signoz', 'https://signoz.example.dev', { lookup })).toEqual([]);
    expect(await checkBaseUrlNetwork('ts', 'http://ts.example:8080', { lookup })).toEqual([]);
    const [w] = await checkBaseUrlNetwork('m', 'http://meta.example', { lookup });
    expect(w).toMatchObject({ backend: 'm', host: 'meta.example', address: '169.254.169.254' });
  });

  it('allowedNetworks narrows: a config whose REST backend resolves outside it warns, naming the backend and the fix', async () => {
    const config = {
      gateway: { allowedNetworks: ['10.0.0.0/8', '100.64.0.0/10'] },
      backends: {
        signoz: { type: 'rest', baseUrl: 'https://signoz.example.dev' },
        ts: { type: 'rest', baseUrl: 'http://ts.example' },
        off: { type: 'rest', baseUrl: 'http://meta.example', disabled: true },
        mcp: { type: 'http', url: 'http://meta.example' },
        gone: { type: 'rest', baseUrl: 'http://nowhere.example' },
      },
    };
    const warnings = await configNetworkWarnings(config, { lookup });
    expect(warnings.map((w) => w.backend)).toEqual(['signoz']);
    expect(warnings[0]!.message).toBe(
      'backend "signoz": signoz.example.dev resolves to 104.16.132.229, 104.16.133.229; 104.16.132.229 is outside the allowed networks (10.0.0.0/8, 100.64.0.0/10), so every call to it will be refused',
    );
    expect(warnings[0]!.hint).toContain('Add a CIDR covering 104.16.132.229 to gateway.allowedNetworks');
    // Only `backends test` asks for names that do not resolve here (cluster names on a laptop are normal).
    const withUnresolved = await configNetworkWarnings(config, { lookup, includeUnresolved: true });
    expect(withUnresolved.map((w) => w.backend)).toEqual(['signoz', 'gone']);
    expect(withUnresolved[1]!.message).toContain('nowhere.example does not resolve here (ENOTFOUND)');
  });

  it('an invalid allowedNetworks entry is itself a warning', async () => {
    const w = await configNetworkWarnings({ gateway: { allowedNetworks: ['10.0.0.0/33'] }, backends: { a: { type: 'rest', baseUrl: 'http://10.0.0.1' } } });
    expect(w).toEqual([expect.objectContaining({ message: expect.stringContaining('gateway.allowedNetworks: "10.0.0.0/33" is not a network in CIDR form') })]);
  });
});
