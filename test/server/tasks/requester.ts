// A minimal 2026-07-28 requester for Tasks-extension traffic. The SDK v2 Client's codec fails any
// result whose resultType is not complete or input_required, so a CreateTaskResult cannot come back
// through client.callTool; @modelcontextprotocol/ext-tasks needs a host "rawDispatch" for the same
// reason. This is that raw dispatch: one JSON-RPC POST per request with the per-request envelope
// and the standard headers, answered as JSON or as an event stream.
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/client';

export const TASKS = 'io.modelcontextprotocol/tasks';
export type Rpc = { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };

export interface Requester {
  call(method: string, params: Record<string, unknown>): Promise<Rpc>;
}

export function requester(url: string, opts: { name?: string; tasks?: boolean; headers?: Record<string, string> } = {}): Requester {
  let id = 0;
  const capabilities = { elicitation: { form: {} }, ...(opts.tasks === false ? {} : { extensions: { [TASKS]: {} } }) };
  return {
    async call(method, params) {
      const body = {
        jsonrpc: '2.0',
        id: ++id,
        method,
        params: {
          ...params,
          _meta: {
            [PROTOCOL_VERSION_META_KEY]: '2026-07-28',
            [CLIENT_INFO_META_KEY]: { name: opts.name ?? 'task-requester', version: '1.0.0' },
            [CLIENT_CAPABILITIES_META_KEY]: capabilities,
          },
        },
      };
      return postMessage(url, body, opts.headers);
    },
  };
}

/**
 * One JSON-RPC request POSTed with the 2026-07-28 standard headers (Mcp-Name: the tool or task id);
 * the answer, whether it came as JSON or in an event stream.
 */
export async function postMessage(url: string, body: { id: number; method: string; params?: Record<string, unknown> }, headers: Record<string, string> = {}): Promise<Rpc> {
  const p = body.params ?? {};
  const name = typeof p.name === 'string' ? p.name : typeof p.taskId === 'string' ? p.taskId : undefined;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': body.method,
      ...(name !== undefined ? { 'mcp-name': name } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const frames = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as Rpc & { id?: unknown });
    const answer = frames.find((f) => f.id === body.id);
    if (!answer) throw new Error(`no answer to ${body.method} in the event stream: ${text.slice(0, 500)}`);
    return answer;
  }
  try {
    return JSON.parse(text) as Rpc;
  } catch {
    throw new Error(`${body.method}: HTTP ${res.status}: ${text.slice(0, 500)}`);
  }
}

/** Polls tasks/get until the status is one of `want` (bounded). */
export async function pollTask(r: Requester, taskId: string, want: string[], timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  let last: Rpc | undefined;
  while (Date.now() < deadline) {
    last = await r.call('tasks/get', { taskId });
    if (last.error) throw new Error(`tasks/get failed: ${last.error.message}`);
    if (want.includes(String(last.result?.status))) return last.result!;
    await new Promise((res) => setTimeout(res, 30));
  }
  throw new Error(`task ${taskId} did not reach ${want.join('/')} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
