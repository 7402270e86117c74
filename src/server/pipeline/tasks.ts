import { isTaskResult, type TaskRoutes } from '../tasks/routes.js';
import type { CallContext, Handler, Result, Step } from './types.js';

/**
 * Tasks (either form): a backend answered `tools/call` with a CreateTaskResult. Its task id becomes
 * the gateway's sealed one (backend, backend task id, creating identity, tool), so the task's later
 * requests route back to that backend for that caller only. Part of the forward step (same name,
 * same span), so every chain that forwards, an applied plan's included, gets it.
 */
export function withTaskIds(forward: Step, tasks: TaskRoutes | undefined): Step {
  if (!tasks) return forward;
  return {
    name: forward.name,
    async handle(call: CallContext, next: Handler): Promise<Result> {
      const result = await forward.handle(call, next);
      if (call.method !== 'tools/call' || !isTaskResult(result) || !call.route) return result;
      return tasks.created(result, call.route.upstream.name, call.identity!, call.exposedName ?? String(call.params.name));
    },
  };
}
