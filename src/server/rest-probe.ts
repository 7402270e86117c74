import { randomUUID } from 'node:crypto';
import type { RestBackendConfig } from '../core/config/schema.js';
import { ExitCode, UserError, errorMessage } from '../core/errors.js';
import { redactString } from '../core/log/redact.js';
import type { SecretStore } from '../core/secrets/resolve.js';
import { loadRestTools } from '../core/templates/rest-tools.js';
import { createRestUpstream } from './upstream/rest.js';

/**
 * `backends test` (and `doctor`) for a REST backend: resolve its secrets and tools the way the
 * gateway does, then make one harmless read: `tool` when named, else the first GET tool that needs
 * no arguments. Only reads: a tool that is not GET or HEAD is refused, even when named.
 */
export interface RestProbeResult {
  backend: string;
  ok: boolean;
  baseUrl: string;
  tools: number;
  tool: string;
  /** The result text, redacted and cut to 500 characters. */
  answer: string;
  latencyMs: number;
}

export interface RestProbeOptions {
  secrets?: SecretStore;
  baseDir?: string;
  allowedNetworks?: string[];
  tool?: string;
  timeoutMs?: number;
}

export async function probeRestBackend(name: string, config: RestBackendConfig, opts: RestProbeOptions = {}): Promise<RestProbeResult> {
  const upstream = createRestUpstream(name, { ...config, disabled: false }, { resolve: { store: opts.secrets }, allowedNetworks: opts.allowedNetworks, baseDir: opts.baseDir });
  try {
    await upstream.start();
    if (upstream.state === 'failed') {
      throw new UserError(`Backend "${name}" cannot load: ${redactString(upstream.lastError ?? 'unknown error')}`, { code: 'probe_failed', hint: 'Fix the reference or file it names, then run `gatehouse backends test` again.' });
    }
    const methods = new Map(loadRestTools(config, { baseDir: opts.baseDir }).map(({ tool }) => [tool.name, tool.method ?? 'GET']));
    const listed = upstream.catalog().tools;
    let tool: string;
    if (opts.tool) {
      if (!methods.has(opts.tool) || !listed.some((t) => t.name === opts.tool)) {
        throw new UserError(`Backend "${name}" has no tool "${opts.tool}".`, { code: 'tool_not_found', exit: ExitCode.usage, hint: `Its tools: ${listed.map((t) => t.name).join(', ')}.` });
      }
      if (!['GET', 'HEAD'].includes(methods.get(opts.tool)!)) {
        throw new UserError(`Tool "${opts.tool}" uses ${methods.get(opts.tool)}; a test only reads.`, { code: 'probe_write_refused', exit: ExitCode.usage, hint: 'Name a GET tool with --tool, or call the write through the gateway (`gatehouse call`), where approvals apply.' });
      }
      tool = opts.tool;
    } else {
      const pick = listed.find((t) => methods.get(t.name) === 'GET' && !((t.inputSchema as { required?: unknown[] } | undefined)?.required?.length));
      if (!pick) {
        throw new UserError(`Backend "${name}" has no GET tool without required arguments to test with.`, { code: 'probe_no_read', exit: ExitCode.usage, hint: `Name one with --tool (its tools: ${listed.map((t) => t.name).join(', ')}).` });
      }
      tool = pick.name;
    }
    const started = performance.now();
    const controller = new AbortController();
    let result: Record<string, unknown>;
    try {
      result = await upstream.request('tools/call', { name: tool, arguments: {} }, { callId: randomUUID(), sessionKey: 'backends-test', client: 'gatehouse-cli', signal: controller.signal, timeoutMs: opts.timeoutMs ?? 30_000 });
    } catch (e) {
      throw new UserError(`Backend "${name}": ${tool} failed: ${redactString(errorMessage(e))}`, { code: 'probe_failed', hint: 'Check the base URL and credentials (`gatehouse backends show`).' });
    }
    const latencyMs = Math.round(performance.now() - started);
    const content = (result.content as Array<{ type?: string; text?: string }> | undefined) ?? [];
    const text = redactString(content.map((c) => (c.type === 'text' ? (c.text ?? '') : `[${c.type}]`)).join('\n'));
    const answer = text.length > 500 ? `${text.slice(0, 499)}…` : text;
    // A tool error from the service (401, 404, an Access login page) or a network failure is a failed test.
    if (result.isError === true || upstream.state === 'degraded') {
      throw new UserError(`Backend "${name}": ${tool} answered with an error: ${answer.split('\n')[0]}`, {
        code: 'probe_failed',
        exit: /\b(401|403)\b|Access|login/i.test(answer) ? ExitCode.auth : ExitCode.failure,
        hint: upstream.lastError ? redactString(upstream.lastError) : 'Check the base URL, the credentials and the tool\'s path (`gatehouse backends show`).',
        details: { tool, answer },
      });
    }
    return { backend: name, ok: true, baseUrl: config.baseUrl, tools: listed.length, tool, answer, latencyMs };
  } finally {
    await upstream.stop({ drainMs: 0 }).catch(() => undefined);
  }
}
