import { approvalsView } from './approvals-view.js';
import { backendsView } from './backends-view.js';
import { callsView } from './calls-view.js';
import { catalogView } from './catalog-view.js';
import { errorsView } from './errors-view.js';
import type { AnyListSpec } from './list-spec.js';
import { sessionsView } from './sessions-view.js';

export type ListViewName = 'backends' | 'catalog' | 'calls' | 'sessions' | 'errors' | 'approvals';
export type ViewName = 'overview' | ListViewName;

/** In tab order; the digit is the view's key. */
export const VIEWS: ReadonlyArray<{ name: ViewName; label: string; key: string }> = [
  { name: 'overview', label: 'Overview', key: '1' },
  { name: 'backends', label: 'Backends', key: '2' },
  { name: 'catalog', label: 'Catalog', key: '3' },
  { name: 'calls', label: 'Calls', key: '4' },
  { name: 'sessions', label: 'Sessions', key: '5' },
  { name: 'errors', label: 'Errors', key: '6' },
  { name: 'approvals', label: 'Approvals', key: '7' },
];

export const LIST_SPECS: Record<ListViewName, AnyListSpec> = {
  backends: backendsView,
  catalog: catalogView,
  calls: callsView,
  sessions: sessionsView,
  errors: errorsView,
  approvals: approvalsView,
};
