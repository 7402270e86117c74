import type { TracingConfig } from '../../core/config/schema.js';

/** Whether this gateway traces, and why (for the startup event and `tracing.warning`). */
export interface TracingDecision {
  on: boolean;
  why: string;
}

const truthy = (v: string | undefined) => v !== undefined && v.trim().toLowerCase() === 'true';
const set = (v: string | undefined) => v !== undefined && v.trim() !== '';

/**
 * Decides from `gateway.tracing` and the standard OTEL_* variables, without loading any of the SDK:
 * an idle gateway that does not trace never imports it. OTEL_SDK_DISABLED and an explicit
 * `enabled: false` win; otherwise an OTLP endpoint in the environment, or `enabled: true`, turns it on.
 */
export function tracingDecision(config: TracingConfig | undefined, env: NodeJS.ProcessEnv = process.env): TracingDecision {
  if (truthy(env.OTEL_SDK_DISABLED)) return { on: false, why: 'OTEL_SDK_DISABLED is true' };
  if (config?.enabled === false) return { on: false, why: 'gateway.tracing.enabled is false' };
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (exporters.length && exporters.every((e) => e === 'none')) return { on: false, why: 'OTEL_TRACES_EXPORTER is none' };
  if (config?.enabled === true) return { on: true, why: 'gateway.tracing.enabled is true' };
  if (set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)) return { on: true, why: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set' };
  if (set(env.OTEL_EXPORTER_OTLP_ENDPOINT)) return { on: true, why: 'OTEL_EXPORTER_OTLP_ENDPOINT is set' };
  return { on: false, why: 'no OTLP endpoint is set and gateway.tracing.enabled is not true' };
}

/** Where spans go, as the exporter will resolve it (for the startup event; never carries headers). */
export function exportTarget(env: NodeJS.ProcessEnv = process.env): { endpoint: string; protocol: string } {
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() || 'http/protobuf';
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const endpoint = traces || (base ? `${base.replace(/\/+$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces');
  return { endpoint: withoutCredentials(endpoint), protocol };
}

function withoutCredentials(u: string): string {
  try {
    const url = new URL(u);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.href;
  } catch {
    return u;
  }
}
