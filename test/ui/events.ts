import { EventBus, type GatewayEvents } from '../../src/core/events.js';

/** Small builders so tests read as a story of what the gateway did. */
export function gateway(bus: EventBus) {
  let n = 0;
  return {
    listening(url = 'http://127.0.0.1:7420/mcp') {
      bus.emit('gateway.listening', { url, host: '127.0.0.1', port: 7420, transports: ['streamable-http', 'sse'] });
    },
    backend(backend: string, state: GatewayEvents['backend.state']['state'], extra: Partial<GatewayEvents['backend.state']> = {}) {
      bus.emit('backend.state', { backend, state, ...extra });
    },
    start(name: string, backend = 'everything', extra: Partial<GatewayEvents['call.started']> = {}): string {
      const callId = extra.callId ?? `c${++n}`;
      bus.emit('call.started', { callId, client: 'claude-code', method: 'tools/call', name, backend, requestBytes: 120, ...extra });
      return callId;
    },
    finish(callId: string, name: string, backend = 'everything', extra: Partial<GatewayEvents['call.finished']> = {}) {
      bus.emit('call.finished', { callId, client: 'claude-code', method: 'tools/call', name, backend, durationMs: 12, outcome: 'ok', responseBytes: 3500, ...extra });
    },
    call(name: string, backend = 'everything', extra: Partial<GatewayEvents['call.finished']> = {}) {
      const id = this.start(name, backend);
      this.finish(id, name, backend, extra);
      return id;
    },
  };
}

export { EventBus };
