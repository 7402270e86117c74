import type { AdminServerStatus } from '../core/admin/contract.js';
import type { AccessPolicy } from '../core/policy/access.js';
import type { Catalog } from './catalog.js';

/** What each virtual server carries from the current catalog (for the admin status and `servers show`). */
export function serverStatus(access: AccessPolicy, catalog: Catalog): AdminServerStatus[] {
  const cfg = access.config;
  return Object.entries(cfg.servers ?? {}).map(([name, s]) => {
    // The server's own view, as an unauthenticated client at its path sees it.
    const scope = access.scope(name, undefined)!;
    const tools = catalog.toolEntries().filter((t) => scope.allows('tool', t.backend, t.name)).map((t) => t.name);
    const prompts = catalog.prompts.filter((p) => scope.allows('prompt', catalog.resolvePrompt(p.name)?.upstream.name ?? '')).length;
    const resources = catalog.resources.filter((r) => scope.allows('resource', catalog.resolveResource(r.uri)?.name ?? '')).length;
    return {
      name,
      ...(s.description ? { description: s.description } : {}),
      ...(s.backends ? { backends: [...s.backends] } : {}),
      ...(s.tools ? { toolGlobs: [...s.tools] } : {}),
      tools,
      prompts,
      resources,
      path: `/servers/${name}/mcp`,
      default: cfg.defaultServer === name,
    };
  });
}
