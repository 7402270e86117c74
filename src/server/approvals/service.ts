import { randomBytes } from 'node:crypto';
import { join, resolve as resolvePath } from 'node:path';
import type { BackendConfig, GatewayApprovalsConfig } from '../../core/config/schema.js';
import type { EventBus } from '../../core/events.js';
import type { Identity } from '../../core/identity.js';
import { guardVerdict, guardedNote, type GuardVerdict } from '../../core/approvals/policy.js';
import { isSelfApproval, planDigest, planSummary, type Plan, type PlanState } from '../../core/approvals/plan.js';
import { constrainedSchema, constraintSchema } from '../../core/approvals/constraints.js';
import { effectiveConstraints } from '../../core/approvals/effective.js';
import { toolPolicies, type ToolPolicy } from '../../core/approvals/visibility.js';
import type { Upstream, UpstreamTool } from '../upstream/types.js';
import type { AuditRecord, PlanStore } from './store.js';
import { ApprovalKeys } from './seal.js';
import type { SecretStore } from '../../core/secrets/resolve.js';
import { isStoreReference } from './open-store.js';

/** The gateway tool an agent applies an approved plan with; listed when any guarded tool exists. */
export const APPLY_TOOL = 'gatehouse_apply_plan';
export const DEFAULT_TTL_SECONDS = 3600;

/** A refusal the approval step turns into a client error, and the admin routes into an HTTP status. */
export class ApprovalError extends Error {
  constructor(
    readonly kind: 'unknown' | 'not-pending' | 'self-approval' | 'not-approved' | 'denied' | 'expired' | 'digest' | 'busy' | 'failed' | 'backend-down' | 'constraint' | 'store',
    message: string,
  ) {
    super(message);
    this.name = 'ApprovalError';
  }
}

export interface ApprovalsOptions {
  config?: GatewayApprovalsConfig;
  /** The SQLite file (or ':memory:'); opened on first use. */
  storeFile: string;
  now?: () => Date;
  /** Where each plan transition is announced (dashboard, logs); the audit is the store's, not this. */
  bus?: EventBus;
  /** Builds the store (tests); otherwise `storeFile` picks SQLite or PostgreSQL (open-store.ts). */
  openStore?: (file: string) => Promise<PlanStore>;
  /** The shared secret the requestState and CSRF keys derive from (gateway.cluster.secret); random per process without it. */
  secret?: () => Promise<string | undefined>;
  /** The gateway's own origin (http://127.0.0.1:7420), for approval page links when approvals.publicUrl is not set. */
  origin?: () => string | undefined;
  /** Resolves a secret: reference in `approvals.store`. */
  secrets?: SecretStore;
  /** Folder a relative file: reference in `approvals.store` is read from. */
  baseDir?: string;
}

/** Where plans live: PostgreSQL (a URL or a reference to one), the configured SQLite path (relative to the config), else the state dir, else memory. */
export function storeLocation(store: string | undefined, stateDir: string | undefined, baseDir: string | undefined): string {
  if (store) return isStoreReference(store) ? store : resolvePath(baseDir ?? process.cwd(), store);
  return stateDir ? join(stateDir, 'approvals.db') : ':memory:';
}

type Validate = ((args: unknown) => boolean) & { errors?: unknown };

/**
 * Guarded writes: which calls need a plan, the plans themselves, their approval and their
 * exactly-once execution. The store opens lazily, so a gateway that guards nothing loads no SQLite.
 */
export class Approvals {
  private store?: Promise<PlanStore>;
  private readonly applying = new Map<string, Promise<Record<string, unknown>>>();
  private readonly views = new WeakMap<readonly UpstreamTool[], UpstreamTool[]>();
  private readonly validators = new WeakMap<BackendConfig, Map<string, Validate | null>>();
  private readonly verdicts = new WeakMap<readonly UpstreamTool[], Map<string, GuardVerdict>>();
  private readonly now: () => Date;
  private keyring?: Promise<ApprovalKeys>;

