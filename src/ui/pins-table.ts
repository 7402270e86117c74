import type { GatewayEvent } from '../core/events.js';
import type { PinChange } from '../core/admin/pins.js';
import type { PinView } from './snapshot.js';
import { cleanBlock, cleanLine } from './text.js';

/** Bound against a runaway backend (every tool changed at once). */
const MAX_HELD = 2_000;
const key = (backend: string, tool: string) => `${backend}\u0000${tool}`;

/**
 * Tools withheld by pinning (the catalog view): the admin API's list (`/admin/pins`, with diffs) is
 * the truth; `catalog.pin_held` adds a row at once (its diff comes with the next list) and
 * `catalog.pin_accepted` removes one. The list is rebuilt only after a change.
 */
export class PinsTable {
  private readonly held = new Map<string, PinView>();
  private list: readonly PinView[] = Object.freeze([]);
  private dirty = false;

  setPins(pins: readonly PinChange[]): void {
    const old = new Map(this.held);
    this.held.clear();
    for (const p of pins.slice(0, MAX_HELD)) {
      const backend = cleanLine(p.backend);
      const tool = cleanLine(p.tool);
      // Tool descriptions and schemas are the backend's words: redacted and bounded, once per list.
      this.held.set(key(backend, tool), Object.freeze({ backend, tool, reason: p.reason, changes: Object.freeze(p.changes.map((c) => cleanLine(c))), since: Date.parse(p.since) || old.get(key(backend, tool))?.since || 0, diff: cleanBlock(p.diff, 8000) }));
    }
    this.dirty = true;
  }

  pinHeld(e: Extract<GatewayEvent, { type: 'catalog.pin_held' }>): void {
    const backend = cleanLine(e.backend);
    const tool = cleanLine(e.tool);
    const k = key(backend, tool);
    if (!this.held.has(k) && this.held.size >= MAX_HELD) return;
    this.held.set(k, Object.freeze({ backend, tool, reason: e.reason, changes: Object.freeze(e.changes.map((c) => cleanLine(c))), since: e.at, diff: this.held.get(k)?.diff }));
    this.dirty = true;
  }

  accepted(e: Extract<GatewayEvent, { type: 'catalog.pin_accepted' }>): void {
    if (this.held.delete(key(cleanLine(e.backend), cleanLine(e.tool)))) this.dirty = true;
  }

  /** By backend, then tool. */
  view(): readonly PinView[] {
    if (this.dirty) {
      this.list = Object.freeze([...this.held.values()].sort((a, b) => a.backend.localeCompare(b.backend) || a.tool.localeCompare(b.tool)));
      this.dirty = false;
    }
    return this.list;
  }
}
