import { readFileSync } from 'node:fs';
import { withFileLock } from '../../core/config/lock.js';
import type { EventBus } from '../../core/events.js';
import { atomicWriteFile } from '../../core/secrets/atomic.js';
import { changedFields, pinnedView, toolDiff, toolFingerprint, type PinnedField, type PinnedTool } from '../../core/pinning/fingerprint.js';
import type { PinChange } from '../../core/admin/pins.js';
import type { UpstreamTool } from '../upstream/types.js';

export type NewToolPolicy = 'accept' | 'hold';

interface Record_ {
  fingerprint: string;
  tool: PinnedTool;
  acceptedAt: string;
  acceptedBy?: string;
}

interface PinFile {
  version: 1;
  backends: Record<string, Record<string, Record_>>;
}

interface Held {
  reason: 'changed' | 'new';
  fingerprint: string;
  tool: PinnedTool;
  changes: PinnedField[];
  since: string;
}

/**
 * Tool pinning: the gateway remembers each pinned backend's tools by fingerprint (name, description,
 * input and output schema, annotations) and withholds a tool whose fingerprint changed, or a new
 * tool under `newTools: hold`, until a person accepts it. The first listing of a backend is its
 * baseline (trust on first use). Fingerprints live in `<state dir>/pins.json` (atomic, locked
 * writes); without a state dir they last as long as the process.
 */
export class Pins {
  private data: PinFile = { version: 1, backends: {} };
  private readonly held = new Map<string, Map<string, Held>>();
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: { file?: string; bus: EventBus; now?: () => Date }) {
    if (opts.file) this.data = readPinFile(opts.file);
  }

  /** The tools of one pinned backend that may be served; the rest are held for acceptance. */
  gate(backend: string, tools: UpstreamTool[], newTools: NewToolPolicy): UpstreamTool[] {
    const now = (this.opts.now?.() ?? new Date()).toISOString();
    let known = this.data.backends[backend];
    if (!known) {
      known = this.data.backends[backend] = {};
      for (const t of tools) known[t.name] = { fingerprint: toolFingerprint(pinnedView(t)), tool: pinnedView(t), acceptedAt: now };
      this.persist();
      return tools;
    }
    const before = this.held.get(backend);
    const held = new Map<string, Held>();
    const kept: UpstreamTool[] = [];
    let recorded = false;
    for (const t of tools) {
      const view = pinnedView(t);
      const fp = toolFingerprint(view);
      const rec = known[t.name];
      if (rec?.fingerprint === fp) {
        kept.push(t);
        continue;
      }
      if (!rec && newTools === 'accept') {
        known[t.name] = { fingerprint: fp, tool: view, acceptedAt: now };
        recorded = true;
        kept.push(t);
        continue;
      }
      const prev = before?.get(t.name);
      const entry: Held = prev?.fingerprint === fp ? prev : { reason: rec ? 'changed' : 'new', fingerprint: fp, tool: view, changes: rec ? changedFields(rec.tool, view) : [], since: now };
      held.set(t.name, entry);
      if (entry !== prev) this.opts.bus.emit('catalog.pin_held', { backend, tool: t.name, reason: entry.reason, changes: entry.changes });
    }
    if (held.size) this.held.set(backend, held);
    else this.held.delete(backend);
    if (recorded) this.persist();
    return kept;
  }

  /** Every held tool, with its diff against the accepted version. */
  changes(backend?: string, tool?: string): PinChange[] {
    const out: PinChange[] = [];
    for (const [b, tools] of this.held) {
      if (backend && b !== backend) continue;
      for (const [name, h] of tools) {
        if (tool && name !== tool) continue;
        const accepted = this.data.backends[b]?.[name];
        out.push({ backend: b, tool: name, reason: h.reason, changes: h.changes, since: h.since, fingerprint: h.fingerprint, ...(accepted ? { acceptedFingerprint: accepted.fingerprint } : {}), diff: toolDiff(accepted?.tool, h.tool, `${b}/${name}`) });
      }
    }
    return out.sort((a, b) => (a.backend === b.backend ? a.tool.localeCompare(b.tool) : a.backend.localeCompare(b.backend)));
  }

  get heldCount(): number {
    let n = 0;
    for (const t of this.held.values()) n += t.size;
    return n;
  }

  /**
   * Accepts held tools (all, one backend's, or one tool): their current version becomes the pinned
   * one. The caller rebuilds the catalog so they are served. Resolves once the file is written.
   */
  async accept(by: string, backend?: string, tool?: string): Promise<PinChange[]> {
    const taken = this.changes(backend, tool);
    if (!taken.length) return [];
    const now = (this.opts.now?.() ?? new Date()).toISOString();
    for (const c of taken) {
      const h = this.held.get(c.backend)!.get(c.tool)!;
      (this.data.backends[c.backend] ??= {})[c.tool] = { fingerprint: h.fingerprint, tool: h.tool, acceptedAt: now, acceptedBy: by };
      this.held.get(c.backend)!.delete(c.tool);
      if (!this.held.get(c.backend)!.size) this.held.delete(c.backend);
      this.opts.bus.emit('catalog.pin_accepted', { backend: c.backend, tool: c.tool, by });
    }
    await this.persist();
    return taken;
  }

  /** Forgets a backend's held tools when it stops serving (its fingerprints stay). */
  release(backend: string): void {
    this.held.delete(backend);
  }

  /** Resolves when every write queued so far is on disk (the gateway waits for it when it stops). */
  flush(): Promise<void> {
    return this.writing;
  }

  /** Writes are queued one after another; each re-reads nothing (this process owns its view). */
  private persist(): Promise<void> {
    const file = this.opts.file;
    if (!file) return Promise.resolve();
    const text = `${JSON.stringify(this.data, null, 2)}\n`;
    this.writing = this.writing.then(() => withFileLock(file, () => atomicWriteFile(file, text, 0o600))).catch((e: unknown) => {
      this.opts.bus.emit('backend.warning', { backend: 'gateway', message: `Could not write the tool pins to ${file}: ${e instanceof Error ? e.message : String(e)}` });
    });
    return this.writing;
  }
}

function readPinFile(file: string): PinFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, backends: {} };
    throw new Error(`Cannot read the tool pins ${file}: ${(e as Error).message}. Fix its permissions, or move it away to pin every backend afresh.`);
  }
  try {
    const parsed = JSON.parse(text) as PinFile;
    if (parsed?.version !== 1 || typeof parsed.backends !== 'object' || parsed.backends === null) throw new Error('not a version 1 pin file');
    return parsed;
  } catch (e) {
    throw new Error(`The tool pins ${file} are not valid (${(e as Error).message}). Move the file away to pin every backend afresh (held changes would then be accepted as the new baseline).`);
  }
}
