// The official Tasks requester, @modelcontextprotocol/ext-tasks (client entry), over an SDK v2 Client
// connected to the gateway in the 2026-07-28 era: it calls a tool, gets a task, answers the task's
// input_required through tasks/update and settles on the result, all through the gateway. The
// package asks its host for a raw dispatch (the SDK Client's codec refuses task results); ours is
// requester.ts's postMessage. ext-tasks comes in through @modelcontextprotocol/inspector (a
// devDependency); if a future install drops it, this test says so and is skipped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { fixtureScript, startHttpFixture, type HttpFixture } from '../../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, httpBackend, textOf } from '../helpers.js';
import { postMessage } from './requester.js';

type ExtTasks = typeof import('@modelcontextprotocol/ext-tasks/client');
const ext: ExtTasks | undefined = await import('@modelcontextprotocol/ext-tasks/client').catch(() => undefined);
if (!ext) console.warn('@modelcontextprotocol/ext-tasks is not installed; the ext-tasks client test is skipped');

let backend: HttpFixture;
let gw: TestGateway;

beforeAll(async () => {
  if (!ext) return;
  backend = await startHttpFixture('task-server');
  gw = await startGateway({ backends: { work: httpBackend(backend.url), old: { type: 'stdio', command: NODE, args: [fixtureScript('task-server-2025')] } } });
  await gw.ready();
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await backend?.stop();
});

describe.skipIf(!ext)('the ext-tasks requester through the gateway', () => {
  it('runs a task with an input round to its result', async () => {
    const { createTaskSessionFromClient, resultFromTaskOutcome } = ext!;
    const clientInfo = { name: 'ext-tasks-client', version: '1.0.0' };
    const capabilities = { elicitation: { form: {} } };
    const client = new Client(clientInfo, { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } } as never);
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    let id = 0;
    const methods: string[] = [];
    const asked: unknown[] = [];
    const session = createTaskSessionFromClient(client, {
      endpointId: 'gatehouse-test',
      rawDispatch: async (request) => {
        const message = { jsonrpc: '2.0', id: ++id, ...(request as { method: string; params?: Record<string, unknown> }) };
        methods.push(message.method);
        const res = await postMessage(gw.url, message);
        return res.error ? { kind: 'error', error: res.error } : { kind: 'result', result: res.result as never };
      },
      v2RequestFraming: { protocolVersion: '2026-07-28', clientInfo, clientCapabilities: capabilities },
      onInputRequest: (async (req: unknown) => {
        asked.push(req);
        return { action: 'accept', content: { ok: 'sure' } };
      }) as never,
    });
    try {
      const execution = await session.callTool('work_job', { ms: 30, ask: true });
      const { outcome } = await execution.settle();
      expect(textOf(resultFromTaskOutcome(outcome) as { content?: unknown })).toBe('job done after 30 ms, confirmed: sure');
      expect(asked).toHaveLength(1);
      expect(methods).toEqual(expect.arrayContaining(['tools/call', 'tasks/get', 'tasks/update']));
    } finally {
      await session.close();
      await client.close();
    }
  }, 60_000);

  it('runs a 2025-11-25 task (a 2025 session, a 2025 backend) to its result', async () => {
    const { createTaskSessionFromClient, resultFromTaskOutcome, toolDeclarationFromMcpTool } = ext!;
    const client = new Client({ name: 'ext-tasks-2025', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
    expect(client.getProtocolEra()).toBe('legacy');
    const session = createTaskSessionFromClient(client, { endpointId: 'gatehouse-test-2025' });
    try {
      // The tool's execution.taskSupport (optional) comes through the gateway's list; the requester reads it.
      const tool = (await client.listTools()).tools.find((t) => t.name === 'old_job')!;
      expect((tool as { execution?: unknown }).execution).toEqual({ taskSupport: 'optional' });
      const before = gw.events.length;
      const execution = await session.callTool('old_job', { ms: 30 }, { declaration: toolDeclarationFromMcpTool(tool), task: { preference: 'require' } });
      const { outcome } = await execution.settle();
      expect(textOf(resultFromTaskOutcome(outcome) as { content?: unknown })).toBe('job done after 30 ms (2025 task)');
      // It went as a task (created, then its result fetched), not as a plain call.
      const seen = gw.events.slice(before).filter((e) => e.type === 'task.changed' && e.tool === 'old_job');
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(seen.at(-1)).toMatchObject({ terminal: true });
    } finally {
      await session.close();
      await client.close();
    }
  }, 60_000);
});
