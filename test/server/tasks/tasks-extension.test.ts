// The Tasks extension (io.modelcontextprotocol/tasks, 2026-07-28) through the gateway, against a real
// SDK v2 backend that runs `job` as a task (test/fixtures/servers/task-server.mjs). Discovery and the
// 2025 session use the SDK v2 Client; task traffic goes through requester.ts (see there why).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureScript, startHttpFixture, type HttpFixture } from '../../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { NODE, closeAllClients, connectClient, httpBackend, modernStdio, tempDir, textOf, type TempDir } from '../helpers.js';
import { TASK_KEY_FILE, TaskIds, taskKey } from '../../../src/server/tasks/task-ids.js';
import { identityKey } from '../../../src/server/approvals/seal.js';
import { anonymousIdentity } from '../../../src/core/identity.js';
import { TASKS, pollTask, requester } from './requester.js';

const ROGUE = { type: 'stdio' as const, command: NODE, args: [fixtureScript('task-server'), '--stdio', '--always-task'] };
let backend: HttpFixture;
let gw: TestGateway;
let state: TempDir;
let job: string;

beforeAll(async () => {
  backend = await startHttpFixture('task-server');
  state = tempDir('gatehouse-tasks-');
  gw = await startGateway({ backends: { work: httpBackend(backend.url), plain: modernStdio(), rogue: ROGUE } }, { stateDir: state.path });
  await gw.ready();
  const tc = await connectClient('http-modern', { url: gw.url });
  const tools = await tc.client.listTools();
  job = tools.tools.find((t) => t.name === 'work_job')!.name;
  await tc.close();
}, 60_000);

afterAll(async () => {
  await closeAllClients();
  await gw?.stop();
  await backend?.stop();
  state?.remove();
});

