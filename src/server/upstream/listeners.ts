import type { UpstreamEvent } from './types.js';

/** The listener set every upstream kind keeps; a listener's bug never breaks the backend. */
export class UpstreamListeners {
  private readonly listeners = new Set<(e: UpstreamEvent) => void>();

  on(listener: (e: UpstreamEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: UpstreamEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // the gateway's listeners must not break the connection
      }
    }
  }
}
