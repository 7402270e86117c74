import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { approvalsRequest, type ApprovalsListResponse } from '../../core/admin/approvals.js';

export default class ApprovalsList extends BaseCommand {
  static override summary = 'List the plans of guarded calls in the running gateway.';
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --state pending --json'];
  static override flags = {
    state: Flags.string({ description: 'Only plans in this state.', options: ['pending', 'approved', 'denied', 'expired', 'executing', 'done', 'failed'] }),
  };

  async run(): Promise<ApprovalsListResponse> {
    const { flags } = await this.parse(ApprovalsList);
    const r = await approvalsRequest<ApprovalsListResponse>(this.store.dir, 'GET', flags.state ? `?state=${flags.state}` : '');
    if (r.plans.length === 0) this.log('No plans.');
    for (const p of r.plans) this.log(`${p.id}  ${p.state.padEnd(9)}  ${p.exposedName}  by ${p.requestedBy.subject ?? p.requestedBy.client}  expires ${p.expiresAt}`);
    return r;
  }
}
