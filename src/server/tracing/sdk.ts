import { DiagLogLevel, context, diag, propagation, trace, type DiagLogger, type Tracer } from '@opentelemetry/api';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { redactString } from '../../core/log/redact.js';

/** One process, one SDK: the OpenTelemetry API registers its providers globally. */
interface Shared {
  sdk: NodeSDK;
  users: number;
  warnings: Set<(message: string) => void>;
}

let shared: Shared | undefined;
let stopping: Promise<void> = Promise.resolve();

export interface SdkHandle {
  tracer: Tracer;
  /** Flushes what is buffered and, for the last user in the process, shuts the SDK down. */
  shutdown(): Promise<void>;
}

/**
 * Starts the standard NodeSDK, configured by the OTEL_* variables (exporter and protocol, endpoint,
 * headers, sampler, service name and resource, batch sizes, propagators). Gatehouse exports traces
 * only: its metrics are Prometheus text at /metrics, so the SDK's metric and log pipelines stay off.
 * The SDK's diagnostics go to the gateway's event bus, never to stdout (which `serve --stdio` speaks MCP on).
 */
export async function startSdk(opts: { version: string; onWarning(message: string): void }): Promise<SdkHandle> {
  // A gateway stopping in this process finishes its shutdown before another starts the SDK again.
  await stopping;
  if (!shared) {
    const named = process.env.OTEL_SERVICE_NAME?.trim() || /(^|,)\s*service\.name\s*=/.test(process.env.OTEL_RESOURCE_ATTRIBUTES ?? '');
    const sdk = new NodeSDK({
      ...(named ? {} : { serviceName: 'gatehouse' }),
      instrumentations: [],
      metricReaders: [],
      logRecordProcessors: [],
    });
    const warnings = new Set<(message: string) => void>();
    diag.setLogger(busLogger(warnings), { logLevel: diagLevel(process.env.OTEL_LOG_LEVEL), suppressOverrideMessage: true });
    sdk.start();
    shared = { sdk, users: 0, warnings };
  }
  const s = shared;
  s.users++;
  s.warnings.add(opts.onWarning);
  let done = false;
  return {
    tracer: trace.getTracer('gatehouse', opts.version),
    async shutdown() {
      if (done) return;
      done = true;
      s.warnings.delete(opts.onWarning);
      if (--s.users > 0) return;
      shared = undefined;
      stopping = s.sdk
        .shutdown()
        .catch((e: unknown) => opts.onWarning(`could not flush spans on shutdown: ${redactString(String((e as Error)?.message ?? e))}`))
        .finally(() => {
          // Unregistered, so a gateway started later in this process can register its own.
          trace.disable();
          propagation.disable();
          context.disable();
          diag.disable();
        });
      await stopping;
    },
  };
}

function diagLevel(v: string | undefined): DiagLogLevel {
  switch (v?.trim().toUpperCase()) {
    case 'NONE':
      return DiagLogLevel.NONE;
    case 'ERROR':
      return DiagLogLevel.ERROR;
    case 'INFO':
      return DiagLogLevel.INFO;
    case 'DEBUG':
      return DiagLogLevel.DEBUG;
    case 'VERBOSE':
    case 'ALL':
      return DiagLogLevel.VERBOSE;
    default:
      return DiagLogLevel.WARN;
  }
}

/** Export failures and SDK complaints become `tracing.warning` events, redacted (OTLP headers can carry keys). */
function busLogger(sinks: Set<(message: string) => void>): DiagLogger {
  const send = (message: string, ...args: unknown[]) => {
    const detail = args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : safeJson(a))).join(' ');
    const text = redactString(`${message}${detail ? ` ${detail}` : ''}`).slice(0, 1_000);
    for (const sink of sinks) sink(text);
  };
  return { error: send, warn: send, info: send, debug: send, verbose: send };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
