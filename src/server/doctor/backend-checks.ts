import { checkRestBackendAddress } from '../../core/backends/network.js';
import type { BackendConfig, GatehouseConfig } from '../../core/config/schema.js';
import { errorMessage, isUserError } from '../../core/errors.js';
import { redactString } from '../../core/log/redact.js';
import type { SecretStore } from '../../core/secrets/resolve.js';
import { probeBackend } from '../probe.js';
import { probeRestBackend } from '../rest-probe.js';
import type { DoctorCheck } from './types.js';

function failed(id: string, title: string, e: unknown): DoctorCheck {
  return { id, title, status: 'fail', detail: redactString(errorMessage(e)), ...(isUserError(e) && e.hint ? { fix: e.hint } : {}) };
}

/** A REST base URL resolves to addresses the network guard lets through (gateway.allowedNetworks). */
async function networkCheck(name: string, baseUrl: string, allowedNetworks: string[] | undefined): Promise<DoctorCheck> {
  const id = `network:${name}`;
  const title = `${name}: network guard`;
  try {
    const r = await checkRestBackendAddress(name, baseUrl, { allowedNetworks });
    const refused = r.warnings.find((w) => w.address !== undefined);
    if (refused) return { id, title, status: 'fail', detail: refused.message, fix: refused.hint };
    if (r.warnings.length) return { id, title, status: 'warn', detail: r.warnings.map((w) => w.message).join('; '), fix: r.warnings[0]!.hint };
    return { id, title, status: 'pass', detail: `${r.host} → ${r.addresses.join(', ')}${allowedNetworks?.length ? ` (inside ${allowedNetworks.join(', ')})` : ''}` };
  } catch (e) {
    return failed(id, title, e);
  }
}

async function reachCheck(name: string, b: BackendConfig, config: GatehouseConfig, opts: { secrets: SecretStore; baseDir: string }): Promise<DoctorCheck> {
  const id = `backend:${name}`;
  try {
    if (b.type === 'rest') {
      const r = await probeRestBackend(name, b, { secrets: opts.secrets, baseDir: opts.baseDir, allowedNetworks: config.gateway?.allowedNetworks });
      return { id, title: `${name}: REST answers`, status: 'pass', detail: `${r.tools} tools; ${r.tool} answered in ${r.latencyMs} ms` };
    }
    const r = await probeBackend(name, b, { secrets: opts.secrets });
    const dropped = Object.values(r.invalid ?? {}).reduce((n, x) => n + (x?.length ?? 0), 0);
    const detail = `${r.serverName ?? 'unnamed server'} ${r.serverVersion ?? ''}, protocol ${r.protocolVersion ?? '?'}; ${r.counts.tools} tools, ${r.counts.resources} resources, ${r.counts.prompts} prompts in ${r.latencyMs.connectAndList} ms`.replace(/ +,/, ',');
    if (dropped) return { id, title: `${name}: MCP answers`, status: 'warn', detail: `${detail}; ${dropped} invalid item(s) the gateway drops`, fix: `See \`gatehouse backends test ${name}\` for which.` };
    return { id, title: `${name}: MCP answers`, status: 'pass', detail };
  } catch (e) {
    return failed(id, `${name}: ${b.type === 'rest' ? 'REST' : 'MCP'} answers`, e);
  }
}

/** For every enabled backend: reachable and answering as its kind should (and, for REST, allowed by the network guard). */
export async function backendChecks(config: GatehouseConfig, opts: { secrets: SecretStore; baseDir: string }): Promise<DoctorCheck[]> {
  const work = Object.entries(config.backends).map(async ([name, b]): Promise<DoctorCheck[]> => {
    if (b.disabled) return [{ id: `backend:${name}`, title: `${name}: reachable`, status: 'skip', detail: 'disabled' }];
    const out: DoctorCheck[] = [];
    if (b.type === 'rest') {
      const net = await networkCheck(name, b.baseUrl, config.gateway?.allowedNetworks);
      out.push(net);
      if (net.status === 'fail') {
        out.push({ id: `backend:${name}`, title: `${name}: REST answers`, status: 'skip', detail: 'the network guard refuses its address, so no call can reach it' });
        return out;
      }
    }
    out.push(await reachCheck(name, b, config, opts));
    return out;
  });
  return (await Promise.all(work)).flat();
}
