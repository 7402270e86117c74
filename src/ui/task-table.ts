import type { GatewayEvent } from '../core/events.js';
import type { TasksView } from './snapshot.js';
import { cleanLine } from './text.js';

/** Bounds: a client that starts tasks without end cannot grow the dashboard. */
const MAX_TASKS = 1_000;
/** A task nobody asked about for this long is forgotten (the gateway only sees what its clients ask). */
const FORGET_AFTER_MS = 60 * 60 * 1000;

const EMPTY: TasksView = Object.freeze({ running: 0, tools: Object.freeze([]) });

/**
 * Running tasks (Tasks extension) from `task.changed`: a task is running from its creation until a
 * status the gateway relays says it ended (completed, failed, cancelled), as the clients' polls show.
 */
export class TaskTable {
  private readonly tasks = new Map<string, { tool: string; seenAt: number }>();
  private cached: TasksView = EMPTY;
  private dirty = false;

  changed(e: Extract<GatewayEvent, { type: 'task.changed' }>): void {
    this.tasks.delete(e.taskId);
    if (!e.terminal) {
      if (this.tasks.size >= MAX_TASKS) this.tasks.delete(this.tasks.keys().next().value as string);
      this.tasks.set(e.taskId, { tool: cleanLine(e.tool ?? e.backend), seenAt: e.at });
    }
    // Insertion order is last-seen order, so the stale ones are at the front.
    for (const [id, t] of this.tasks) {
      if (e.at - t.seenAt <= FORGET_AFTER_MS) break;
      this.tasks.delete(id);
    }
    this.dirty = true;
  }

  view(): TasksView {
    if (!this.dirty) return this.cached;
    this.dirty = false;
    const tools = [...new Set([...this.tasks.values()].map((t) => t.tool))].sort();
    this.cached = this.tasks.size ? Object.freeze({ running: this.tasks.size, tools: Object.freeze(tools) }) : EMPTY;
    return this.cached;
  }
}
