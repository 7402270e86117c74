import { userInfo } from 'node:os';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { ExitCode, UserError } from '../core/errors.js';

export default class Dashboard extends BaseCommand {
  static override summary = 'Attach the live dashboard to a running gateway.';
  static override description = `Reads the gateway's admin event stream (GET /admin/events, with recent events first) and polls its status; shows the same views as serve's dashboard and approves or denies plans as your OS user name.
Without --token it finds a gateway on this machine through the run records in the config dir (the one at --url when several run). With --token it attaches to --url: a remote gateway's loopback admin port forwarded over SSH (its admin token), or a gateway elsewhere that lets you in through gateway.admin.remote (your client token or access token; plans are then decided as the identity the gateway authenticates).
Detaching (q, Ctrl-C) never affects the gateway; a dropped stream is reconnected with backoff.`;
  static override enableJsonFlag = false;
  static override examples = ['<%= config.bin %> dashboard', '<%= config.bin %> dashboard --url http://127.0.0.1:7421/mcp', '<%= config.bin %> dashboard --url http://127.0.0.1:17420/mcp --token "$GATEHOUSE_ADMIN_TOKEN"'];
  static override flags = {
    url: Flags.string({ description: 'the gateway to attach to (its MCP endpoint or base URL)' }),
    token: Flags.string({ description: 'the gateway’s admin token, or for gateway.admin.remote your client or access token (default: read from the local run record)', env: 'GATEHOUSE_ADMIN_TOKEN' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Dashboard);
    if (!process.stdout.isTTY || !process.stdin.isTTY) {
      throw new UserError('The dashboard needs a terminal (stdin and stdout).', {
        code: 'not_a_terminal',
        exit: ExitCode.usage,
        hint: 'Run it in a terminal; for a one-shot view use `gatehouse approvals list --json` or the admin API.',
      });
    }
    const { attachToGateway } = await import('../core/admin/approvals-port.js');
    const feed = await attachToGateway(this.store.dir, { url: flags.url, token: flags.token, operator: userInfo().username });
    const { renderDashboard } = await import('../ui/render-dashboard.js');
    let quit!: () => void;
    const quitRequested = new Promise<void>((resolve) => (quit = resolve));
    const ui = renderDashboard(feed, { endpoint: feed.link.get().url, startedAt: feed.startedAt, onQuit: () => quit() });
    feed.start();
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
    await quitRequested;
    // Detach: our stream and timers only; the gateway is never told anything.
    feed.close();
    ui.unmount();
    this.exit(ExitCode.ok);
  }
}
