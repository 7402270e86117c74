import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { ExitCode, UserError } from '../core/errors.js';

export default class Connect extends BaseCommand {
  static override summary = 'Bridge a local MCP client (stdio) to a remote MCP endpoint, adding credentials from the keychain.';
  static override description = `Speaks MCP on stdin/stdout and relays every message to <url> over streamable HTTP, or legacy SSE when the remote does not speak it. With --token it adds the Cloudflare Access service token headers; with --bearer-secret it sends "Authorization: Bearer <secret>". Neither value sits in an env var, a file of the agent or a command line.

After a network drop or a lost session it re-initializes with the client's original parameters and tells the client to list tools again. A refused credential (401, 403, the Access login) ends it with one error and exit code 4.

Agent config: {"command": "gatehouse", "args": ["connect", "https://mcp.example.dev/mcp", "--token", "homelab"]}`;

  // stdout is the MCP channel: nothing but protocol messages may go there.
  static override enableJsonFlag = false;

  static override examples = [
    '<%= config.bin %> <%= command.id %> https://mcp.example.dev/mcp --token homelab',
    '<%= config.bin %> <%= command.id %> https://gatehouse.internal:7420/mcp --bearer-secret gatehouse-laptop',
  ];

  static override args = { url: Args.string({ description: 'The remote MCP endpoint, e.g. https://mcp.example.dev/mcp', required: true }) };

  static override flags = {
    token: Flags.string({ summary: 'Cloudflare Access service token to send (a name from `gatehouse tokens list`, or env:PREFIX).' }),
    'bearer-secret': Flags.string({ summary: 'Secret holding a bearer token for the remote (a name from `gatehouse secrets list`, or env:VAR).' }),
    transport: Flags.option({ options: ['auto', 'streamable-http', 'sse'] as const, default: 'auto', summary: 'auto tries streamable HTTP, then legacy SSE.' })(),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Connect);
    let url: URL;
    try {
      url = new URL(args.url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw new UserError(`"${args.url}" is not an http(s) URL.`, { code: 'url_invalid', exit: ExitCode.usage, hint: 'Pass the MCP endpoint, e.g. https://mcp.example.dev/mcp' });
    }
    const { openSecrets } = await import('../core/secrets/manager.js');
    const secrets = openSecrets();
    const headers = async (): Promise<Record<string, string>> => {
      const out: Record<string, string> = {};
      if (flags.token) {
        const { cfAccessHeaders } = await import('../core/cfaccess/headers.js');
        Object.assign(out, await cfAccessHeaders(flags.token, secrets));
      }
      if (flags['bearer-secret']) {
        const { resolveValue, isSecretRef } = await import('../core/secrets/resolve.js');
        const ref = isSecretRef(flags['bearer-secret']) ? flags['bearer-secret'] : `secret:${flags['bearer-secret']}`;
        out.Authorization = `Bearer ${(await resolveValue(ref, { store: secrets })).trim()}`;
      }
      return out;
    };
    // Read the credentials now, so a missing token fails before the client sends anything.
    await headers();
    if (process.stdin.isTTY) this.note('gatehouse connect speaks MCP on stdin/stdout; start it from an MCP client configuration. Ctrl-D ends it.');

    const { startBridge, BridgeAuthError } = await import('../server/connect/bridge.js');
    const bridge = startBridge({
      url,
      headers,
      transport: flags.transport,
      log: (line) => process.stderr.write(`gatehouse connect: ${line}\n`),
    });
    const onSignal = () => void bridge.close();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await bridge.done;
    } catch (e) {
      if (e instanceof BridgeAuthError) {
        throw new UserError(`Authentication failed: ${e.message}`, { code: 'remote_auth_failed', exit: ExitCode.auth, hint: e.hint });
      }
      throw e;
    }
    this.exit(ExitCode.ok);
  }
}
