import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Agent } from 'undici';
import type { BackendState } from '../../core/events.js';
import type { RestBackendConfig } from '../../core/config/schema.js';
import { errorMessage, isUserError } from '../../core/errors.js';
import { resolveRecord, resolveValue, type ResolveOptions } from '../../core/secrets/resolve.js';
import { loadRestTools } from '../../core/templates/rest-tools.js';
import { cfAccessHeaders } from '../../core/cfaccess/headers.js';
import { DEFAULT_MAX_RESPONSE_BYTES, executeRestTool, type RestRuntime } from '../rest/execute.js';
import { createRestDispatcher } from '../rest/http.js';
import { NetworkPolicy, ResolutionPins, type LookupFn } from '../rest/ssrf.js';
import { checkBaseUrlNetwork, type AddressWarning } from '../../core/backends/network.js';
import { compileRestTool, type CompiledRestTool } from '../rest/tools.js';
import { UpstreamListeners } from './listeners.js';
import { ErrorCodes, UpstreamError, type CallContext, type Upstream, type UpstreamCatalog, type UpstreamEvent, type UpstreamInfo } from './types.js';

export interface RestUpstreamDeps {
  /** Where `env:` and `secret:` references in headers and auth resolve. */
  resolve?: ResolveOptions;
  /** gateway.allowedNetworks; undefined means any address but link-local and metadata ones. */
  allowedNetworks?: string[];
  /** DNS resolution for the SSRF guard (tests inject answers). */
  lookup?: LookupFn;
  /** Folder for a relative toolsFile and tls.caFile: the config file's folder. Default cwd. */
  baseDir?: string;
  templatesDir?: string;
  /** Per-call timeout when neither the router nor the tool sets one. */
  defaultTimeoutMs?: number;
}

/** The factory the gateway calls for `type: rest` backends. */
export function createRestUpstream(name: string, config: RestBackendConfig, deps: RestUpstreamDeps = {}): RestUpstream {
  return new RestUpstream(name, config, deps);
}

const EMPTY: UpstreamCatalog = { tools: [], resources: [], resourceTemplates: [], prompts: [] };

/**
 * A REST API served as MCP tools. Nothing is probed at start: the tools are defined by config, so the
 * backend is ready once its tools compile and its secrets resolve. A call that cannot reach the
 * service marks it degraded (with the reason) until a call gets through again.
 */
export class RestUpstream implements Upstream {
  readonly name: string;
  readonly config: RestBackendConfig;
  private readonly deps: RestUpstreamDeps;
  private _state: BackendState = 'stopped';
  private _lastError?: string;
  private tools = new Map<string, CompiledRestTool>();
  private _catalog: UpstreamCatalog = EMPTY;
  private runtime?: RestRuntime;
  private dispatcher?: Agent;
  private ca?: string;
  private readonly events = new UpstreamListeners();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly policy: NetworkPolicy | undefined;
  private policyError?: string;
  /** Lives as long as the upstream, so a stop/start or CA change cannot reset rebinding detection. */
  private readonly pins = new ResolutionPins();
  private _warnings: AddressWarning[] = [];
  private networkCheck: Promise<void> = Promise.resolve();
  /** Tools left out because their schemas do not compile; keeps the backend degraded. */
  private broken: string[] = [];

  constructor(name: string, config: RestBackendConfig, deps: RestUpstreamDeps = {}) {
    this.name = name;
    this.config = config;
    this.deps = deps;
    try {
      this.policy = new NetworkPolicy(deps.allowedNetworks);
    } catch (e) {
      this.policyError = `gateway.allowedNetworks: ${errorMessage(e)}`;
    }
  }

  get state(): BackendState {
    return this._state;
  }
  get lastError(): string | undefined {
    return this._lastError;
  }
  get info(): UpstreamInfo {
    let host = this.config.baseUrl;
    try {
      host = new URL(this.config.baseUrl).host;
    } catch {
      // schema-validated; keep the raw text otherwise
    }
    return { serverName: `rest:${host}`, ...(this.config.template ? { serverVersion: `template ${this.config.template}` } : {}) };
  }

