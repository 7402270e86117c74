import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render } from 'ink-testing-library';
import { Dashboard, type ViewName } from '../../src/ui/Dashboard.js';
import { DashboardStore } from '../../src/ui/store.js';
import { EventBus, gateway } from './events.js';
import { selectedLine, until } from './wait.js';

afterEach(() => {
  cleanup();
});

const ENTER = '\r';
const ESC = '\u001b';
const DOWN = '\u001b[B';
const BACKSPACE = '\u007f';

function setup(options: { rows?: number; columns?: number; view?: ViewName } = {}) {
  const bus = new EventBus();
  const store = new DashboardStore(bus, { throttleMs: 0 });
  const onQuit = vi.fn();
  const ui = render(<Dashboard store={store} onQuit={onQuit} rows={options.rows ?? 30} columns={options.columns ?? 100} initialView={options.view} />);
  const frame = () => ui.lastFrame() ?? '';
  /** Types keys one at a time, each after the previous one's effect is on screen. */
  const press = async (key: string, expectText: string | RegExp, what = `${JSON.stringify(key)} → ${String(expectText)}`) => {
    ui.stdin.write(key);
    return until(frame, (f) => (typeof expectText === 'string' ? f.includes(expectText) : expectText.test(f)), what);
  };
  return { bus, store, g: gateway(bus), onQuit, ui, frame, press };
}

function tools(bus: EventBus, names: string[], entries?: Array<{ name: string; description?: string; schema?: unknown }>) {
  bus.emit('catalog.changed', { kind: 'tools', diff: { added: names, removed: [], changed: [] }, total: names.length, entries });
}

