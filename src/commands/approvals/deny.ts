import { userInfo } from 'node:os';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { approvalsRequest, type ApprovalDecisionResponse } from '../../core/admin/approvals.js';

export default class ApprovalsDeny extends BaseCommand {
  static override summary = 'Deny a pending plan; applying it is then refused.';
  static override examples = ['<%= config.bin %> <%= command.id %> plan_abc123 --reason "wrong namespace"'];
  static override args = { id: Args.string({ description: 'Plan id.', required: true }) };
  static override flags = { reason: Flags.string({ description: 'Why (the agent sees it when it tries to apply).' }) };

  async run(): Promise<ApprovalDecisionResponse> {
    const { args, flags } = await this.parse(ApprovalsDeny);
    const r = await approvalsRequest<ApprovalDecisionResponse>(this.store.dir, 'POST', `/${encodeURIComponent(args.id)}/deny`, { approver: userInfo().username, reason: flags.reason });
    this.log(`Denied ${r.plan.id}.`);
    return r;
  }
}
