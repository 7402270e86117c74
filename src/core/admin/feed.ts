import type { EventSource } from '../log/logger.js';
import type { PlanView } from './approvals.js';
import type { PinChange } from './pins.js';

/** How an attached dashboard's link to its gateway is doing, for the header. */
export interface LinkState {
  state: 'connecting' | 'connected' | 'reconnecting' | 'stopped';
  /** The gateway's MCP endpoint. */
  url: string;
  /** Failed attempts since the last good connection. */
  attempt: number;
  /** When the next attempt is made, while reconnecting. */
  retryAt?: number;
  /** Why the last attempt or stream failed (never the token). */
  error?: string;
  since: number;
}

/** Approving and denying plans, as the dashboard's operator; refusals reject with the gateway's message. */
export interface ApprovalsPort {
  /** Recorded as the approver. */
  readonly operator: string;
  list(): Promise<PlanView[]>;
  decide(id: string, verdict: 'approve' | 'deny', reason?: string): Promise<PlanView>;
}

/** Tools withheld by pinning, and accepting one's change, as the dashboard's operator (`/admin/pins`). */
export interface PinsPort {
  /** Recorded as the one who accepted. */
  readonly operator: string;
  list(): Promise<PinChange[]>;
  accept(backend: string, tool: string): Promise<PinChange[]>;
}

/**
 * What the dashboard is fed by: gateway events (the bus in-process, or the admin event stream),
 * and optionally approvals through the admin API and the state of a remote link.
 */
export interface DashboardFeed extends EventSource {
  approvals?: ApprovalsPort;
  /** The catalog view's held tools and their diffs (tool pinning). */
  pins?: PinsPort;
  link?: { get(): LinkState; subscribe(listener: () => void): () => void };
  /** Called when the events that follow describe a different gateway process (it restarted). */
  onReset?(listener: () => void): () => void;
}