describe('dashboard views', () => {
  it('shows the key line and view tabs on every view, and ? opens and closes help', async () => {
    const { frame, press } = setup();
    await until(frame, (f) => f.includes('1 Overview'), 'first frame');
    for (const [key, title] of [
      ['2', '▸ Backends'],
      ['3', '▸ Catalog'],
      ['4', '▸ Calls'],
      ['5', '▸ Sessions'],
      ['6', '▸ Errors'],
      ['1', '▸ Recent calls'],
    ] as const) {
      const f = await press(key, title);
      const lines = f.split('\n');
      expect(lines.at(-1), `key line on ${title}`).toMatch(/\? help.*q quit/);
      expect(f).toContain('2 Backends');
    }
    let f = await press('?', '▸ Keys');
    expect(f).toContain('filter the list');
    expect(f.split('\n').at(-1)).toContain('close help');
    f = await press('?', '▸ Recent calls');
    expect(f).not.toContain('▸ Keys');
    // l / h and the arrows walk the tabs.
    await press('l', '▸ Backends');
    await press('\u001b[C', '▸ Catalog');
    await press('h', '▸ Backends');
  });

  it('counts calls so the parts add up to the total', async () => {
    const { g, frame } = setup();
    g.call('a');
    g.call('b', 'everything', { outcome: 'error', error: 'boom' });
    g.call('c', 'everything', { outcome: 'timeout' });
    g.call('d', 'everything', { outcome: 'tool-error' });
    g.call('e', 'everything', { outcome: 'cancelled' });
    g.start('f');
    const f = await until(frame, (x) => x.includes('in flight 1'), 'counts');
    const header = f.split('\n').find((l) => l.startsWith('calls ')) ?? '';
    expect(header).toMatch(/^calls 6: ok 1 · errors 1 · timeouts 1 · tool errors 1 · cancelled 1 · in flight 1/);
    const total = Number(/^calls (\d+):/.exec(header)?.[1]);
    const parts = [...header.split('sessions')[0]!.matchAll(/(?:ok|errors|timeouts|tool errors|cancelled|in flight) (\d+)/g)].map((m) => Number(m[1]));
    expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
  });

  it('clears the failure banner when the backend recovers, and keeps it in the error history', async () => {
    const { g, frame, press } = setup();
    g.backend('flaky', 'failed', { reason: 'connection refused', retryInMs: 30_000 });
    let f = await until(frame, (x) => x.includes('⚠ flaky failed: connection refused'), 'banner');
    expect(f).toMatch(/retry in \d+s/);
    expect(f).toContain('1 in errors: press 6');
    g.backend('flaky', 'starting');
    g.backend('flaky', 'ready', { tools: 3 });
    f = await until(frame, (x) => !x.includes('⚠'), 'the banner to clear');
    expect(f).toMatch(/flaky\s+● ready/);
    f = await press('6', '▸ Errors');
    expect(selectedLine(f)).toMatch(/backend\s+flaky\s+flaky failed: connection refused/);
  });

  it('opens a backend: state history with reasons and retry, stderr, tools, protocol, era and restarts', async () => {
    const { g, bus, frame, press } = setup({ rows: 40 });
    g.backend('alpha', 'ready', { tools: 1 });
    g.backend('flaky', 'starting');
    g.backend('flaky', 'ready', { tools: 2, protocolVersion: '2026-07-28', serverName: 'flaky-server', serverVersion: '0.9' });
    g.backend('flaky', 'failed', { reason: 'process exited with code 1', retryInMs: 4000 });
    g.backend('flaky', 'starting');
    bus.emit('backend.stderr', { backend: 'flaky', line: 'listening on stdio' });
    bus.emit('backend.stderr', { backend: 'flaky', line: 'panic: out of cheese' });
    tools(bus, ['flaky_weather', 'flaky_echo', 'alpha_add']);
    await until(frame, (x) => x.includes('flaky'), 'backends');
    await press('2', '▸ Backends');
    await press('j', /› flaky/);
    const f = await press(ENTER, '▸ Backend flaky');
    expect(f).toContain('Protocol   2026-07-28 (modern, stateless)');
    expect(f).toContain('flaky-server 0.9');
    expect(f).toContain('Restarts   1');
    expect(f).toMatch(/failed — process exited with code 1 · retry after 4\.0s/);
    expect(f.indexOf('◌ starting')).toBeLessThan(f.indexOf('✗ failed')); // newest first
    expect(f).toContain('flaky_weather');
    expect(f).not.toContain('alpha_add');
    expect(f).toContain('panic: out of cheese');
    await press(ESC, /› flaky/);
  });

  it('takes Esc and a key read together (tmux send-keys, a fast typist) as the two keys, not as Alt+key', async () => {
    const { g, frame, press } = setup();
    g.backend('alpha', 'ready', { tools: 1 });
    await until(frame, (x) => x.includes('alpha'), 'backends');
    await press('2', '▸ Backends');
    await press(ENTER, '▸ Backend alpha');
    // One read: "\u001b5" is what the terminal delivers for Esc then 5 typed within a few ms.
    const f = await press(`${ESC}5`, '▸ Sessions');
    expect(f).not.toContain('▸ Backend alpha');
  });

  it('filters the catalog with / and opens a tool’s description and schema; aliases show use counts', async () => {
    const { bus, frame, press } = setup();
    tools(bus, ['everything_echo', 'everything_add', 'github_search'], [
      { name: 'everything_echo', description: 'Echoes back the input.\nSecond line of the description.', schema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } },
    ]);
    bus.emit('catalog.changed', { kind: 'prompts', diff: { added: ['everything_simple'], removed: [], changed: [] }, total: 1 });
    bus.emit('alias.used', { alias: 'echo', target: 'everything_echo', client: 'claude-code', expired: false });
    bus.emit('alias.used', { alias: 'echo', target: 'everything_echo', client: 'cursor', expired: true });
    let f = await press('3', '▸ Catalog');
    f = await until(frame, (x) => x.includes('github_search') && x.includes('alias'), 'catalog rows');
    expect(f).toMatch(/alias\s+echo\s+—\s+→ everything_echo · used 2× \(1 expired\)/);
    expect(f).toMatch(/prompt\s+everything_simple/);

    await press('/', '/▏');
    for (const ch of 'ech') await press(ch, `/${'ech'.slice(0, 'ech'.indexOf(ch) + 1)}▏`);
    f = await press(ENTER, /2 of 5 match {2}\/ech(?!▏)/);
    expect(f).not.toContain('github_search');
    expect(selectedLine(f)).toContain('everything_echo');
    f = await press(ENTER, '▸ tool everything_echo');
    expect(f).toContain('Second line of the description.');
    expect(f).toContain('"required": [');
    expect(f).toContain('"message"');
    await press(ESC, /› tool\s+everything_echo/);
    // Esc clears the filter; a filter that matches nothing says so.
    f = await press(ESC, 'github_search');
    await press('/', '/▏');
    for (const ch of 'zz') ui_write(ch);
    await until(frame, (x) => x.includes('Nothing matches "zz"'), 'no match');

    function ui_write(ch: string) {
      // Typed without waiting: a fast typist's keys must all land.
      press(ch, ch).catch(() => undefined);
    }
  });

  it('filters calls by field and opens one call: client, redacted arguments, whole multi-line error', async () => {
    const { g, frame, press } = setup({ rows: 40, columns: 80 });
    g.call('github_search', 'github');
    const id = g.start('everything_add', 'everything', { arguments: { a: 1, apiKey: 'sk-live-123456789' }, identity: 'alice', traceId: 'abc123' });
    const longError = `MCP error -32603: Internal error\nat step two: ${'x'.repeat(150)}\nfinal line of the error`;
    g.finish(id, 'everything_add', 'everything', { outcome: 'error', error: longError, durationMs: 321 });
    g.call('everything_echo', 'everything');
    await press('4', '▸ Calls');
    await press('/', '/▏');
    for (const [i, ch] of [...'outcome:error'].entries()) await press(ch, `/${'outcome:error'.slice(0, i + 1)}▏`);
    let f = await press(ENTER, '1 of 3 match');
    expect(selectedLine(f)).toContain('everything_add');
    f = await press(ENTER, '▸ Call everything_add');
    expect(f).toContain('claude-code · identity alice');
    expect(f).toContain('trace abc123');
    expect(f).toContain('Duration   321ms');
    expect(f).toContain('"a": 1');
    expect(f).toContain('[REDACTED]');
    expect(f).not.toContain('sk-live-123456789');
    expect(f).toContain('MCP error -32603: Internal error');
    expect(f).toContain('final line of the error');
    // The long line is wrapped, not cut: all 150 x's are on screen.
    expect((f.match(/x/g) ?? []).length).toBeGreaterThanOrEqual(150);
    for (const l of f.split('\n')) expect([...l].length).toBeLessThanOrEqual(80);
    await press(ESC, /› .*everything_add/);
    await press(ESC, 'everything_echo'); // filter cleared
  });

  it('scrolls a long detail with j/k and PgDn', async () => {
    const { g, frame, press } = setup({ rows: 24, columns: 80 });
    const lines = Array.from({ length: 60 }, (_, i) => `error line ${i}`).join('\n');
    g.call('everything_fail', 'everything', { outcome: 'error', error: lines });
    await press('4', '▸ Calls');
    let f = await press(ENTER, '▸ Call everything_fail');
    expect(f).not.toContain('error line 59');
    expect(f).toMatch(/lines 1–\d+ of \d+/);
    f = await press('j', /lines 2–/);
    f = await press('G', 'error line 59');
    f = await press('g', /lines 1–/);
    await press('\u001b[6~', /lines \d{2}–/); // PgDn
    expect(frame().split('\n').length).toBeLessThan(24);
  });

  it('lists sessions with era, transport, identity, age and idle; closed ones stay readable', async () => {
    const { bus, g, frame, press } = setup();
    bus.emit('session.opened', { sessionId: 's-legacy-1', client: 'claude-code', era: 'legacy', transport: 'streamable-http', identity: 'alice' });
    bus.emit('session.opened', { sessionId: 's-sse-2', client: 'cursor', era: 'legacy', transport: 'sse' });
    g.start('everything_echo', 'everything', { sessionId: 's-legacy-1' });
    bus.emit('session.closed', { sessionId: 's-sse-2', client: 'cursor', reason: 'expired' });
    await until(frame, (x) => x.includes('sessions 1'), 'session count');
    let f = await press('5', '▸ Sessions');
    expect(f).toMatch(/s-legacy-1\s+claude-code\s+legacy\s+streamable-http\s+alice\s+\S+\s+\S+\s+1/);
    expect(f).toMatch(/s-sse-2\s+cursor\s+legacy\s+sse\s+—.*closed expired/);
    await press('j', /› s-sse-2/);
    f = await press(ENTER, '▸ Session s-sse-2');
    expect(f).toContain('— expired');
  });

  it('opens an error from the history, and from a call error on to the call', async () => {
    const { g, bus, frame, press } = setup();
    bus.emit('naming.warning', { message: 'tool name collision: echo', backend: 'everything' });
    for (let i = 0; i < 8; i++) g.call(`t${i}`, 'everything', { outcome: 'error', error: `failure number ${i}\nwith detail` });
    await until(frame, (x) => x.includes('errors 8'), 'errors');
    let f = await press('6', '▸ Errors');
    expect(f).toContain('9');
    expect(selectedLine(f)).toContain('t7 error: failure number 7');
    await press('k', /› .*t6 error/);
    f = await press(ENTER, '▸ call error');
    expect(f).toContain('failure number 6');
    expect(f).toContain('with detail');
    f = await press(ENTER, '▸ Call t6');
    await press('g', '▸ Call t6'); // detail keys scroll, they do not move the list
    await press(ESC, /› .*t6/);
    // Back on errors, the error we came from is still open; Esc returns to the list.
    await press('6', '▸ call error');
    await press(ESC, '▸ Errors');
    await press('g', /› .*naming/);
  });

  it('fits 80x24 in every view without wrapping', async () => {
    const { g, bus, ui, frame, press } = setup({ rows: 24, columns: 80 });
    g.backend('a-backend-with-a-rather-long-name', 'failed', { reason: 'x'.repeat(300) });
    tools(bus, Array.from({ length: 40 }, (_, i) => `a_tool_${i}`));
    bus.emit('session.opened', { sessionId: 'z'.repeat(120), client: 'c'.repeat(120), era: 'legacy', transport: 'streamable-http', identity: 'i'.repeat(90) });
    for (let i = 0; i < 40; i++) g.call(`tool_with_a_long_name_${i}`, 'a-backend-with-a-rather-long-name', { outcome: 'error', error: 'y'.repeat(400) });
    // Overview last: it is already on screen, so its key would not prove input is live yet.
    for (const [key, title] of [
      ['2', '▸ Backends'],
      ['3', '▸ Catalog'],
      ['4', '▸ Calls'],
      ['5', '▸ Sessions'],
      ['6', '▸ Errors'],
      ['1', 'Recent calls'],
    ] as const) {
      const check = (f: string, what: string) => {
        const lines = f.split('\n');
        expect(lines.length, `${what} height`).toBeLessThan(24);
        for (const l of lines) expect([...l].length, `${what}: ${l}`).toBeLessThanOrEqual(80);
      };
      check(await press(key, title), title);
      check(await press(ENTER, 'Esc back'), `${title} detail`);
      ui.stdin.write(ESC);
      await until(frame, (f) => !f.includes('Esc back'), `${title} detail to close`);
    }
  });

  it('follows a resize from large to 80x24 without overflowing', async () => {
    const bus = new EventBus();
    const store = new DashboardStore(bus, { throttleMs: 0 });
    const g = gateway(bus);
    for (let i = 0; i < 60; i++) g.call(`tool_${i}`, 'everything', { outcome: i % 2 ? 'ok' : 'error', error: 'e'.repeat(200) });
    const ui = render(<Dashboard store={store} onQuit={() => undefined} rows={50} columns={160} initialView="calls" />);
    const frame = () => ui.lastFrame() ?? '';
    await until(frame, (x) => x.includes('tool_59'), 'first frame');
    expect(frame().split('\n').length).toBeGreaterThan(30);
    ui.rerender(<Dashboard store={store} onQuit={() => undefined} rows={24} columns={80} initialView="calls" />);
    const f = await until(frame, (x) => x.split('\n').length < 24, 'the smaller frame');
    for (const l of f.split('\n')) expect([...l].length).toBeLessThanOrEqual(80);
    expect(selectedLine(f)).toContain('tool_59');
  });

  it('takes a chunk of keys typed faster than they are read one by one', async () => {
    const { g, ui, frame, press } = setup();
    g.call('alpha_one', 'alpha');
    g.call('beta_two', 'beta');
    g.call('beta_three', 'beta');
    await press('4', '▸ Calls');
    ui.stdin.write('/beta\r');
    let f = await until(frame, (x) => x.includes('2 of 3 match') && !x.includes('▏'), 'a pasted filter and Enter');
    expect(f).not.toContain('alpha_one');
    ui.stdin.write('\u001b');
    await until(frame, (x) => x.includes('alpha_one'), 'Esc to clear the filter');
    ui.stdin.write('\r');
    await until(frame, (x) => x.includes('Esc back'), 'Enter to open the call');
    ui.stdin.write('\u001b\u001b'); // back from the detail, then follow again
    await until(frame, (x) => !x.includes('Esc back') && x.includes('following'), 'a double Esc to act twice');
    ui.stdin.write('kk');
    f = await until(frame, (x) => selectedLine(x).includes('alpha_one'), 'kk to move up two rows');
  });

  it('q quits from a list but types into a filter', async () => {
    const { onQuit, press } = setup();
    await press('4', '▸ Calls');
    await press('/', '/▏');
    await press('q', '/q▏');
    expect(onQuit).not.toHaveBeenCalled();
    await press(BACKSPACE, /\/▏/);
    await press(ENTER, '▸ Calls');
    await press(DOWN, '▸ Calls');
  });
});