  constructor(private readonly opts: ApprovalsOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** A reload's gateway.approvals: ttl, self-approval, the page settings apply to what comes next (the store needs a restart). */
  configure(config: GatewayApprovalsConfig | undefined): void {
    this.opts.config = config;
  }

  get config(): GatewayApprovalsConfig {
    return this.opts.config ?? {};
  }

  /** The keys that seal requestState and sign the page's CSRF tokens (derived once). */
  keys(): Promise<ApprovalKeys> {
    this.keyring ??= (async () => new ApprovalKeys(await this.opts.secret?.()))();
    return this.keyring;
  }

  /** Where a person approves a plan in a browser: approvals.publicUrl, else the gateway's own origin. */
  pageUrl(id: string): string | undefined {
    const base = this.opts.config?.publicUrl ?? this.opts.origin?.();
    return base ? `${base.replace(/\/+$/, '')}/approvals/${encodeURIComponent(id)}` : undefined;
  }

  get ttlSeconds(): number {
    return this.opts.config?.ttl ?? DEFAULT_TTL_SECONDS;
  }

  private open(): Promise<PlanStore> {
    this.store ??= (async () => {
      if (this.opts.openStore) return this.opts.openStore(this.opts.storeFile);
      const { openPlanStore } = await import('./open-store.js');
      try {
        return await openPlanStore(this.opts.storeFile, { secrets: this.opts.secrets, baseDir: this.opts.baseDir, now: this.now() });
      } catch (e) {
        // Not cached: a database that comes back later is used by the next call.
        this.store = undefined;
        const hint = (e as { hint?: string }).hint;
        throw new ApprovalError('store', `${e instanceof Error ? e.message : String(e)}${hint ? ` ${hint}` : ''}`);
      }
    })();
    return this.store;
  }

  /** Memoised per backend tool list (a relist or reload brings a new list, and new verdicts). */
  verdict(upstream: Upstream, nativeTool: string): GuardVerdict {
    const tools = upstream.catalog().tools;
    let byName = this.verdicts.get(tools);
    if (!byName) this.verdicts.set(tools, (byName = new Map()));
    let v = byName.get(nativeTool);
    if (!v) {
      const tool = tools.find((t) => t.name === nativeTool);
      v = guardVerdict(upstream.config, { name: nativeTool, annotations: tool?.annotations });
      byName.set(nativeTool, v);
    }
    return v;
  }

  /**
   * The tools as agents see them: guarded ones say so (and lose their outputSchema, since the first
   * answer is a plan, not the tool's output), constrained arguments carry their fragments, and the
   * apply tool is added when anything is guarded. Memoised per catalog snapshot.
   */
  readonly toolView = (tools: readonly UpstreamTool[], route: (exposed: string) => { upstream: Upstream; original: string } | undefined): UpstreamTool[] => {
    const cached = this.views.get(tools);
    if (cached) return cached;
    let guarded = 0;
    const out = tools.map((t) => {
      const r = route(t.name);
      if (!r) return t;
      const c = effectiveConstraints(r.upstream.config)?.[r.original];
      const v = guardVerdict(r.upstream.config, { name: r.original, annotations: t.annotations });
      if (!v.guarded && !c) return t;
      const view: UpstreamTool = { ...t };
      if (c) view.inputSchema = constrainedSchema(t.inputSchema, c) as UpstreamTool['inputSchema'];
      if (v.guarded) {
        guarded++;
        view.description = `${t.description ? `${t.description} ` : ''}${guardedNote(APPLY_TOOL)}`;
        delete view.outputSchema;
      }
      return view;
    });
    if (guarded > 0) out.push(applyToolListing());
    this.views.set(tools, out);
    return out;
  };

  /** Each listed tool's policy, for the admin status and the dashboard. */
  policy(upstream: Upstream): ToolPolicy[] {
    return toolPolicies(upstream.config, upstream.catalog().tools);
  }

  /** Checks a call's arguments against the tool's constraints; undefined when they pass. */
  async violations(upstream: Upstream, nativeTool: string, args: Record<string, unknown>): Promise<string | undefined> {
    const fragments = effectiveConstraints(upstream.config)?.[nativeTool];
    if (!fragments) return undefined;
    let perTool = this.validators.get(upstream.config);
    if (!perTool) this.validators.set(upstream.config, (perTool = new Map()));
    let validate = perTool.get(nativeTool);
    if (validate === undefined) {
      const { compileSchema } = await import('../rest/validate.js');
      validate = compileSchema(constraintSchema(fragments)) as unknown as Validate;
      perTool.set(nativeTool, validate);
    }
    if (!validate || validate(structuredClone(args))) return undefined;
    const { violationsFrom } = await import('../rest/validate.js');
    return violationsFrom(validate.errors as never)
      .map((v) => `${v.argument}: ${v.message}`)
      .join('; ');
  }

  async createPlan(input: { backend: string; tool: string; exposedName: string; arguments: Record<string, unknown>; identity?: Identity }): Promise<Plan> {
    const created = this.now();
    const plan: Plan = {
      id: `plan_${randomBytes(12).toString('base64url')}`,
      backend: input.backend,
      tool: input.tool,
      exposedName: input.exposedName,
      arguments: input.arguments,
      digest: planDigest(input.backend, input.tool, input.arguments),
      requester: { client: input.identity?.client ?? 'client', ...(input.identity?.subject ? { subject: input.identity.subject } : {}), via: input.identity?.via ?? 'none' },
      createdAt: created.toISOString(),
      expiresAt: new Date(created.getTime() + this.ttlSeconds * 1000).toISOString(),
      state: 'pending',
    };
    await (await this.open()).create(plan);
    this.announce(plan, plan.requester.subject ?? plan.requester.client);
    return plan;
  }

  async get(id: string): Promise<Plan | undefined> {
    return (await this.open()).get(id);
  }

  async list(state?: PlanState): Promise<Plan[]> {
    return (await this.open()).list(state ? { state } : {});
  }

  /** Plans by state, or undefined while the store is not open: a metrics scrape never opens it. */
  async stateCounts(): Promise<Record<string, number> | undefined> {
    if (!this.store) return undefined;
    const store = await this.store;
    if (store.countByState) return store.countByState();
    const counts: Record<string, number> = {};
    for (const p of await store.list()) counts[p.state] = (counts[p.state] ?? 0) + 1;
    return counts;
  }

  async audit(filter: { planId?: string; since?: string } = {}): Promise<AuditRecord[]> {
    return (await this.open()).audit(filter);
  }

  /** `approverSubject`: the approver's authenticated subject (the web page), compared with the requester too. */
  async decide(id: string, verdict: 'approved' | 'denied', approver: string, reason?: string, approverSubject?: string): Promise<Plan> {
    const store = await this.open();
    const plan = await store.get(id);
    if (!plan) throw new ApprovalError('unknown', `No plan "${id}". List plans with \`gatehouse approvals list\`.`);
    const self = isSelfApproval(plan.requester, approver) || (approverSubject !== undefined && isSelfApproval(plan.requester, approverSubject));
    if (verdict === 'approved' && !this.opts.config?.allowSelfApproval && self) {
      throw new ApprovalError('self-approval', `"${approver}" asked for plan ${id} and cannot approve it; another person must (or set gateway.approvals.allowSelfApproval).`);
    }
    const r = await store.decide(id, verdict, approver, reason, this.now());
    if (r.plan?.state === 'expired') this.announce(r.plan, 'gateway');
    if (r.ok) this.announce(r.plan, approver);
    if (!r.ok) throw new ApprovalError('not-pending', `Plan ${id} is ${r.plan?.state ?? 'gone'}, not pending; only a pending plan can be ${verdict}.`);
    return r.plan!;
  }

  /**
   * Executes an approved plan exactly once. Concurrent applies in this process share the one
   * execution; the store's conditional transition stops other processes. A plan already applied
   * returns its stored result without calling the backend again.
   */
  apply(id: string, run: (plan: Plan) => Promise<Record<string, unknown>>, ready: (plan: Plan) => boolean): Promise<Record<string, unknown>> {
    const inFlight = this.applying.get(id);
    if (inFlight) return inFlight;
    const p = this.applyOnce(id, run, ready).finally(() => this.applying.delete(id));
    this.applying.set(id, p);
    return p;
  }

  private async applyOnce(id: string, run: (plan: Plan) => Promise<Record<string, unknown>>, ready: (plan: Plan) => boolean): Promise<Record<string, unknown>> {
    const store = await this.open();
    const current = await store.get(id);
    if (current && current.state === 'approved' && !ready(current)) {
      throw new ApprovalError('backend-down', `Backend "${current.backend}" is not ready; plan ${id} stays approved. Apply it again when the backend is back.`);
    }
    const claim = await store.claim(id, this.now(), (p) => planDigest(p.backend, p.tool, p.arguments));
    if (claim.claimed || claim.why === 'expired' || claim.why === 'digest') this.announce(claim.plan, 'gateway');
    if (!claim.claimed) {
      // Applying again answers with the first outcome and never calls the backend a second time.
      if (claim.why === 'state' && claim.plan?.state === 'done') return claim.plan.outcome as Record<string, unknown>;
      throw refusal(id, claim.why, claim.plan);
    }
    let result: Record<string, unknown>;
    try {
      result = await run(claim.plan);
    } catch (e) {
      await store.finish(id, 'failed', { error: e instanceof Error ? e.message : String(e) }, this.now());
      this.announce(claim.plan, 'gateway', 'failed');
      throw e;
    }
    await store.finish(id, 'done', result, this.now());
    this.announce(claim.plan, 'gateway', 'done');
    return result;
  }

  private announce(plan: Plan | undefined, actor: string, state: string = plan?.state ?? ''): void {
    if (!plan || !this.opts.bus) return;
    this.opts.bus.emit('approval.changed', { planId: plan.id, state, backend: plan.backend, tool: plan.tool, digest: plan.digest, actor, summary: planSummary(plan) });
  }

  async close(): Promise<void> {
    const s = this.store;
    this.store = undefined;
    if (s) await (await s).close();
  }
}

function refusal(id: string, why: 'unknown' | 'state' | 'expired' | 'digest', plan: Plan | undefined): Error {
  if (why === 'unknown' || !plan) return new ApprovalError('unknown', `No plan "${id}". A guarded call returns the plan id to apply.`);
  if (why === 'expired') return new ApprovalError('expired', `Plan ${id} expired at ${plan.expiresAt} and was not applied. Call the tool again for a new plan.`);
  if (why === 'digest') return new ApprovalError('digest', `Plan ${id} was changed after approval (its digest no longer matches); it was not applied and never will be.`);
  switch (plan.state) {
    case 'failed':
      return new ApprovalError('failed', `Plan ${id} was applied once and failed: ${(plan.outcome as { error?: string } | undefined)?.error ?? 'unknown error'}. It is not retried; call the tool again for a new plan.`);
    case 'pending':
      return new ApprovalError('not-approved', `Plan ${id} is waiting for approval. A person approves it with \`gatehouse approvals approve ${id}\`; then apply it again.`);
    case 'denied':
      return new ApprovalError('denied', `Plan ${id} was denied by ${plan.decidedBy ?? 'an approver'}${plan.reason ? `: ${plan.reason}` : ''}. It cannot be applied.`);
    case 'executing':
      return new ApprovalError('busy', `Plan ${id} is being applied right now (by another gateway). Apply it again in a moment for its result.`);
    default:
      return new ApprovalError('not-approved', `Plan ${id} is ${plan.state}; it cannot be applied.`);
  }
}

function applyToolListing(): UpstreamTool {
  return {
    name: APPLY_TOOL,
    description:
      'Applies a plan that a person approved out of band: the gateway sends exactly the approved call, once, and returns the backend result. Applying again returns the same result. Pending, denied, expired or unknown plans are refused.',
    inputSchema: { type: 'object', properties: { planId: { type: 'string', description: 'The plan id a guarded call returned.' } }, required: ['planId'], additionalProperties: false },
    annotations: { title: 'Apply an approved plan', readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: true },
  };
}
