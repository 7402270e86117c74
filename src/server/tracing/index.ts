import type { TracingConfig } from '../../core/config/schema.js';
import type { EventBus } from '../../core/events.js';
import { errorMessage } from '../../core/errors.js';
import { redactString } from '../../core/log/redact.js';
import type { SdkHandle } from './sdk.js';
import { exportTarget, tracingDecision } from './settings.js';
import type { PipelineTracing } from './spans.js';

export type { PipelineTracing } from './spans.js';

export interface GatewayTracingDeps {
  bus: EventBus;
  /** Puts the tracing steps into the pipeline, or takes them out (undefined). */
  install(tracing: PipelineTracing | undefined): void;
  version: string;
  /** stdout carries MCP (`serve --stdio`): an exporter that prints there would corrupt it. */
  stdoutIsProtocol?: boolean;
}

/**
 * Turns tracing on and off for one gateway, at start and on reload. The SDK and the span code are
 * imported only when tracing is on; a gateway that does not trace loads no OpenTelemetry module.
 * Tracing never takes the gateway down: a failure to start is a warning, and calls go on untraced.
 */
export class GatewayTracing {
  private handle?: SdkHandle;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: GatewayTracingDeps) {}

  get active(): boolean {
    return this.handle !== undefined;
  }

  /** Applies `gateway.tracing` with the process environment; resolves once spans flow (or stopped). */
  apply(config: TracingConfig | undefined, env: NodeJS.ProcessEnv = process.env): Promise<void> {
    const run = this.queue.then(() => this.applyNow(config, env));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(config: TracingConfig | undefined, env: NodeJS.ProcessEnv): Promise<void> {
    const decision = tracingDecision(config, env);
    const { bus } = this.deps;
    if (decision.on && this.deps.stdoutIsProtocol && /(^|,)\s*console\s*(,|$)/.test(env.OTEL_TRACES_EXPORTER ?? '')) {
      bus.emit('tracing.warning', { message: 'OTEL_TRACES_EXPORTER=console writes spans to stdout, which serve --stdio uses for MCP; tracing stays off. Use otlp with an endpoint instead.' });
      return this.stopNow('the console exporter cannot share stdout with serve --stdio');
    }
    if (!decision.on) return this.stopNow(decision.why);
    if (this.handle) return;
    try {
      const [{ startSdk }, { pipelineTracing }] = await Promise.all([import('./sdk.js'), import('./spans.js')]);
      const handle = await startSdk({ version: this.deps.version, onWarning: (message) => bus.emit('tracing.warning', { message }) });
      this.handle = handle;
      this.deps.install(pipelineTracing(handle.tracer));
      const { endpoint, protocol } = exportTarget(env);
      bus.emit('tracing.started', { why: decision.why, endpoint, protocol, sampler: env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on' });
    } catch (e) {
      bus.emit('tracing.warning', { message: `tracing could not start, calls go on untraced: ${redactString(errorMessage(e))}` });
    }
  }

  /** Takes the steps out first (new calls go untraced), then flushes and shuts the SDK down. */
  private async stopNow(why: string): Promise<void> {
    const handle = this.handle;
    if (!handle) return;
    this.handle = undefined;
    this.deps.install(undefined);
    await handle.shutdown();
    this.deps.bus.emit('tracing.stopped', { why });
  }

  /** At gateway stop, after the last calls: flushes the spans still buffered. */
  stop(): Promise<void> {
    const run = this.queue.then(() => this.stopNow('the gateway stopped'));
    this.queue = run.catch(() => undefined);
    return run;
  }
}
