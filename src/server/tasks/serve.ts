import type { Server, ServerContext } from '@modelcontextprotocol/server';
import * as z from 'zod';
import { anonymousIdentity } from '../../core/identity.js';
import type { AccessPolicy } from '../../core/policy/access.js';
import type { InboundInfo } from '../router.js';
import { TASK_METHODS, type TaskRoutes } from './routes.js';

const TaskParams = z.object({ taskId: z.string() }).passthrough();

/**
 * Serves the task methods on one SDK Server: for 2026-07-28, `tasks/get`, `tasks/update` and
 * `tasks/cancel` of the extension (custom schemas, as the SDK allows for extension methods); for a
 * 2025 session, the spec's `tasks/get`, `tasks/result` and `tasks/cancel` (`tasks/list` is not
 * offered: one backend's list is not the gateway's). The caller's identity is the one the pipeline's
 * identity step gives a call on the same request, so the task's creator matches itself.
 */
export function serveTaskMethods(server: Server, tasks: TaskRoutes, info: InboundInfo, access: (() => AccessPolicy | undefined) | undefined): void {
  for (const method of TASK_METHODS[info.era]) {
    const handle = (params: Record<string, unknown>, ctx: ServerContext) => {
      const envelope = ctx.mcpReq.envelope as { clientInfo?: { name?: string } } | undefined;
      const name = info.client ?? ctx.http?.authInfo?.clientId ?? envelope?.clientInfo?.name ?? server.getClientVersion()?.name ?? 'client';
      const identity = info.identity ?? anonymousIdentity(name, info.transport === 'stdio' ? 'stdio' : 'none');
      const scope = access?.()?.scope(info.server, identity);
      // The SDK lifts a tasks/update's answers out of the params; the backend needs them back.
      const inputResponses = ctx.mcpReq.inputResponses;
      const out = { ...params, ...(method === 'tasks/update' && inputResponses ? { inputResponses } : {}) };
      return tasks.handle(method, out, {
        identity,
        sessionKey: info.sessionId ?? ctx.sessionId ?? 'stateless',
        signal: ctx.mcpReq.signal,
        reaches: (backend, tool) => !scope || scope.allows('tool', backend, tool),
      }) as never;
    };
    if (info.era === 'modern') server.setRequestHandler(method, { params: TaskParams }, handle);
    else server.setRequestHandler(method as never, ((req: { params?: Record<string, unknown> }, ctx: ServerContext) => handle({ ...req.params }, ctx)) as never);
  }
}
