import { SUPPORTED_PROTOCOL_VERSIONS, type Server } from '@modelcontextprotocol/server';
import type { CacheHint } from './cache-hints.js';
import type { Upstream } from './upstream/types.js';

/** The 2026-07-28 revision, which the gateway serves next to every 2025-era one the SDK speaks. */
export const MODERN_REVISION = '2026-07-28';

/**
 * Every protocol version a client can speak to the gateway, newest first. The gateway bridges eras
 * (a 2026-07-28 client reaches a 2025 backend and the reverse), so the list does not depend on the
 * backends: each enabled backend is served through the gateway in every one of these versions.
 */
export const GATEWAY_VERSIONS: readonly string[] = [MODERN_REVISION, ...SUPPORTED_PROTOCOL_VERSIONS];

/**
 * The capabilities the gateway advertises, only where it delivers them: list changes for tools,
 * prompts and resources are always delivered (the catalog announces every rebuild); resource
 * subscriptions only while some enabled, ready backend offers them (else nothing would ever send
 * an update). Read per server instance, so a backend that comes or goes changes what later
 * sessions and requests see.
 */
export function gatewayCapabilities(upstreams: readonly Upstream[]): Record<string, unknown> {
  const subscribe = upstreams.some((u) => !u.config.disabled && u.state === 'ready' && typeof u.subscribe === 'function' && offersSubscribe(u.info.capabilities));
  return {
    tools: { listChanged: true },
    resources: { listChanged: true, ...(subscribe ? { subscribe: true } : {}) },
    prompts: { listChanged: true },
    completions: {},
    logging: {},
  };
}

function offersSubscribe(caps: Record<string, unknown> | undefined): boolean {
  const resources = caps?.resources as { subscribe?: unknown } | undefined;
  return resources?.subscribe === true;
}

/**
 * Makes the server's `server/discover` answer name every version in GATEWAY_VERSIONS and carry the
 * gateway's cache hint. The SDK builds the answer in Server#_ondiscover and lists only the modern
 * revisions there, with no option to change it (and re-installs its own handler per request), so
 * the instance's method is wrapped: capabilities and instructions stay the SDK's.
 */
export function installDiscover(server: Server, hint: () => CacheHint): void {
  const target = server as unknown as { _ondiscover?: () => Record<string, unknown> };
  const base = target._ondiscover;
  if (typeof base !== 'function') return;
  target._ondiscover = () => ({ ...base.call(server), supportedVersions: [...GATEWAY_VERSIONS], ...hint() });
}
