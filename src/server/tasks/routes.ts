/**
 * The Tasks extension (io.modelcontextprotocol/tasks, 2026-07-28) through the gateway: a backend's
 * CreateTaskResult passes through `tools/call` with its task id sealed (task-ids.ts), and
 * `tasks/get`, `tasks/update` and `tasks/cancel` go back to the backend that minted the task, only
 * for the identity that created it. Everything else answers "not found", so a foreign or tampered
 * id tells the caller nothing.
 */
import { ProtocolError } from '@modelcontextprotocol/server';
import type { EventBus } from '../../core/events.js';
import type { Identity } from '../../core/identity.js';
import { identityKey } from '../approvals/seal.js';
import { withoutBackendIdentity } from '../era/results.js';
import { ErrorCodes, type CallContext as UpstreamCallContext, type Upstream } from '../upstream/types.js';
import type { TaskIds } from './task-ids.js';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
export const TASK_METHODS = ['tasks/get', 'tasks/update', 'tasks/cancel'] as const;
export type TaskMethod = (typeof TASK_METHODS)[number];

type Result = Record<string, unknown>;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Whether a capabilities object (a backend's, or a client's per-request one) carries the extension. */
export function hasTasksExtension(capabilities: unknown): boolean {
  const ext = (capabilities as { extensions?: unknown } | undefined)?.extensions;
  return ext !== null && typeof ext === 'object' && !Array.isArray(ext) && TASKS_EXTENSION in ext;
}

/** A CreateTaskResult (resultType "task" with a task id). */
export function isTaskResult(result: unknown): result is Result & { taskId: string } {
  const r = result as Result | undefined;
  return r?.resultType === 'task' && typeof r.taskId === 'string';
}

/** Who asks about a task, as the router knows them. */
export interface TaskCaller {
  identity: Identity;
  sessionKey: string;
  signal: AbortSignal;
  /** May this caller reach that backend's tool here (virtual server, roles)? */
  reaches(backend: string, tool: string): boolean;
}

export interface TaskRoutesDeps {
  ids: () => Promise<TaskIds>;
  upstreams: () => Upstream[];
  bus: EventBus;
  timeoutMs: () => number;
}

export class TaskRoutes {
  private seq = 0;

  constructor(private readonly deps: TaskRoutesDeps) {}

  /** Advertised only while some backend that is up advertises it. */
  enabled(): boolean {
    return this.deps.upstreams().some((u) => u.state === 'ready' && hasTasksExtension(u.info.capabilities));
  }

  /** A backend's CreateTaskResult, with the gateway's sealed id in place of the backend's. */
  async created(result: Result & { taskId: string }, backend: string, identity: Identity, tool: string): Promise<Result> {
    const ids = await this.deps.ids();
    const taskId = ids.seal({ backend, task: result.taskId, owner: ids.owner(identityKey(identity)), tool });
    this.announce(taskId, backend, identity, result, tool);
    return { ...withoutBackendIdentity(result), taskId };
  }

  /** tasks/get, tasks/update or tasks/cancel, sent to the backend that minted the task. */
  async handle(method: TaskMethod, params: Result, caller: TaskCaller): Promise<Result> {
    const taskId = params.taskId;
    const ids = await this.deps.ids();
    const ref = ids.open(taskId);
    const upstream = ref && ref.owner === ids.owner(identityKey(caller.identity)) && caller.reaches(ref.backend, ref.tool) ? this.deps.upstreams().find((u) => u.name === ref.backend) : undefined;
    if (!ref || !upstream) throw notFound(taskId);
    const ctx: UpstreamCallContext = {
      callId: `task${++this.seq}`,
      sessionKey: caller.sessionKey,
      client: caller.identity.client,
      signal: caller.signal,
      timeoutMs: this.deps.timeoutMs(),
    };
    let result: Result;
    try {
      result = await upstream.request(method, { ...params, taskId: ref.task }, ctx);
    } catch (e) {
      // The backend's own "not found" names its id; the client knows only ours.
      if (e instanceof ProtocolError || (e as { code?: unknown }).code === ErrorCodes.InvalidParams) throw rename(e as Error, ref.task, String(taskId));
      throw e;
    }
    const out = withoutBackendIdentity(result);
    if (typeof out.taskId === 'string') out.taskId = taskId;
    if (method === 'tasks/get' && typeof out.status === 'string') this.announce(String(taskId), ref.backend, caller.identity, out, ref.tool);
    if (method === 'tasks/cancel') this.announce(String(taskId), ref.backend, caller.identity, { status: 'cancelled' }, ref.tool);
    return out;
  }

  private announce(taskId: string, backend: string, identity: Identity, task: Result, tool?: string): void {
    const status = typeof task.status === 'string' ? task.status : 'working';
    this.deps.bus.emit('task.changed', {
      taskId,
      backend,
      client: identity.client,
      status,
      terminal: TERMINAL.has(status),
      ...(tool ? { tool } : {}),
      ...(typeof task.statusMessage === 'string' ? { statusMessage: task.statusMessage.slice(0, 200) } : {}),
    });
  }
}

function notFound(taskId: unknown): ProtocolError {
  const shown = typeof taskId === 'string' ? taskId.slice(0, 100) : String(taskId);
  return new ProtocolError(ErrorCodes.InvalidParams, `Task not found: ${shown}. Task ids are good only for the identity that created the task, through this gateway.`);
}

function rename(e: Error, backendId: string, ours: string): Error {
  const code = (e as { code?: number }).code ?? ErrorCodes.InternalError;
  return new ProtocolError(code, e.message.split(backendId).join(ours), (e as { data?: unknown }).data);
}
