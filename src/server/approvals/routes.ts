import type { IncomingMessage, ServerResponse } from 'node:http';
import { planView, type ApprovalDecisionRequest, type ApprovalDecisionResponse, type ApprovalShowResponse, type ApprovalsListResponse, type ApprovalsLogResponse } from '../../core/admin/approvals.js';
import type { PlanState } from '../../core/approvals/plan.js';
import { ApprovalError, type Approvals } from './service.js';
import { readJsonObject, sendJson as send } from '../admin-io.js';
import type { AdminCaller } from '../inbound/admin.js';

const STATES: ReadonlySet<string> = new Set(['pending', 'approved', 'denied', 'expired', 'executing', 'done', 'failed']);

/**
 * The approval routes of the admin API (under /admin/approvals), behind the admin API's own
 * loopback and token checks. Answers true when the path was one of them.
 */
export async function handleApprovalRoutes(approvals: Approvals, req: IncomingMessage, res: ServerResponse, path: string, url: URL, caller?: AdminCaller): Promise<boolean> {
  if (path !== '/admin/approvals' && !path.startsWith('/admin/approvals/') && path !== '/admin/approvals-log') return false;
  try {
    if (path === '/admin/approvals' && req.method === 'GET') {
      const state = url.searchParams.get('state') ?? undefined;
      if (state && !STATES.has(state)) return send(res, 400, { error: 'bad_state', message: `Unknown state "${state}"; use one of ${[...STATES].join(', ')}.` });
      const body: ApprovalsListResponse = { plans: (await approvals.list(state as PlanState | undefined)).map(planView) };
      return send(res, 200, body);
    }
    if (path === '/admin/approvals-log' && req.method === 'GET') {
      const since = url.searchParams.get('since') ?? undefined;
      const body: ApprovalsLogResponse = { records: await approvals.audit(since ? { since } : {}) };
      return send(res, 200, body);
    }
    const m = /^\/admin\/approvals\/([A-Za-z0-9_-]{1,64})(?:\/(approve|deny))?$/.exec(path);
    if (!m) return send(res, 404, { error: 'not_found' });
    const [, id, action] = m;
    if (!action && req.method === 'GET') {
      const plan = await approvals.get(id!);
      if (!plan) return send(res, 404, { error: 'plan_not_found', message: `No plan "${id}".`, hint: 'List plans with `gatehouse approvals list`.' });
      const body: ApprovalShowResponse = { plan: planView(plan), audit: await approvals.audit({ planId: id }) };
      return send(res, 200, body);
    }
    if (action && req.method === 'POST') {
      const input = await readJsonObject<ApprovalDecisionRequest>(req);
      // A remote caller (gateway.admin.remote) decides as who inbound auth says it is, whatever the body names.
      const approver = caller ? caller.identity.client : typeof input?.approver === 'string' ? input.approver.trim() : '';
      if (!input || !approver) {
        return send(res, 400, { error: 'bad_request', message: 'The body must be JSON {"approver": "<who>", "reason"?: "<why>"}.' });
      }
      const reason = typeof input.reason === 'string' && input.reason ? input.reason : undefined;
      const plan = await approvals.decide(id!, action === 'approve' ? 'approved' : 'denied', approver, reason, caller?.identity.subject);
      const body: ApprovalDecisionResponse = { plan: planView(plan) };
      return send(res, 200, body);
    }
    return send(res, 405, { error: 'method_not_allowed', message: `${req.method} is not allowed on ${path}.` });
  } catch (e) {
    if (e instanceof ApprovalError) {
      const status = e.kind === 'unknown' ? 404 : e.kind === 'self-approval' ? 403 : e.kind === 'store' ? 503 : 409;
      return send(res, status, { error: e.kind === 'unknown' ? 'plan_not_found' : e.kind.replace(/-/g, '_'), message: e.message });
    }
    return send(res, 500, { error: 'internal', message: e instanceof Error ? e.message : String(e) });
  }
}
