import type { AdminCallTally } from '../core/admin/contract.js';
import type { EventBus } from '../core/events.js';
import { redactString } from '../core/log/redact.js';

/**
 * Counts finished calls by outcome for `/admin/status` (and so `gatehouse status`), and keeps the
 * last failure. Fixed-size state: counters and one record, whatever the traffic.
 */
export class CallTally {
  private total = 0;
  private readonly outcomes: AdminCallTally['outcomes'] = { ok: 0, 'tool-error': 0, error: 0, timeout: 0, cancelled: 0 };
  private lastFailure?: AdminCallTally['lastFailure'];
  private readonly off: () => void;

  constructor(bus: EventBus) {
    this.off = bus.on('call.finished', (e) => {
      this.total++;
      this.outcomes[e.outcome]++;
      if (e.outcome !== 'ok' && e.outcome !== 'cancelled') {
        this.lastFailure = {
          at: new Date(e.at).toISOString(),
          method: e.method,
          ...(e.name ? { name: e.name } : {}),
          ...(e.backend ? { backend: e.backend } : {}),
          outcome: e.outcome,
          ...(e.error ? { error: redactString(e.error).slice(0, 500) } : {}),
        };
      }
    });
  }

  snapshot(): AdminCallTally {
    const failed = this.outcomes['tool-error'] + this.outcomes.error + this.outcomes.timeout;
    return { total: this.total, failed, outcomes: { ...this.outcomes }, ...(this.lastFailure ? { lastFailure: { ...this.lastFailure } } : {}) };
  }

  dispose(): void {
    this.off();
  }
}
