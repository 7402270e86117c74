import type { PinsPort } from '../core/admin/feed.js';
import type { ApprovalPrompt, ApprovalUiState } from './approval-keys.js';
import type { CatalogRow } from './catalog-view.js';
import { selectedKey, type ListNav, type VisibleList } from './list-nav.js';

export interface PinKeyContext {
  ui: ApprovalUiState & { view: string; navs: Record<string, ListNav> };
  /** The catalog view's visible list and its height. */
  list: VisibleList;
  height: number;
  set: (update: (prev: ApprovalUiState) => ApprovalUiState) => void;
  port?: PinsPort;
  /** After an accept went through, so the held list is re-read without waiting for the event. */
  onAccepted?: () => void;
}

function rowOf(ctx: PinKeyContext): CatalogRow | undefined {
  const nav = ctx.ui.navs.catalog as ListNav;
  const key = nav.detail ?? selectedKey(ctx.list, ctx.height, nav);
  if (key === undefined) return undefined;
  const i = ctx.list.indexOf(key);
  return i < 0 ? undefined : (ctx.list.items[i] as CatalogRow);
}

/**
 * `A` in the catalog view, on (or in the detail of) a tool withheld by pinning: asks y/n, answered
 * through the approvals keys' question handling (`acceptPin` on y). Answers true when it took the key.
 */
export function pinKey(input: string, ctx: PinKeyContext): boolean {
  if (ctx.ui.view !== 'catalog' || input !== 'A' || ctx.ui.prompt) return false;
  const row = rowOf(ctx);
  if (row?.type !== 'held') {
    ctx.set((s) => ({ ...s, notice: { text: 'Select a held tool (KIND held) to accept its change.', colour: 'yellow' } }));
    return true;
  }
  if (!ctx.port) {
    ctx.set((s) => ({ ...s, notice: { text: 'This dashboard has no admin API to accept through; use `gatehouse catalog accept`.', colour: 'red' } }));
    return true;
  }
  const { backend, tool } = row.pin;
  ctx.set((s) => ({ ...s, notice: undefined, prompt: { action: 'accept', planId: '', pin: { backend, tool }, label: `the ${row.pin.reason === 'new' ? 'new' : 'changed'} tool ${tool} on ${backend}` } }));
  return true;
}

/** y on an accept question: accepts that one tool's current version through the admin API. */
export function acceptPin(p: ApprovalPrompt, port: PinsPort | undefined, set: PinKeyContext['set'], onAccepted?: () => void): void {
  const pin = p.pin;
  if (!port || !pin) return set((s) => ({ ...s, prompt: undefined }));
  set((s) => ({ ...s, prompt: undefined, notice: { text: `Accepting ${p.label}…`, colour: 'cyan' } }));
  port.accept(pin.backend, pin.tool).then(
    (accepted) => {
      set((s) => ({
        ...s,
        notice: accepted.length ? { text: `Accepted ${p.label} as ${port.operator}; it is listed again.`, colour: 'green' } : { text: `Nothing to accept: ${pin.tool} on ${pin.backend} is no longer held.`, colour: 'yellow' },
      }));
      onAccepted?.();
    },
    (e: unknown) => {
      set((s) => ({ ...s, notice: { text: `Not accepted: ${e instanceof Error ? e.message : String(e)}`, colour: 'red' } }));
      onAccepted?.();
    },
  );
}
