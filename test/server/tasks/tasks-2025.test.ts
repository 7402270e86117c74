// The 2025-11-25 form of tasks through the gateway: a 2025 backend (SDK v1 experimental tasks,
// test/fixtures/servers/task-server-2025.mjs) and SDK v2 clients in 2025 sessions. A task-augmented
// tools/call gets a CreateTaskResult ({task}) with the gateway's sealed id; tasks/get, tasks/result
// and tasks/cancel route back to the backend for the session's identity; tasks/list is not offered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { fixtureScript } from '../../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, modernStdio, textOf } from '../helpers.js';

const any = z.object({}).passthrough();
let gw: TestGateway;
const clients: Client[] = [];

beforeAll(async () => {
  gw = await startGateway({ backends: { old: { type: 'stdio', command: NODE, args: [fixtureScript('task-server-2025')] }, plain: modernStdio() } });
  await gw.ready();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await gw?.stop();
});

async function session(name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(gw.url)));
  clients.push(client);
  expect(client.getProtocolEra()).toBe('legacy');
  return client;
}

type Task = { taskId: string; status: string };

describe('2025-11-25 tasks through the gateway', () => {
  it('advertises task-augmented tools/call and cancel (not list) to a 2025 session', async () => {
    const c = await session('caps');
    expect((c.getServerCapabilities() as { tasks?: unknown }).tasks).toEqual({ requests: { tools: { call: {} } }, cancel: {} });
  });

  it('creates a task with a sealed id; tasks/get and tasks/result reach the backend', async () => {
    const c = await session('alice');
    const created = (await c.request({ method: 'tools/call', params: { name: 'old_job', arguments: { ms: 50 }, task: { ttl: 60_000 } } } as never, any)) as { task: Task };
    const taskId = created.task.taskId;
    expect(taskId.startsWith('ght1.')).toBe(true);
    expect(created.task.status).toBe('working');
    const got = (await c.request({ method: 'tasks/get', params: { taskId } } as never, any)) as Task;
    expect(got.taskId).toBe(taskId);
    const result = (await c.request({ method: 'tasks/result', params: { taskId } } as never, any)) as { content?: unknown; _meta?: Record<string, { taskId?: string }> };
    expect(textOf(result)).toBe('job done after 50 ms (2025 task)');
    expect(result._meta?.['io.modelcontextprotocol/related-task']?.taskId).toBe(taskId);
    await gw.waitFor((e) => e.type === 'task.changed' && e.taskId === taskId && e.terminal);
  });

  it('another session of another client gets "not found"; the owner can cancel', async () => {
    const owner = await session('owner');
    const other = await session('other');
    const { task } = (await owner.request({ method: 'tools/call', params: { name: 'old_job', arguments: { ms: 60_000 }, task: { ttl: 60_000 } } } as never, any)) as { task: Task };
    await expect(other.request({ method: 'tasks/get', params: { taskId: task.taskId } } as never, any)).rejects.toThrow(/Task not found/);
    await expect(other.request({ method: 'tasks/cancel', params: { taskId: task.taskId } } as never, any)).rejects.toThrow(/Task not found/);
    const cancelled = (await owner.request({ method: 'tasks/cancel', params: { taskId: task.taskId } } as never, any)) as Task;
    expect(cancelled).toMatchObject({ taskId: task.taskId, status: 'cancelled' });
  });

  it('a call without task gets the plain result', async () => {
    const c = await session('plain');
    const res = await c.callTool({ name: 'old_job', arguments: { ms: 5 } });
    expect(textOf(res)).toBe('job done after 5 ms (2025 task)');
  });
});
