/** Plain aligned columns; no colour, so piped output stays clean. */
export function formatTable(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** Backends whose config refers to `secret:<name>`. */
export function backendsReferencingSecret(backends: Record<string, unknown>, name: string): string[] {
  const needle = `secret:${name}`;
  return Object.entries(backends)
    .filter(([, b]) => JSON.stringify(b).includes(JSON.stringify(needle)))
    .map(([n]) => n);
}

/** Backends that send a Cloudflare Access token (cfAccessToken, or REST auth of type cf-access). */
export function backendsUsingToken(backends: Record<string, unknown>, token: string): string[] {
  return Object.entries(backends)
    .filter(([, b]) => {
      const x = b as { cfAccessToken?: string; auth?: { type?: string; token?: string } };
      return x.cfAccessToken === token || (x.auth?.type === 'cf-access' && x.auth.token === token);
    })
    .map(([n]) => n);
}

export function storeLabel(store: string): string {
  return store === 'keychain' ? 'OS keychain' : store === 'file' ? 'file store' : store;
}