  /**
   * What the network guard would refuse about this backend's address, found at start and refresh
   * without waiting for a call (for /readyz and the dashboard). Empty when calls can get through.
   */
  get warnings(): readonly AddressWarning[] {
    return this._warnings;
  }

  /** The warnings once the check started by the last start or refresh has finished. */
  async networkWarnings(): Promise<readonly AddressWarning[]> {
    await this.networkCheck;
    return this._warnings;
  }

  catalog(): UpstreamCatalog {
    return this._catalog;
  }

  on(listener: (e: UpstreamEvent) => void): () => void {
    return this.events.on(listener);
  }

  private emit(e: UpstreamEvent): void {
    this.events.emit(e);
  }

  private setState(state: BackendState, reason?: string): void {
    if (this._state === state && this._lastError === reason) return;
    this._state = state;
    this._lastError = reason;
    this.emit({ type: 'state', state, ...(reason ? { reason } : {}) });
  }

  async start(): Promise<void> {
    if (this.config.disabled) {
      this.setState('disabled');
      return;
    }
    this.setState('starting');
    await this.load();
  }

  /** Loads tools and secrets; on failure the backend is failed (no tools) with the reason. */
  private async load(): Promise<void> {
    const before = JSON.stringify(this._catalog.tools);
    try {
      if (this.policyError || !this.policy) throw new Error(this.policyError);
      const sourced = loadRestTools(this.config, { baseDir: this.deps.baseDir, templatesDir: this.deps.templatesDir });
      const compiled = new Map<string, CompiledRestTool>();
      const broken: string[] = [];
      for (const { tool } of sourced) {
        try {
          compiled.set(tool.name, compileRestTool(tool));
        } catch (e) {
          broken.push(`tool "${tool.name}" has an invalid schema: ${errorMessage(e)}`);
        }
      }
      const { headers, authHeaders } = await this.resolveHeaders();
      const ca = this.config.tls?.caFile ? await readFile(this.resolvePath(this.config.tls.caFile), 'utf8') : undefined;
      // A refresh keeps the warm pool unless the trusted CA changed (a rotated cluster CA file).
      if (!this.dispatcher || ca !== this.ca) {
        const old = this.dispatcher;
        this.dispatcher = createRestDispatcher({ policy: this.policy, lookup: this.deps.lookup, pins: this.pins, ca, insecureSkipVerify: this.config.tls?.insecureSkipVerify });
        this.ca = ca;
        if (old) void old.close().catch(() => {});
      }
      this.runtime = {
        backend: this.name,
        baseUrl: new URL(this.config.baseUrl),
        dispatcher: this.dispatcher,
        headers,
        authHeaders,
        maxResponseBytes: this.config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      };
      this.tools = compiled;
      this.broken = broken;
      this._catalog = { ...EMPTY, tools: [...compiled.values()].map((t) => t.listing) };
      this.settle();
      this.networkCheck = this.checkNetwork();
    } catch (e) {
      this.tools = new Map();
      this._catalog = EMPTY;
      const hint = isUserError(e) && e.hint ? ` ${e.hint}` : '';
      this.setState('failed', `${errorMessage(e)}${hint}`);
    }
    if (JSON.stringify(this._catalog.tools) !== before) this.emit({ type: 'list_changed', kind: 'tools' });
  }

  private async checkNetwork(): Promise<void> {
    try {
      const found = await checkBaseUrlNetwork(this.name, this.config.baseUrl, { allowedNetworks: this.deps.allowedNetworks, lookup: this.deps.lookup });
      // A name that does not resolve is reported by the first call; only refusals the guard will make are warnings here.
      this._warnings = found.filter((w) => w.address !== undefined);
    } catch {
      this._warnings = [];
    }
  }

  private resolvePath(p: string): string {
    return isAbsolute(p) ? p : resolve(this.deps.baseDir ?? process.cwd(), p);
  }

