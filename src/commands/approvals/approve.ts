import { userInfo } from 'node:os';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { approvalsRequest, type ApprovalDecisionResponse, type ApprovalShowResponse } from '../../core/admin/approvals.js';
import { ExitCode, UserError } from '../../core/errors.js';

export default class ApprovalsApprove extends BaseCommand {
  static override summary = 'Approve a pending plan, so the agent can apply it (once).';
  static override description = 'Shows the plan and asks for confirmation in a terminal; pass --yes otherwise. The approver is recorded as your OS user name; the identity that asked cannot approve its own plan.';
  static override examples = ['<%= config.bin %> <%= command.id %> plan_abc123', '<%= config.bin %> <%= command.id %> plan_abc123 --yes --reason "change ticket 42"'];
  static override args = { id: Args.string({ description: 'Plan id.', required: true }) };
  static override flags = {
    reason: Flags.string({ description: 'Why (recorded in the audit log).' }),
    yes: Flags.boolean({ char: 'y', description: 'Approve without asking (required without a terminal).' }),
  };

  async run(): Promise<ApprovalDecisionResponse> {
    const { args, flags } = await this.parse(ApprovalsApprove);
    if (!flags.yes) {
      if (!this.interactive) this.requireFlags(['yes'], `gatehouse approvals approve ${args.id} --yes`);
      const { plan } = await approvalsRequest<ApprovalShowResponse>(this.store.dir, 'GET', `/${encodeURIComponent(args.id)}`);
      this.note(`Plan ${plan.id}: ${plan.summary}\n  digest ${plan.digest}\n  asked by ${plan.requestedBy.subject ?? plan.requestedBy.client}, expires ${plan.expiresAt}`);
      const { confirm } = await import('@inquirer/prompts');
      if (!(await confirm({ message: 'Approve this exact call?', default: false }))) throw new UserError('Not approved.', { code: 'cancelled', exit: ExitCode.usage });
    }
    const r = await approvalsRequest<ApprovalDecisionResponse>(this.store.dir, 'POST', `/${encodeURIComponent(args.id)}/approve`, { approver: userInfo().username, reason: flags.reason });
    this.log(`Approved ${r.plan.id}; the agent can apply it until ${r.plan.expiresAt}.`);
    return r;
  }
}
