import { isTaskResult, type TaskRoutes } from '../tasks/routes.js';
import type { CallContext, Handler, Result, Step } from './types.js';

/**
 * Tasks (either form): a backend answered `tools/call` with a CreateTaskResult. Its task id becomes the
 * gateway's sealed one (backend, backend task id, creating identity), so the task's later requests
 * route back to that backend for that caller only. Just before forward, so an applied plan's call
 * gets the same.
 */
export function tasksStep(tasks: TaskRoutes): Step {
  return {
    name: 'tasks',
    async handle(call: CallContext, next: Handler): Promise<Result> {
      const result = await next(call);
      if (call.method !== 'tools/call' || !isTaskResult(result) || !call.route) return result;
      return tasks.created(result, call.route.upstream.name, call.identity!, call.exposedName ?? String(call.params.name));
    },
  };
}
