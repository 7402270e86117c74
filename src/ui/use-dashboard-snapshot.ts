import { useSyncExternalStore } from 'react';
import type { DashboardSnapshot, SnapshotSource } from './store.js';

/** The current snapshot; re-renders only when the store publishes (throttled there). */
export function useDashboardSnapshot(store: SnapshotSource): DashboardSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);
}
