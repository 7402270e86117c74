// A task belongs to the authenticated identity that created it (gateway.auth.mode bearer, real
// client tokens): another token gets "not found" even under the same client name, and cannot
// cancel it. Backend: test/fixtures/servers/task-server.mjs over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientTokenStore } from '../../../src/core/auth/client-tokens.js';
import { buildInboundAuth } from '../../../src/server/inbound/auth.js';
import { startHttpFixture, type HttpFixture } from '../../fixtures/servers/spawn-fixture.js';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { httpBackend } from '../helpers.js';
import { pollTask, requester } from './requester.js';

let dir: string;
let laptop: string;
let ci: string;
let backend: HttpFixture;
let gw: TestGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-task-auth-'));
  const store = new ClientTokenStore(dir);
  laptop = store.create('laptop').token;
  ci = store.create('ci').token;
  backend = await startHttpFixture('task-server');
  const auth = buildInboundAuth({ mode: 'bearer' }, { configDir: dir });
  gw = await startGateway({ backends: { work: httpBackend(backend.url) } }, { authenticate: auth.authenticate, wellKnown: auth.wellKnown, stateDir: dir });
  await gw.ready();
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await backend?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tasks under bearer auth', { timeout: 60_000 }, () => {
  it('only the creating token reaches its task, whatever name the client announces', async () => {
    const mine = requester(gw.url, { name: 'agent', headers: { authorization: `Bearer ${laptop}` } });
    const theirs = requester(gw.url, { name: 'agent', headers: { authorization: `Bearer ${ci}` } });
    const created = await mine.call('tools/call', { name: 'work_job', arguments: { ms: 60_000 } });
    expect(created.error).toBeUndefined();
    const taskId = String(created.result!.taskId);
    for (const method of ['tasks/get', 'tasks/update', 'tasks/cancel'] as const) {
      const res = await theirs.call(method, { taskId, ...(method === 'tasks/update' ? { inputResponses: {} } : {}) });
      expect(res.error?.code, method).toBe(-32602);
      expect(res.error?.message).toMatch(/Task not found/);
    }
    expect((await mine.call('tasks/get', { taskId })).result?.status).toBe('working');
    expect((await mine.call('tasks/cancel', { taskId })).error).toBeUndefined();
    expect((await pollTask(mine, taskId, ['cancelled'])).status).toBe('cancelled');
    const events = gw.events.filter((e) => e.type === 'task.changed' && e.taskId === taskId);
    expect(events.map((e) => (e as { client: string }).client)).toContain('laptop');
  });
});
