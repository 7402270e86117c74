import type { AdminStatus, AdminExposedToolPolicy } from '../core/admin/contract.js';
import { callAdmin } from '../core/admin/client.js';
import { buildArguments } from '../core/cli/tool-args.js';
import { closest } from '../core/cli/suggest.js';
import { listRunStates, readRunState } from '../core/config/run-state.js';
import type { GatehouseConfig } from '../core/config/schema.js';
import { UserError, errorMessage } from '../core/errors.js';
import { redact, redactString } from '../core/log/redact.js';
import { withLocalGateway, type LocalGatewayOptions } from './local-gateway.js';

/*
 * `gatehouse tools` and `gatehouse call`: through the running gateway when there is one (its admin
 * API for the list, an MCP client on its URL for a call), else through a gateway started here for
 * the one command. Either way the names, policies and results are the gateway's own.
 */

export interface CliGatewayOptions extends LocalGatewayOptions {
  /** The config dir holding the running-gateway records. */
  dir: string;
  /** The gateway at this URL (an error when none runs there). */
  url?: string;
  /** The config to serve when no gateway runs. */
  config: () => GatehouseConfig;
}

export interface ToolLine {
  name: string;
  native: string;
  backend: string;
  policy?: AdminExposedToolPolicy;
}

export interface ToolsReport {
  /** `gateway`: the running one at `url`; `local`: started here from the config, since none runs. */
  source: 'gateway' | 'local';
  url?: string;
  tools: ToolLine[];
  /** Backends that serve no tools right now, and why. */
  unavailable: Array<{ backend: string; state: string; reason?: string }>;
}

/** The running gateway to use: the one at `url`, the only one, or none (undefined). */
async function runningGateway(dir: string, url?: string) {
  if (url) return readRunState(dir, url);
  const running = await listRunStates(dir);
  return running.length ? readRunState(dir) : undefined;
}

function toReport(status: AdminStatus, source: ToolsReport['source'], backend?: string): ToolsReport {
  if (backend && !status.backends.some((b) => b.name === backend)) {
    throw new UserError(`No backend named "${backend}" in the ${source === 'gateway' ? 'running gateway' : 'config'}.`, {
      code: 'backend_not_found',
      hint: `Backends: ${status.backends.map((b) => b.name).join(', ') || 'none'}. See \`gatehouse backends list\`.`,
    });
  }
  const tools = status.exposedTools.filter((t) => !backend || t.backend === backend).map((t) => ({ name: t.name, native: t.original, backend: t.backend, ...(t.policy ? { policy: t.policy } : {}) }));
  const unavailable = status.backends
    .filter((b) => (!backend || b.name === backend) && b.state !== 'ready' && b.state !== 'degraded')
    .map((b) => ({ backend: b.name, state: b.state, ...(b.reason ? { reason: redactString(b.reason) } : {}) }));
  return { source, ...(source === 'gateway' && status.url ? { url: status.url } : {}), tools, unavailable };
}

export async function listExposedTools(opts: CliGatewayOptions & { backend?: string }): Promise<ToolsReport> {
  const running = await runningGateway(opts.dir, opts.url);
  if (running) return toReport(await callAdmin(opts.dir, 'GET /status', {}, { url: running.url }), 'gateway', opts.backend);
  return withLocalGateway(opts.config(), opts, async (g) => toReport(g.status(), 'local', opts.backend));
}

export interface ToolCallOutcome {
  via: 'gateway' | 'local';
  url: string;
  tool: string;
  /** As sent, with credential-looking values redacted. */
  arguments: unknown;
  isError: boolean;
  content: unknown[];
  structuredContent?: unknown;
  /** The text parts joined, for people. */
  text: string;
}

export interface CallOptions extends CliGatewayOptions {
  tool: string;
  args: string[];
  jsonArgs?: string;
  /** A bearer token for a gateway that requires one (GATEHOUSE_CLIENT_TOKEN). */
  bearer?: string;
}

export async function callExposedTool(opts: CallOptions): Promise<ToolCallOutcome> {
  const running = await runningGateway(opts.dir, opts.url);
  if (running) return callAt(running.url, 'gateway', opts);
  return withLocalGateway(opts.config(), opts, (g) => callAt(g.url!, 'local', opts));
}

async function callAt(url: string, via: ToolCallOutcome['via'], opts: CallOptions): Promise<ToolCallOutcome> {
  const { Client, StreamableHTTPClientTransport } = await import('@modelcontextprotocol/client');
  const client = new Client({ name: 'gatehouse-cli', version: '1' }, { capabilities: {} });
  const headers: Record<string, string> = opts.bearer ? { authorization: `Bearer ${opts.bearer}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  try {
    try {
      await client.connect(transport);
    } catch (e) {
      const msg = errorMessage(e);
      throw new UserError(`Could not connect to the gateway at ${url}: ${redactString(msg)}`, {
        code: 'gateway_connect_failed',
        exit: /401|403|unauthori[sz]ed/i.test(msg) ? 4 : 1,
        hint: /401|403|unauthori[sz]ed/i.test(msg) ? 'The gateway requires inbound auth: set GATEHOUSE_CLIENT_TOKEN to a client token (`gatehouse clients token create cli`).' : 'Check it with `gatehouse status`.',
      });
    }
    const tools: Array<{ name: string; inputSchema?: unknown }> = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    const tool = tools.find((t) => t.name === opts.tool);
    if (!tool) {
      const near = closest(opts.tool, tools.map((t) => t.name));
      throw new UserError(`No tool "${opts.tool}" is exposed by the ${via === 'gateway' ? `gateway at ${url}` : 'config (no gateway is running, so it was started here)'}.${near ? ` Did you mean \`${near}\`?` : ''}`, {
        code: 'tool_not_found',
        hint: 'List the exposed names with `gatehouse tools`.',
      });
    }
    const args = buildArguments(opts.args, opts.jsonArgs, tool.inputSchema as never);
    let result: { content?: unknown[]; structuredContent?: unknown; isError?: boolean };
    try {
      result = (await client.callTool({ name: opts.tool, arguments: args })) as typeof result;
    } catch (e) {
      throw new UserError(`The call to ${opts.tool} failed: ${redactString(errorMessage(e))}`, { code: 'call_failed', hint: 'See `gatehouse status` for the backend behind it.' });
    }
    const content = result.content ?? [];
    const text = content
      .map((c) => (c && typeof c === 'object' && (c as { type?: string }).type === 'text' ? String((c as { text?: unknown }).text ?? '') : `[${(c as { type?: string })?.type ?? 'content'}]`))
      .join('\n');
    return {
      via,
      url,
      tool: opts.tool,
      arguments: redact(args),
      isError: result.isError === true,
      content,
      ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
      text,
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}
