/**
 * Turns a connect or request failure into one sentence a person can act on. The common cases with
 * services behind Cloudflare Access are a login redirect or an HTML page where MCP was expected.
 */
export interface Diagnosis {
  kind: 'refused' | 'auth' | 'login-page' | 'html' | 'timeout' | 'exited' | 'not-found' | 'dns' | 'tls' | 'protocol' | 'server-error' | 'unknown';
  message: string;
  hint?: string;
}

export function diagnoseError(err: unknown, target: string): Diagnosis {
  // Already one sentence naming the backend and the fix (stdio-transport.ts).
  if (err instanceof Error && (err as { kind?: unknown }).kind === 'exited' && err.name === 'ProbeExitError') return { kind: 'exited', message: err.message };
  const e = err as { message?: string; code?: unknown; status?: number; cause?: { code?: string; message?: string }; data?: { status?: number; text?: string } };
  const msg = String(e?.message ?? err);
  const status = typeof e?.status === 'number' ? e.status : typeof e?.data?.status === 'number' ? e.data.status : statusFromMessage(msg);
  // fetch and the SDK wrap the socket error a few levels down; take the first errno code found.
  let causeCode: string | undefined;
  let cur: unknown = err;
  for (let depth = 0; cur && depth < 6 && !causeCode; depth++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string' && /^E[A-Z]+$|CERT|TLS|SSL/.test(c)) causeCode = c;
    if (/bad port/.test(String((cur as { message?: unknown }).message))) causeCode = 'BAD_PORT';
    cur = (cur as { cause?: unknown }).cause ?? (cur as { data?: { cause?: unknown } }).data?.cause;
  }
  if (causeCode === 'BAD_PORT') {
    return { kind: 'refused', message: `${target} uses a port that fetch refuses to connect to (a browser-blocked port).`, hint: 'Serve the backend on another port.' };
  }
  const body = typeof e?.data?.text === 'string' ? e.data.text : '';

  if (causeCode === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) {
    return { kind: 'refused', message: `Connection refused by ${target}.`, hint: 'Check that the service is running and the URL/port is right.' };
  }
  if (causeCode === 'ENOTFOUND' || causeCode === 'EAI_AGAIN' || /ENOTFOUND|EAI_AGAIN/.test(msg)) {
    return { kind: 'dns', message: `Cannot resolve the host of ${target}.`, hint: 'Check the hostname, or your DNS/VPN.' };
  }
  if (/CERT|certificate|self[- ]signed|TLS/i.test(String(causeCode ?? '')) || /certificate/i.test(msg)) {
    return { kind: 'tls', message: `TLS failed for ${target}: ${msg}`, hint: 'Check the certificate chain, or use the right hostname.' };
  }
  if (/cloudflareaccess\.com|cdn-cgi\/access/i.test(msg + body)) {
    return {
      kind: 'login-page',
      message: `${target} answered with a Cloudflare Access login redirect instead of MCP.`,
      hint: 'Attach a service token: `gatehouse tokens add <name>` then `--cf-access-token <name>` on the backend; also check the Access policy has a Service Auth rule.',
    };
  }
  if (status === 401 || status === 403) {
    return { kind: 'auth', message: `${target} refused the request (HTTP ${status}).`, hint: 'Check the credentials configured for this backend (headers, bearer token or Cloudflare Access token).' };
  }
  if (/text\/html|<!doctype html|<html/i.test(msg + body)) {
    return {
      kind: 'html',
      message: `${target} returned an HTML page where MCP was expected; it looks like a login page (for example Cloudflare Access) or a web UI.`,
      hint: 'Check the URL points at the MCP endpoint (often /mcp or /sse), and attach credentials if the service sits behind Access.',
    };
  }
  if (status === 404 || status === 405) {
    return { kind: 'not-found', message: `${target} has no MCP endpoint there (HTTP ${status}).`, hint: 'Check the path (often /mcp for streamable HTTP, /sse for legacy SSE) and the --transport setting.' };
  }
  if (status !== undefined && status >= 500) {
    return { kind: 'server-error', message: `${target} failed with HTTP ${status}.`, hint: 'The backend itself is failing; check its logs.' };
  }
  if (/timed? ?out|REQUEST_TIMEOUT|ETIMEDOUT/i.test(msg) || e?.code === 'REQUEST_TIMEOUT') {
    return { kind: 'timeout', message: `${target} did not answer in time.`, hint: 'Check the backend is healthy, or raise --timeout.' };
  }
  if (/CONNECTION_CLOSED|Connection closed|EPIPE|exited/i.test(msg)) {
    return { kind: 'exited', message: `${target} closed the connection: ${msg}` };
  }
  return { kind: 'unknown', message: `${target}: ${msg}` };
}

function statusFromMessage(msg: string): number | undefined {
  const m = /\b(?:HTTP|status(?: code)?)[ :]*([1-5]\d\d)\b/i.exec(msg) ?? /\(([1-5]\d\d)\)/.exec(msg);
  return m ? Number(m[1]) : undefined;
}

/**
 * A backend's failure as one sentence. Never the command line (it may carry arguments a client must
 * not see): a stdio backend is named by its backend name, and its stderr tail is added when known.
 */
export function describeBackendFailure(name: string, config: { type: string; url?: string }, e: unknown, stderrTail?: string): string {
  const target = config.type === 'stdio' ? `backend "${name}"` : String(config.url);
  const d = diagnoseError(e, target);
  if (config.type === 'stdio' && stderrTail) return `${d.message} The process wrote to stderr: ${stderrTail}`;
  return d.hint ? `${d.message} ${d.hint}` : d.message;
}
