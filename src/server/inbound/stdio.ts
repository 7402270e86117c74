import type { Server } from '@modelcontextprotocol/server';
import type { Router } from '../router.js';

/**
 * `serve --stdio`: one client that launched us speaks MCP on stdin/stdout, in either era (the SDK's
 * serveStdio binds the era from the first message). Logs must go to stderr.
 */
export async function serveStdioInbound(router: Router): Promise<{ close(): Promise<void>; notifyListChanged(kind: 'tools' | 'resources' | 'prompts'): void }> {
  const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
  const servers = new Set<Server>();
  const handle = serveStdio((ctx) => {
    const server = router.createServer({ era: ctx.era, transport: 'stdio', sessionId: 'stdio' });
    if (ctx.era === 'legacy') servers.add(server);
    return server;
  });
  return {
    close: () => handle.close(),
    notifyListChanged(kind) {
      for (const s of servers) {
        const p = kind === 'tools' ? s.sendToolListChanged() : kind === 'prompts' ? s.sendPromptListChanged() : s.sendResourceListChanged();
        void Promise.resolve(p).catch(() => undefined);
      }
    },
  };
}
