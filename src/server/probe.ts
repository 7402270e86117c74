import type { BackendConfig } from '../core/config/schema.js';
import { ExitCode, UserError } from '../core/errors.js';
import type { SecretStore } from '../core/secrets/resolve.js';
import { resolveRecord } from '../core/secrets/resolve.js';
import { McpUpstream, isMcpBackend } from './upstream/mcp.js';
import { redactString } from '../core/log/redact.js';
import { cfAccessHeaders } from '../core/cfaccess/headers.js';
import type { HttpBackendConfig } from '../core/config/schema.js';

export interface ProbeResult {
  backend: string;
  ok: true;
  serverName?: string;
  serverVersion?: string;
  protocolVersion?: string;
  era?: 'legacy' | 'modern';
  counts: { tools: number; resources: number; resourceTemplates: number; prompts: number };
  latencyMs: { connectAndList: number; ping?: number };
  /** Items the backend listed that break the protocol schema, dropped, with a reason each (redacted). */
  invalid?: Partial<Record<'tools' | 'resources' | 'resourceTemplates' | 'prompts', string[]>>;
}

export interface ProbeOptions {
  secrets?: SecretStore;
  extraHeaders?: (name: string, config: HttpBackendConfig) => Promise<Record<string, string>>;
}

/**
 * Connects to one backend the way the gateway would (same transports, same era negotiation),
 * lists everything, and stops it. A failure becomes a UserError carrying the diagnosis.
 */
export async function probeBackend(name: string, config: BackendConfig, opts: ProbeOptions = {}): Promise<ProbeResult> {
  if (!isMcpBackend(config)) {
    throw new UserError(`Backend "${name}" is a ${config.type} backend; \`backends test\` probes MCP backends.`, {
      code: 'probe_unsupported',
      hint: 'Call one of its tools through `gatehouse serve` instead.',
    });
  }
  const upstream = new McpUpstream(name, { ...config, disabled: false }, {
    refreshIntervalMs: 0,
    resolveEnv: (env) => resolveRecord(env, { store: opts.secrets }),
    resolveHeaders: async (c) => ({
      ...(await resolveRecord(c.headers, { store: opts.secrets })),
      ...(c.cfAccessToken ? await cfAccessHeaders(c.cfAccessToken, opts.secrets) : {}),
      ...(opts.extraHeaders ? await opts.extraHeaders(name, c) : {}),
    }),
    backoff: { initialMs: 3_600_000, maxMs: 3_600_000, resetAfterMs: 3_600_000 },
  });
  const started = performance.now();
  try {
    await upstream.start();
    const connectAndList = performance.now() - started;
    if (upstream.state !== 'ready') {
      // lastError is redacted: a backend's stderr may quote a secret it was given.
      throw new UserError(`Backend "${name}" failed: ${upstream.lastError ?? 'unknown error'}`, {
        code: 'probe_failed',
        exit: /refused the request \(HTTP 40[13]\)|login redirect/.test(upstream.lastError ?? '') ? ExitCode.auth : ExitCode.failure,
        hint: hintFor(upstream.lastError ?? '', config),
      });
    }
    const c = upstream.catalog();
    return {
      backend: name,
      ok: true,
      serverName: upstream.info.serverName,
      serverVersion: upstream.info.serverVersion,
      protocolVersion: upstream.info.protocolVersion,
      era: upstream.info.era,
      counts: { tools: c.tools.length, resources: c.resources.length, resourceTemplates: c.resourceTemplates.length, prompts: c.prompts.length },
      latencyMs: { connectAndList: Math.round(connectAndList) },
      ...(invalidReport(upstream.invalid) ?? {}),
    };
  } finally {
    await upstream.stop();
  }
}

function invalidReport(invalid: McpUpstream['invalid']): Pick<ProbeResult, 'invalid'> | undefined {
  const out: NonNullable<ProbeResult['invalid']> = {};
  for (const kind of ['tools', 'resources', 'resourceTemplates', 'prompts'] as const) {
    const reasons = invalid[kind];
    if (reasons?.length) out[kind] = reasons.map(redactString);
  }
  return Object.keys(out).length ? { invalid: out } : undefined;
}

function hintFor(reason: string, config: BackendConfig): string {
  if (/Cloudflare Access|login/.test(reason)) return 'Attach a Cloudflare Access service token with --cf-access-token, or check the Access policy has a Service Auth rule.';
  if (/refused/.test(reason)) return config.type === 'http' ? 'Is the service running and the URL right?' : 'Check the command.';
  if (/exited|stderr/.test(reason)) return 'Run the command by hand to see its full output; check --cwd and --env.';
  if (/did not answer|timed? ?out/i.test(reason)) return 'Raise --timeout, or check the backend is healthy.';
  return 'Fix the backend settings with `gatehouse backends add <name> --force …`, then test again.';
}
