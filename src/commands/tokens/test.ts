import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { cfAccessHeaders, probeWithToken, tokenInfo, type TokenTestResult } from '../../core/cfaccess/index.js';
import { ExitCode, UserError } from '../../core/errors.js';
import { openSecrets } from '../../core/secrets/index.js';

export default class TokensTest extends BaseCommand {
  static override summary = 'Send a request with a token to a protected URL and say what Cloudflare Access did with it.';
  static override description = [
    'Posts an MCP initialize (then a 2026-era server/discover) with the token\'s CF-Access headers,',
    'without following redirects, and diagnoses the answer. Exit codes:',
    '  0  accepted: the token got through; the URL answered MCP, or (a REST API) answered without an MCP endpoint',
    '  1  the test could not run (unknown token, keychain unreachable, …)',
    '  2  usage (bad flags or URL)',
    '  4  rejected by Access: a 302 to the Access login or an Access 403 page (the token is unknown,',
    '     expired or revoked, or the application\'s policy has no Service Auth rule for it)',
    '  5  passed Access, but the application did not answer (a server error, a redirect, app down, tunnel/edge error)',
    '  6  Access answered with a CF_Authorization cookie and a redirect instead of the application',
    '  7  network error (DNS, connection refused, TLS, timeout)',
  ].join('\n');

  static override examples = ['<%= config.bin %> <%= command.id %> homelab --url https://mcp.example.dev/mcp'];
  static override args = { name: Args.string({ description: 'Token name.', required: true }) };
  static override flags = {
    url: Flags.string({ summary: 'The protected URL (the MCP endpoint, e.g. https://mcp.example.dev/mcp).', required: true }),
    timeout: Flags.integer({ summary: 'Seconds to wait for an answer.', default: 10, min: 1, max: 300 }),
  };

  async run(): Promise<TokenTestResult> {
    const { args, flags } = await this.parse(TokensTest);
    let url: URL;
    try {
      url = new URL(flags.url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
    } catch {
      throw new UserError(`"${flags.url}" is not an http(s) URL.`, { code: 'url_invalid', exit: ExitCode.usage, hint: 'Pass the full endpoint, e.g. --url https://mcp.example.dev/mcp' });
    }
    const secrets = openSecrets();
    const headers = await cfAccessHeaders(args.name, secrets);
    const info = args.name.startsWith('env:') ? undefined : await tokenInfo(secrets, args.name);
    this.note(`Testing token "${args.name}" against ${url.origin}${url.pathname} …`);
    const result = await probeWithToken({ url: url.href, headers, timeoutMs: flags.timeout * 1000, clientVersion: this.config.version });
    const team = result.diagnosis?.teamDomain;
    if (team && info?.team && team !== info.team) {
      result.next = `This URL belongs to the Access team ${team}, but token "${args.name}" was stored for ${info.team}: service tokens only work in their own account. ${result.next ?? ''}`.trim();
    }
    if (result.exitCode === 0) {
      this.log(result.message);
      if (result.next) this.note(`Next: ${result.next}`);
      return result;
    }
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stderr.write(`${result.message}\n`);
      if (result.next) process.stderr.write(`Next: ${result.next}\n`);
    }
    this.exit(result.exitCode);
  }
}
