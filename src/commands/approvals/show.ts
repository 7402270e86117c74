import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { approvalsRequest, type ApprovalShowResponse } from '../../core/admin/approvals.js';

export default class ApprovalsShow extends BaseCommand {
  static override summary = 'Show one plan: what will be sent, its digest, who asked, and its history.';
  static override examples = ['<%= config.bin %> <%= command.id %> plan_abc123'];
  static override args = { id: Args.string({ description: 'Plan id.', required: true }) };

  async run(): Promise<ApprovalShowResponse> {
    const { args } = await this.parse(ApprovalsShow);
    const r = await approvalsRequest<ApprovalShowResponse>(this.store.dir, 'GET', `/${encodeURIComponent(args.id)}`);
    const p = r.plan;
    this.log(`Plan ${p.id} (${p.state})`);
    this.log(`  tool:       ${p.exposedName} (backend "${p.backend}", native ${p.tool})`);
    this.log(`  arguments:  ${JSON.stringify(p.arguments)}`);
    this.log(`  digest:     ${p.digest}`);
    this.log(`  asked by:   ${p.requestedBy.subject ?? p.requestedBy.client} (${p.requestedBy.via}) at ${p.createdAt}`);
    this.log(`  expires:    ${p.expiresAt}`);
    if (p.decidedBy) this.log(`  decided by: ${p.decidedBy} at ${p.decidedAt}${p.reason ? ` (${p.reason})` : ''}`);
    for (const a of r.audit) this.log(`  ${a.at}  ${a.event.padEnd(11)} ${a.actor}${a.detail ? `  ${a.detail}` : ''}`);
    return r;
  }
}
