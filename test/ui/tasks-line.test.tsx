// The dashboard's running-tasks count (Tasks extension), fed by task.changed events: shown in the
// header line of every view while a task runs, with the tools it came from; gone when it ends.
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Dashboard } from '../../src/ui/Dashboard.js';
import { DashboardStore } from '../../src/ui/store.js';
import { EventBus, gateway } from './events.js';
import { until } from './wait.js';

afterEach(() => cleanup());

function setup() {
  const bus = new EventBus();
  const store = new DashboardStore(bus, { throttleMs: 0 });
  const ui = render(<Dashboard store={store} onQuit={() => undefined} endpoint="http://127.0.0.1:7420/mcp" rows={30} columns={140} />);
  gateway(bus).listening();
  const task = (taskId: string, status: string, tool = 'work_job') =>
    bus.emit('task.changed', { taskId, backend: 'work', client: 'agent', status, terminal: ['completed', 'failed', 'cancelled'].includes(status), tool });
  return { task, frame: () => ui.lastFrame() ?? '' };
}

describe('running tasks in the dashboard', () => {
  it('counts tasks from creation until a terminal status, naming their tools', async () => {
    const { task, frame } = setup();
    await until(frame, (f) => f.includes('listening'), 'the first frame');
    expect(frame()).not.toContain('running (');
    task('t1', 'working');
    task('t2', 'input_required', 'work_sync');
    await until(frame, (f) => f.includes('2 tasks running (work_job, work_sync)'), 'two running tasks');
    task('t2', 'working', 'work_sync');
    task('t1', 'completed');
    await until(frame, (f) => f.includes('1 task running (work_sync)'), 'one left');
    task('t2', 'cancelled', 'work_sync');
    await until(frame, (f) => !f.includes('task running') && !f.includes('tasks running'), 'none left');
  });
});