  private async resolveHeaders(): Promise<{ headers: Record<string, string>; authHeaders: Record<string, string> }> {
    const opts = this.deps.resolve ?? {};
    const headers = lower(await resolveRecord(this.config.headers, opts));
    const authHeaders: Record<string, string> = {};
    const a = this.config.auth;
    if (a?.type === 'bearer') authHeaders.authorization = `Bearer ${await resolveValue(a.token, opts)}`;
    else if (a?.type === 'header') authHeaders[a.name.toLowerCase()] = await resolveValue(a.value, opts);
    else if (a?.type === 'cf-access') {
      if (a.token) Object.assign(authHeaders, lower(await cfAccessHeaders(a.token, opts.store, opts.env)));
      else if (a.clientId && a.clientSecret) {
        authHeaders['cf-access-client-id'] = await resolveValue(a.clientId, opts);
        authHeaders['cf-access-client-secret'] = await resolveValue(a.clientSecret, opts);
      }
    }
    // The same token names as http backends; it rides along with any other auth (Access sits in front).
    if (this.config.cfAccessToken) Object.assign(authHeaders, lower(await cfAccessHeaders(this.config.cfAccessToken, opts.store, opts.env)));
    for (const [k, v] of Object.entries({ ...headers, ...authHeaders })) {
      if (/[\r\n\0]/.test(v)) throw new Error(`the value of header ${k} contains CR, LF or NUL; check the secret it comes from`);
    }
    return { headers, authHeaders };
  }

  async refresh(): Promise<void> {
    if (this._state === 'stopped' || this._state === 'disabled') return;
    await this.load();
  }

  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    const drainMs = opts.drainMs ?? 5_000;
    if (this.inFlight.size && drainMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (timer = setTimeout(r, drainMs)))]);
      clearTimeout(timer);
    }
    const d = this.dispatcher;
    this.dispatcher = undefined;
    this.ca = undefined;
    this.runtime = undefined;
    this.tools = new Map();
    this._catalog = EMPTY;
    if (d) await d.destroy().catch(() => {});
    this.setState('stopped');
  }

  async request(method: string, params: Record<string, unknown>, ctx: CallContext): Promise<Record<string, unknown>> {
    switch (method) {
      case 'ping':
        return {};
      case 'tools/list':
        return { tools: this._catalog.tools };
      case 'resources/list':
        return { resources: [] };
      case 'resources/templates/list':
        return { resourceTemplates: [] };
      case 'prompts/list':
        return { prompts: [] };
      case 'tools/call':
        break;
      default:
        throw new UpstreamError(`Backend "${this.name}" is a REST backend and serves only tools (${method} is not supported).`, ErrorCodes.MethodNotFound, this.name);
    }
    const rt = this.runtime;
    if (!rt || (this._state !== 'ready' && this._state !== 'degraded')) {
      throw new UpstreamError(`Backend "${this.name}" is ${this._state}${this._lastError ? `: ${this._lastError}` : ''}.`, ErrorCodes.BackendUnavailable, this.name);
    }
    const name = params.name;
    const tool = typeof name === 'string' ? this.tools.get(name) : undefined;
    if (!tool) {
      throw new UpstreamError(`Backend "${this.name}" has no tool "${String(name)}".`, ErrorCodes.InvalidParams, this.name, {
        tools: [...this.tools.keys()],
      });
    }
    const toolTimeout = this.config.toolTimeouts?.[tool.config.name] ? undefined : tool.config.timeout;
    const timeoutMs = toolTimeout ? toolTimeout * 1000 : ctx.timeoutMs || this.deps.defaultTimeoutMs || 60_000;
    const run = executeRestTool(rt, tool, params.arguments, { signal: ctx.signal, timeoutMs, ...(ctx.trace ? { traceHeaders: ctx.trace } : {}) });
    this.inFlight.add(run);
    try {
      const outcome = await run;
      if (outcome.unreachable) this.setState('degraded', outcome.unreachable);
      else if (this._state === 'degraded') this.settle();
      return outcome.result;
    } finally {
      this.inFlight.delete(run);
    }
  }

  private settle(): void {
    if (this.broken.length) this.setState('degraded', this.broken.join('; '));
    else this.setState('ready');
  }
}

function lower(r: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) out[k.toLowerCase()] = v;
  return out;
}
