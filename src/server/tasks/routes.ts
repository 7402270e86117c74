/**
 * Tasks through the gateway, in both forms: the Tasks extension (io.modelcontextprotocol/tasks,
 * 2026-07-28: `resultType: "task"`, tasks/get|update|cancel) and 2025-11-25 task-augmented calls
 * (`{task}` results, tasks/get|result|cancel). A backend's CreateTaskResult passes through
 * `tools/call` with its task id sealed (task-ids.ts), and the task's requests go back to the backend
 * that minted it, only for the identity that created it. Everything else answers "not found", so a
 * foreign or tampered id tells the caller nothing.
 */
import { ProtocolError } from '@modelcontextprotocol/server';
import type { EventBus } from '../../core/events.js';
import type { Identity } from '../../core/identity.js';
import { identityKey } from '../approvals/seal.js';
import { withoutBackendIdentity } from '../era/results.js';
import { clientError } from '../pipeline/errors.js';
import type { CallContext } from '../pipeline/types.js';
import { ErrorCodes, type CallContext as UpstreamCallContext, type Upstream } from '../upstream/types.js';
import type { TaskIds } from './task-ids.js';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';
export const TASK_METHODS = { modern: ['tasks/get', 'tasks/update', 'tasks/cancel'], legacy: ['tasks/get', 'tasks/result', 'tasks/cancel'] } as const;
export type TaskMethod = 'tasks/get' | 'tasks/update' | 'tasks/cancel' | 'tasks/result';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

type Result = Record<string, unknown>;
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Whether a capabilities object (a backend's, or a client's per-request one) carries the extension. */
export function hasTasksExtension(capabilities: unknown): boolean {
  const ext = (capabilities as { extensions?: unknown } | undefined)?.extensions;
  return ext !== null && typeof ext === 'object' && !Array.isArray(ext) && TASKS_EXTENSION in ext;
}

/** A 2025-11-25 server capability for task-augmented tools/call. */
export function hasLegacyTasks(capabilities: unknown): boolean {
  const tasks = (capabilities as { tasks?: { requests?: { tools?: { call?: unknown } } } } | undefined)?.tasks;
  return tasks?.requests?.tools?.call !== undefined;
}

/** The task a CreateTaskResult carries: 2026-07-28 (resultType "task", fields at the top) or 2025 ({task}). */
function createdTask(result: unknown): Result | undefined {
  const r = result as Result | undefined;
  if (r?.resultType === 'task' && typeof r.taskId === 'string') return r;
  const task = r?.task as Result | undefined;
  return task && typeof task === 'object' && typeof task.taskId === 'string' ? task : undefined;
}

export function isTaskResult(result: unknown): result is Result {
  return createdTask(result) !== undefined;
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

  /** Advertised to a client of this era only while some backend that is up advertises its form. */
  enabled(era: 'legacy' | 'modern'): boolean {
    const has = era === 'modern' ? hasTasksExtension : hasLegacyTasks;
    return this.deps.upstreams().some((u) => u.state === 'ready' && has(u.info.capabilities));
  }

  /** A backend's CreateTaskResult, with the gateway's sealed id in place of the backend's. */
  async created(result: Result, backend: string, identity: Identity, tool: string): Promise<Result> {
    const task = createdTask(result);
    if (!task) return result;
    const ids = await this.deps.ids();
    const taskId = ids.seal({ backend, task: String(task.taskId), owner: ids.owner(identityKey(identity)), tool });
    this.announce(taskId, backend, identity, task, tool);
    const out = withoutBackendIdentity(result);
    if (task === result) return { ...out, taskId };
    // The SDK's 2025 tools/call encoder refuses a body with `task` but no `content` (it cannot tell a
    // CreateTaskResult from an empty call result); an empty list is extra and harmless to the requester.
    return { content: [], ...out, task: { ...task, taskId } };
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
      // As a call's errors leave the pipeline (the backend named, a stdio command line removed); and
      // the backend's own id, which its "not found" names, becomes ours: the client knows only ours.
      const mapped = clientError(e, { route: { upstream } } as CallContext);
      throw mapped instanceof ProtocolError ? rename(mapped, ref.task, String(taskId)) : mapped;
    }
    const out = withoutBackendIdentity(result);
    if (typeof out.taskId === 'string') out.taskId = taskId;
    // tasks/result (2025) names the task in its result's _meta.
    const meta = out._meta as Result | undefined;
    if (meta?.[RELATED_TASK]) out._meta = { ...meta, [RELATED_TASK]: { ...(meta[RELATED_TASK] as Result), taskId } };
    if (method === 'tasks/result') this.announce(String(taskId), ref.backend, caller.identity, { status: 'completed' }, ref.tool);
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

function rename(e: ProtocolError, backendId: string, ours: string): ProtocolError {
  if (!e.message.includes(backendId)) return e;
  return new ProtocolError(e.code, e.message.split(backendId).join(ours), e.data);
}
