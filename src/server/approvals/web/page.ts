import { createHash } from 'node:crypto';
import type { AuditView, PlanView } from '../../../core/admin/approvals.js';

/**
 * The approval page's HTML: plain markup, one inline style block allowed by its hash, no script,
 * no external asset. Every value is escaped; plan arguments arrive already redacted (planView).
 */

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:52rem;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}th,td{text-align:left;vertical-align:top;padding:.3rem .6rem;border-bottom:1px solid #ddd}
th{width:11rem;font-weight:600}pre{background:#f4f4f4;padding:.6rem;overflow:auto;white-space:pre-wrap;word-break:break-all}
code{word-break:break-all}.state{font-weight:700}.note{background:#fff6d6;padding:.6rem;border-left:4px solid #d9a400}
.error{background:#fde2e2;padding:.6rem;border-left:4px solid #c62828}form{margin-top:1rem}textarea{width:100%;min-height:3rem}
button{font-size:1rem;padding:.4rem 1.2rem;margin-right:.6rem}`;

const STYLE_HASH = createHash('sha256').update(STYLE, 'utf8').digest('base64');

/** Strict: nothing loads, nothing runs, forms post only here, and no one may frame the page. */
export const PAGE_HEADERS: Record<string, string> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  // Not no-referrer: under it a browser sends `Origin: null` with the page's own form posts.
  'Referrer-Policy': 'same-origin',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)} · Gatehouse</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** A page that only says something (refusals, errors). */
export function messagePage(title: string, text: string, kind: 'error' | 'note' = 'error'): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p class="${kind}" id="message">${escapeHtml(text)}</p><p><a href="/approvals">All plans</a></p>`);
}

export interface PlanPageOptions {
  viewer: string;
  /** The decision form, when this viewer may decide this plan now. */
  form?: { csrf: string };
  /** Why there is no form (read-only page, or a plan that is no longer pending). */
  readOnly?: string;
  /** The outcome of the last POST, shown above the plan. */
  flash?: { kind: 'error' | 'note'; text: string };
}

function row(label: string, value: string, id?: string): string {
  return `<tr><th>${escapeHtml(label)}</th><td${id ? ` id="${id}"` : ''}>${value}</td></tr>`;
}

export function planPage(plan: PlanView, audit: AuditView[], o: PlanPageOptions): string {
  const who = plan.requestedBy;
  const asked = `${escapeHtml(who.client)}${who.subject && who.subject !== who.client ? ` (${escapeHtml(who.subject)})` : ''} via ${escapeHtml(who.via)}`;
  const rows = [
    row('State', `<span class="state">${escapeHtml(plan.state)}</span>`, 'state'),
    row('Backend', escapeHtml(plan.backend), 'backend'),
    row('Tool', `${escapeHtml(plan.tool)}${plan.exposedName !== plan.tool ? ` (called as ${escapeHtml(plan.exposedName)})` : ''}`, 'tool'),
    row('Arguments', `<pre id="arguments">${escapeHtml(JSON.stringify(plan.arguments, null, 2))}</pre>`),
    row('Digest', `<code>${escapeHtml(plan.digest)}</code>`, 'digest'),
    row('Asked by', asked, 'requester'),
    row('Asked at', escapeHtml(plan.createdAt), 'created'),
    row('Expires', escapeHtml(plan.expiresAt), 'expires'),
    ...(plan.decidedBy ? [row('Decided by', `${escapeHtml(plan.decidedBy)}${plan.decidedAt ? ` at ${escapeHtml(plan.decidedAt)}` : ''}`, 'decided')] : []),
    ...(plan.reason ? [row('Reason', escapeHtml(plan.reason), 'reason')] : []),
  ];
  const flash = o.flash ? `<p class="${o.flash.kind}" id="message">${escapeHtml(o.flash.text)}</p>` : '';
  const action = `/approvals/${encodeURIComponent(plan.id)}`;
  const form = o.form
    ? `<form method="post" action="${action}/approve"><input type="hidden" name="csrf" value="${escapeHtml(o.form.csrf)}"><label for="reason">Reason (optional)</label><textarea id="reason" name="reason" maxlength="500"></textarea><p><button type="submit" id="approve">Approve exactly this call</button><button type="submit" id="deny" formaction="${action}/deny">Deny</button></p></form>`
    : `<p class="note" id="read-only">${escapeHtml(o.readOnly ?? 'This plan cannot be decided here.')}</p>`;
  const history = audit.length
    ? `<h2>History</h2><table id="history">${audit.map((a) => `<tr><td>${escapeHtml(a.at)}</td><td>${escapeHtml(a.event)}</td><td>${escapeHtml(a.actor)}</td></tr>`).join('')}</table>`
    : '';
  return layout(`Plan ${plan.id}`, `<h1>Plan <code>${escapeHtml(plan.id)}</code></h1><p>Signed in as <span id="viewer">${escapeHtml(o.viewer)}</span>.</p>${flash}<p>${escapeHtml(plan.summary)}</p><table>${rows.join('')}</table>${form}${history}<p><a href="/approvals">All plans</a></p>`);
}

export function listPage(plans: PlanView[], viewer: string): string {
  const order = (s: string) => (s === 'pending' ? 0 : s === 'approved' ? 1 : 2);
  const sorted = [...plans].sort((a, b) => order(a.state) - order(b.state) || b.createdAt.localeCompare(a.createdAt));
  const rows = sorted
    .map((p) => `<tr><td><a href="/approvals/${encodeURIComponent(p.id)}">${escapeHtml(p.id)}</a></td><td>${escapeHtml(p.state)}</td><td>${escapeHtml(p.backend)}</td><td>${escapeHtml(p.tool)}</td><td>${escapeHtml(p.requestedBy.client)}</td><td>${escapeHtml(p.expiresAt)}</td></tr>`)
    .join('');
  const table = rows ? `<table id="plans"><tr><th>Plan</th><th>State</th><th>Backend</th><th>Tool</th><th>Asked by</th><th>Expires</th></tr>${rows}</table>` : '<p id="plans">No plans.</p>';
  return layout('Plans', `<h1>Plans</h1><p>Signed in as <span id="viewer">${escapeHtml(viewer)}</span>.</p>${table}`);
}
