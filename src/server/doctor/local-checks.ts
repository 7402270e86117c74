import { access, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { clientConfigPath, displayPath, type ClientId, type Scope } from '../../core/clients/index.js';
import { listRunStates } from '../../core/config/run-state.js';
import { DEFAULTS, type GatehouseConfig } from '../../core/config/schema.js';
import { errorMessage, isUserError } from '../../core/errors.js';
import { KeychainStore } from '../../core/secrets/keychain.js';
import type { SecretManager } from '../../core/secrets/manager.js';
import type { SecretStore } from '../../core/secrets/resolve.js';
import type { DoctorCheck } from './types.js';

/** The keychain answers (a probe read); a failure only fails the check when something is stored there. */
export async function keychainCheck(secrets: SecretManager, keychain: SecretStore & { probe?: () => Promise<void> } = new KeychainStore()): Promise<DoctorCheck> {
  const inKeychain = (await secrets.list()).filter((s) => s.store === 'keychain').map((s) => s.name);
  const title = 'OS keychain';
  try {
    if (keychain.probe) await keychain.probe();
    else await keychain.get('.gatehouse-probe');
    return { id: 'keychain', title, status: 'pass', detail: `reachable${inKeychain.length ? ` (${inKeychain.length} item${inKeychain.length === 1 ? '' : 's'} stored there)` : ''}` };
  } catch (e) {
    const detail = errorMessage(e);
    const fix = isUserError(e) ? e.hint : undefined;
    if (inKeychain.length === 0) return { id: 'keychain', title, status: 'warn', detail: `${detail} Nothing is stored there yet, so nothing fails now.`, fix };
    return { id: 'keychain', title, status: 'fail', detail: `${detail} ${inKeychain.length} stored item${inKeychain.length === 1 ? '' : 's'} cannot be read: ${inKeychain.join(', ')}.`, fix };
  }
}

/** The address `serve` will bind is free (or already served by a gateway of this config dir). */
export async function portCheck(config: GatehouseConfig, dir: string, port?: number): Promise<DoctorCheck> {
  const host = config.gateway?.host ?? DEFAULTS.host;
  const want = port ?? config.gateway?.port ?? DEFAULTS.port;
  const title = `port ${host}:${want}`;
  if (want === 0) return { id: 'port', title, status: 'pass', detail: 'port 0: a free port is picked at start' };
  const err = await new Promise<NodeJS.ErrnoException | undefined>((done) => {
    const s = createServer();
    s.once('error', (e) => done(e));
    s.listen({ host, port: want, exclusive: true }, () => s.close(() => done(undefined)));
  });
  if (!err) return { id: 'port', title, status: 'pass', detail: 'free' };
  const ours = (await listRunStates(dir)).find((r) => {
    try {
      return Number(new URL(r.url).port) === want;
    } catch {
      return false;
    }
  });
  if (ours) return { id: 'port', title, status: 'warn', detail: `in use by the running gateway (pid ${ours.pid}, ${ours.url})`, fix: 'That is this gateway already serving; see `gatehouse status`. To start another, pass `gatehouse serve --port <other>`.' };
  if (err.code === 'EADDRINUSE') return { id: 'port', title, status: 'fail', detail: 'in use by another program', fix: `Stop it (\`ss -ltnp 'sport = :${want}'\` names it), or serve elsewhere: \`gatehouse serve --port <free port>\` or gateway.port in the config.` };
  return { id: 'port', title, status: 'fail', detail: `cannot bind: ${err.code ?? err.message}`, fix: err.code === 'EACCES' ? 'Ports below 1024 need privileges; use a port above 1024.' : `Check gateway.host (${host}): it must be an address of this machine.` };
}

/** Each REST backend's tls.caFile exists and holds a PEM certificate. */
export async function tlsChecks(config: GatehouseConfig, baseDir: string): Promise<DoctorCheck[]> {
  const out: DoctorCheck[] = [];
  for (const [name, b] of Object.entries(config.backends)) {
    if (b.type !== 'rest' || !b.tls?.caFile || b.disabled) continue;
    const file = isAbsolute(b.tls.caFile) ? b.tls.caFile : resolve(baseDir, b.tls.caFile);
    const title = `${name}: TLS CA file`;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      out.push({ id: `tls:${name}`, title, status: 'fail', detail: `${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(e)}`, fix: `Point backends.${name}.tls.caFile at the CA that signed the server's certificate (\`gatehouse backends update ${name} --ca-file <pem>\`).` });
      continue;
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(text)) {
      out.push({ id: `tls:${name}`, title, status: 'fail', detail: `${file} holds no PEM certificate`, fix: 'Use the CA certificate in PEM form (-----BEGIN CERTIFICATE-----), e.g. `openssl x509 -in ca.der -inform der -out ca.pem`.' });
      continue;
    }
    out.push({ id: `tls:${name}`, title, status: 'pass', detail: file });
  }
  return out;
}

const CLIENT_FILES: Array<[ClientId, Scope]> = [
  ['claude-code', 'project'],
  ['claude-code', 'user'],
  ['cursor', 'project'],
  ['cursor', 'user'],
  ['codex', 'user'],
];

/** Some MCP client's config names this gateway's URL (or the `gatehouse connect` bridge). */
export async function clientsCheck(config: GatehouseConfig, paths: { home?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<DoctorCheck> {
  const host = config.gateway?.host ?? DEFAULTS.host;
  const port = config.gateway?.port ?? DEFAULTS.port;
  const urls = [`http://${host}:${port}/mcp`, ...(host === '127.0.0.1' ? [`http://localhost:${port}/mcp`] : [])];
  const wired: string[] = [];
  const elsewhere: string[] = [];
  for (const [client, scope] of CLIENT_FILES) {
    const file = clientConfigPath(client, scope, paths);
    let text: string;
    try {
      await access(file);
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    const shown = `${client} (${displayPath(file, paths)})`;
    if (urls.some((u) => text.includes(u)) || /"gatehouse"\s*,\s*"args"\s*:\s*\[\s*"connect"|command\s*=\s*"gatehouse"/.test(text)) wired.push(shown);
    else if (/gatehouse/i.test(text)) elsewhere.push(shown);
  }
  const title = 'MCP clients';
  if (wired.length) return { id: 'clients', title, status: 'pass', detail: `wired: ${wired.join(', ')}` };
  if (elsewhere.length) {
    return { id: 'clients', title, status: 'warn', detail: `${elsewhere.join(', ')} name gatehouse but not ${urls[0]}`, fix: `Point them at this gateway: \`gatehouse clients install <client> --url ${urls[0]} --force\`.` };
  }
  return { id: 'clients', title, status: 'warn', detail: `no Claude Code, Cursor or Codex config names ${urls[0]}`, fix: `Wire one: \`gatehouse clients install claude-code --url ${urls[0]}\` (or cursor, codex).` };
}
