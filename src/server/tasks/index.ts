import type { GatehouseConfig } from '../../core/config/schema.js';
import type { EventBus } from '../../core/events.js';
import type { SecretStore } from '../../core/secrets/resolve.js';
import { clusterSecret } from '../approvals/seal.js';
import type { Upstream } from '../upstream/types.js';
import { TaskRoutes } from './routes.js';
import { TaskIds, taskKey } from './task-ids.js';

export { TaskRoutes, TASKS_EXTENSION, hasTasksExtension, isTaskResult } from './routes.js';

export interface GatewayTasksDeps {
  config: () => GatehouseConfig;
  secrets?: SecretStore;
  stateDir?: string;
  upstreams: () => Upstream[];
  bus: EventBus;
  timeoutMs: () => number;
}

/** The gateway's task routes; the key is made on the first task, from the config served then. */
export function gatewayTasks(deps: GatewayTasksDeps): TaskRoutes {
  let ids: Promise<TaskIds> | undefined;
  return new TaskRoutes({
    ids: () =>
      (ids ??= clusterSecret(deps.config(), deps.secrets)
        .then((secret) => new TaskIds(taskKey(secret, deps.stateDir)))
        .catch((e: unknown) => {
          ids = undefined; // the next task tries again (a fixed state directory, a reachable secret)
          throw e;
        })),
    upstreams: deps.upstreams,
    bus: deps.bus,
    timeoutMs: deps.timeoutMs,
  });
}