describe('tasks through the gateway (2026-07-28)', () => {
  it('advertises the extension to a 2026-07-28 client because a backend does', async () => {
    const tc = await connectClient('http-modern', { url: gw.url });
    expect((tc.client.getServerCapabilities() as { extensions?: Record<string, unknown> }).extensions).toHaveProperty([TASKS]);
    await tc.close();
  });

  it('passes a CreateTaskResult through with a sealed id, and tasks/get routes back to the backend', async () => {
    const r = requester(gw.url);
    const created = await r.call('tools/call', { name: job, arguments: { ms: 50 } });
    expect(created.error).toBeUndefined();
    expect(created.result).toMatchObject({ resultType: 'task', status: 'working' });
    const taskId = String(created.result!.taskId);
    expect(taskId.startsWith('ght1.')).toBe(true);
    const done = await pollTask(r, taskId, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.taskId).toBe(taskId);
    expect(textOf(done.result as { content?: unknown })).toBe('job done after 50 ms');
    await gw.waitFor((e) => e.type === 'task.changed' && e.taskId === taskId && e.terminal);
  });

  it('carries an input_required task through tasks/update to completion', async () => {
    const r = requester(gw.url);
    const created = await r.call('tools/call', { name: job, arguments: { ms: 30, ask: true } });
    const taskId = String(created.result!.taskId);
    const waiting = await pollTask(r, taskId, ['input_required']);
    expect(waiting.inputRequests).toMatchObject({ confirm: { method: 'elicitation/create', params: { message: 'Proceed with the job?' } } });
    const updated = await r.call('tasks/update', { taskId, inputResponses: { confirm: { action: 'accept', content: { ok: 'sure' } } } });
    expect(updated.error).toBeUndefined();
    const done = await pollTask(r, taskId, ['completed', 'failed', 'cancelled']);
    expect(textOf(done.result as { content?: unknown })).toBe('job done after 30 ms, confirmed: sure');
  });

  it('cancels through tasks/cancel, and a failed task reports its error', async () => {
    const r = requester(gw.url);
    const long = String((await r.call('tools/call', { name: job, arguments: { ms: 60_000 } })).result!.taskId);
    expect((await r.call('tasks/cancel', { taskId: long })).error).toBeUndefined();
    expect((await pollTask(r, long, ['cancelled'])).status).toBe('cancelled');
    const failing = String((await r.call('tools/call', { name: job, arguments: { ms: 10, fail: true } })).result!.taskId);
    expect(await pollTask(r, failing, ['failed'])).toMatchObject({ error: { code: -32000 } });
  });

  it('binds a task to the identity that created it; a changed or foreign id is not found', async () => {
    const owner = requester(gw.url, { name: 'alice' });
    const other = requester(gw.url, { name: 'mallory' });
    const taskId = String((await owner.call('tools/call', { name: job, arguments: { ms: 60_000 } })).result!.taskId);
    for (const method of ['tasks/get', 'tasks/cancel'] as const) {
      const res = await other.call(method, { taskId });
      expect(res.error?.code).toBe(-32602);
      expect(res.error?.message).toMatch(/Task not found/);
    }
    // A backend task id, or our id with one character changed, is not one of ours.
    const tampered = taskId.slice(0, -2) + (taskId.at(-2) === 'A' ? 'B' : 'A') + taskId.slice(-1);
    expect(tampered).not.toBe(taskId);
    for (const id of [tampered, 'a-backend-task-id']) expect((await owner.call('tasks/get', { taskId: id })).error?.message).toMatch(/Task not found/);
    // The owner still sees it running (mallory's cancel did not reach the backend).
    expect((await owner.call('tasks/get', { taskId })).result?.status).toBe('working');
    await owner.call('tasks/cancel', { taskId });
  });

  it("a task the backend no longer knows: its error names the gateway's id, never the backend's", async () => {
    // A well-sealed id (the gateway's own key, from the state directory) for a task the backend never had.
    const ids = new TaskIds(taskKey(undefined, state.path));
    const taskId = ids.seal({ backend: 'work', task: 'gone-4711', owner: ids.owner(identityKey(anonymousIdentity('task-requester'))), tool: job });
    const res = await requester(gw.url).call('tasks/get', { taskId });
    expect(res.error?.code).toBe(-32602);
    expect(res.error?.message).toContain(`Task not found: ${taskId}`);
    expect(JSON.stringify(res)).not.toContain('gone-4711');
  });

  it('answers a client that did not declare the extension without a task', async () => {
    const r = requester(gw.url, { tasks: false });
    const res = await r.call('tools/call', { name: job, arguments: { ms: 10 } });
    expect(res.result?.resultType).toBe('complete');
    expect(textOf(res.result as { content?: unknown })).toBe('job done after 10 ms, without a task');
  });

  it('refuses a task a backend sends to a client that did not ask for one', async () => {
    const res = await requester(gw.url, { tasks: false }).call('tools/call', { name: 'rogue_job', arguments: { ms: 10 } });
    expect(res.error?.message).toMatch(/returned an invalid tools\/call result: it is a task, which the client did not ask for/);
    await gw.waitFor((e) => e.type === 'backend.invalid' && e.backend === 'rogue');
  });

  it('does not offer tasks to a 2025 session; its call gets the plain result', async () => {
    const tc = await connectClient('http-legacy', { url: gw.url });
    expect((tc.client.getServerCapabilities() as { extensions?: unknown }).extensions).toBeUndefined();
    const res = await tc.client.callTool({ name: job, arguments: { ms: 10 } });
    expect(textOf(res)).toBe('job done after 10 ms, without a task');
    await tc.close();
  });

  it('keeps routing a task id after the gateway restarts (key persisted 0600 in the state directory)', async () => {
    const r = requester(gw.url);
    const taskId = String((await r.call('tools/call', { name: job, arguments: { ms: 60_000 } })).result!.taskId);
    expect(statSync(join(state.path, TASK_KEY_FILE)).mode & 0o777).toBe(0o600);
    await gw.stop();
    gw = await startGateway({ backends: { work: httpBackend(backend.url), plain: modernStdio() } }, { stateDir: state.path });
    await gw.ready();
    const again = requester(gw.url);
    expect((await again.call('tasks/get', { taskId })).result).toMatchObject({ taskId, status: 'working' });
    expect((await again.call('tasks/cancel', { taskId })).error).toBeUndefined();
  }, 60_000);
});

describe('without a task backend', () => {
  it('does not advertise the extension', async () => {
    const plain = await startGateway({ backends: { plain: modernStdio() } });
    try {
      await plain.ready();
      const tc = await connectClient('http-modern', { url: plain.url });
      expect((tc.client.getServerCapabilities() as { extensions?: Record<string, unknown> }).extensions?.[TASKS]).toBeUndefined();
      await tc.close();
    } finally {
      await plain.stop();
    }
  }, 60_000);
});
