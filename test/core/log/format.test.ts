import { describe, expect, it } from 'vitest';
import { EventBus, type GatewayEvent } from '../../../src/core/events.js';
import { eventLevel, formatJson, formatPretty } from '../../../src/core/log/format.js';
import { createEventLogger, detectColor } from '../../../src/core/log/logger.js';

const AT = Date.UTC(2026, 6, 28, 12, 0, 1, 234);

/** One event of every type, with every field filled. */
function everyEvent(text: (field: string) => string, at = AT): GatewayEvent[] {
  const s = text;
  return [
    { type: 'gateway.listening', at, url: s('url'), host: s('host'), port: 7420, transports: [s('transport1'), s('transport2')] },
    { type: 'gateway.stopping', at, reason: s('reason'), inFlight: 2 },
    { type: 'gateway.stopped', at },
    { type: 'backend.state', at, backend: s('backend'), state: 'failed', reason: s('reason'), tools: 1, resources: 2, prompts: 3, protocolVersion: s('protocolVersion'), serverName: s('serverName'), serverVersion: s('serverVersion'), retryInMs: 2000 },
    { type: 'backend.stderr', at, backend: s('backend'), line: s('line') },
    { type: 'catalog.changed', at, kind: 'tools', backend: s('backend'), diff: { added: [s('added')], removed: [s('removed')], changed: [s('changed')] }, total: 9 },
    { type: 'naming.warning', at, message: s('message'), backend: s('backend'), name: s('name') },
    { type: 'session.opened', at, sessionId: s('sessionId'), client: s('client'), era: 'legacy', transport: s('transport') },
    { type: 'session.closed', at, sessionId: s('sessionId'), client: s('client') },
    { type: 'call.started', at, callId: s('callId'), client: s('client'), sessionId: s('sessionId'), method: s('method'), name: s('name'), backend: s('backend'), requestBytes: 120 },
    { type: 'call.finished', at, callId: s('callId'), client: s('client'), sessionId: s('sessionId'), method: s('method'), name: s('name'), backend: s('backend'), durationMs: 12, outcome: 'error', responseBytes: 3500, error: s('error') },
    { type: 'relay.unattributed', at, backend: s('backend'), method: s('method'), reason: s('reason') },
    { type: 'auth.failed', at, reason: s('reason'), remote: s('remote') },
    { type: 'session.taken_over', at, sessionId: s('sessionId'), client: s('client'), from: s('from'), by: s('by') },
  ];
}

const plainText = (f: string) => `v-${f}`;

describe('formatJson', () => {
  it('writes one parseable object per event that reads back as the event', () => {
    const lines = everyEvent(plainText).map(formatJson);
    for (const line of lines) {
      expect(line).not.toContain('\n');
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed.time).toBe('2026-07-28T12:00:01.234Z');
      expect(['debug', 'info', 'warn', 'error']).toContain(parsed.level);
    }
    const finished = JSON.parse(lines[10]!) as Record<string, unknown>;
    expect(finished).toMatchObject({ type: 'call.finished', at: AT, callId: 'v-callId', durationMs: 12, outcome: 'error', level: 'warn', responseBytes: 3500 });
  });

  it('keeps control characters escaped, so a line is always one line', () => {
    const line = formatJson({ type: 'backend.stderr', at: AT, backend: 'a', line: 'one\ntwo\r\n\u001b[31mred\u001b[0m' });
    expect(line.split('\n')).toHaveLength(1);
    expect(line).not.toContain('\u001b');
    expect((JSON.parse(line) as { line: string }).line).toBe('one\ntwo\r\n\u001b[31mred\u001b[0m');
  });
});

describe('formatPretty', () => {
  it('says which replica a session was taken over from', () => {
    const line = formatPretty({ type: 'session.taken_over', at: 0, sessionId: 'gh1.a.b.c', client: 'cursor', from: 'replicaA', by: 'replicaB' }, { timestamps: false, color: false });
    expect(line).toContain('cursor taken over from replica replicaA');
    expect(line).toContain('session=gh1.a.b.c');
    expect(line).toContain('by=replicaB');
  });

  it('says why a session closed', () => {
    for (const reason of ['expired', 'evicted', 'deleted', 'disconnected', 'shutdown'] as const) {
      const line = formatPretty({ type: 'session.closed', at: 0, sessionId: 's-1', client: 'cursor', reason }, { timestamps: false, color: false });
      expect(line).toMatch(new RegExp(`session\\.closed.*cursor.*session=s-1.*reason=${reason}`));
    }
  });

  it('reads as one line per event with the facts that matter', () => {
    const [listening, , , state, , catalog, , , , started, finished] = everyEvent(plainText).map((e) => formatPretty(e, { timestamps: false }));
    expect(listening).toBe('INFO  gateway.listening  listening on v-url transports=v-transport1,v-transport2');
    expect(state).toBe('ERROR backend.state      v-backend failed: v-reason tools=1 resources=2 prompts=3 protocol=v-protocolVersion server=v-serverName@v-serverVersion retryIn=2.0s');
    expect(catalog).toBe('INFO  catalog.changed    tools +1 -1 ~1 total=9 backend=v-backend');
    expect(started).toBe('DEBUG call.started       v-method v-name client=v-client backend=v-backend req=120B id=v-callId session=v-sessionId');
    expect(finished).toBe('WARN  call.finished      v-method v-name error 12ms client=v-client backend=v-backend resp=3.4K id=v-callId session=v-sessionId error=v-error');
  });

  it('starts with local time when timestamps are on', () => {
    expect(formatPretty(everyEvent(plainText)[2]!)).toMatch(/^\d\d:\d\d:\d\d\.234 INFO  gateway.stopped +stopped$/);
  });

  it('never carries escape sequences without colour, even when a backend sends them', () => {
    const hostile = (f: string) => `\u001b[31m${f}\u001b[0m\u001b]0;title\u0007\r\nnext\u0000`;
    for (const e of everyEvent(hostile)) {
      const line = formatPretty(e, { color: false });
      // eslint-disable-next-line no-control-regex
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
    const stderr = formatPretty({ type: 'backend.stderr', at: AT, backend: 'a', line: '\u001b[1mbold\u001b[0m\nnext' }, { timestamps: false });
    expect(stderr).toBe('INFO  backend.stderr     a | bold\\nnext');
  });

  it('colours only when asked', () => {
    const e = everyEvent(plainText)[3]!;
    expect(formatPretty(e, { color: true })).toContain('\u001b[31m');
    expect(formatPretty(e, { color: false })).not.toContain('\u001b');
  });

  it('quotes values with spaces so key=value stays parseable', () => {
    const line = formatPretty({ type: 'auth.failed', at: AT, reason: 'bad origin', remote: '10.0.0.1 via proxy' }, { timestamps: false });
    expect(line).toBe('WARN  auth.failed        bad origin remote="10.0.0.1 via proxy"');
  });
});

describe('secrets', () => {
  // Each has an obvious marker (a scheme, a header or key name, a known prefix, or sheer randomness).
  const SECRETS: Array<[string, string]> = [
    ['Bearer s3cr3tB3arerT0ken', 's3cr3tB3arerT0ken'],
    ['Authorization: Basic dXNlcjpodW50ZXIyMg==', 'dXNlcjpodW50ZXIyMg'],
    ['CF-Access-Client-Secret: cfsecretvalue123', 'cfsecretvalue123'],
    ['password=hunter22hunter', 'hunter22hunter'],
    ['api_key: topsecretkeyvalue', 'topsecretkeyvalue'],
    ['"token":"opaqueTokenValue9"', 'opaqueTokenValue9'],
    ['https://bob:b0bsPassw0rd@example.com/mcp', 'b0bsPassw0rd'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlMTIzNDU2Nzg5', 'eyJzdWIiOiJib2IifQ'],
    ['ghp_0123456789abcdefghijABCDEFGHIJ', 'ghp_0123456789abcdefghijABCDEFGHIJ'],
    ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b'],
    ['Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdI', 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MEFCQ0RFRkdI'],
  ];

  it('never appear in any field of any event, in either format', () => {
    for (const [secret, core] of SECRETS) {
      const events = everyEvent((f) => `${f} saw ${secret} (end)`);
      for (const e of events) {
        for (const line of [formatJson(e), formatPretty(e), formatPretty(e, { color: true })]) {
          expect(line, `${e.type} leaked ${core}`).not.toContain(core);
        }
      }
    }
  });

  it('never appear through the logger either', () => {
    const bus = new EventBus();
    const out: string[] = [];
    const stop = createEventLogger(bus, { format: 'json', stream: { write: (s) => (out.push(s), true) } });
    for (const [secret] of SECRETS) {
      for (const e of everyEvent(() => `x ${secret}`)) {
        const { type, at: _at, ...payload } = e;
        bus.emit(type, payload as never);
      }
    }
    stop.stop();
    const all = out.join('');
    for (const [, core] of SECRETS) expect(all).not.toContain(core);
  });
});

describe('createEventLogger', () => {
  function sink(isTTY = false) {
    const lines: string[] = [];
    return { lines, stream: { isTTY, write: (s: string) => (lines.push(s), true) } };
  }

  it('writes one line per event and stops when asked', () => {
    const bus = new EventBus();
    const { lines, stream } = sink();
    const logger = createEventLogger(bus, { format: 'pretty', stream });
    bus.emit('gateway.listening', { url: 'http://127.0.0.1:7420/mcp', host: '127.0.0.1', port: 7420, transports: ['streamable-http'] });
    bus.emit('call.started', { callId: '1', client: 'c', method: 'tools/list', requestBytes: 10 });
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    logger.stop();
    bus.emit('gateway.stopped', {});
    expect(lines).toHaveLength(2);
  });

  it('filters by level', () => {
    const bus = new EventBus();
    const { lines, stream } = sink();
    createEventLogger(bus, { format: 'json', stream, level: 'info' });
    bus.emit('call.started', { callId: '1', client: 'c', method: 'tools/call', requestBytes: 10 });
    bus.emit('call.finished', { callId: '1', client: 'c', method: 'tools/call', durationMs: 1, outcome: 'ok', responseBytes: 1 });
    expect(lines.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(['call.finished']);
  });

  it('colours a terminal by default but never a pipe, and never JSON', () => {
    const bus = new EventBus();
    const tty = sink(true);
    const pipe = sink(false);
    const json = sink(true);
    const env = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      createEventLogger(bus, { format: 'pretty', stream: tty.stream });
      createEventLogger(bus, { format: 'pretty', stream: pipe.stream });
      createEventLogger(bus, { format: 'json', stream: json.stream });
      bus.emit('backend.state', { backend: 'a', state: 'failed', reason: 'x' });
    } finally {
      if (env !== undefined) process.env.NO_COLOR = env;
    }
    if (detectColor({ isTTY: true })) expect(tty.lines[0]).toContain('\u001b[');
    expect(pipe.lines[0]).not.toContain('\u001b');
    expect(json.lines[0]).not.toContain('\u001b');
  });

  it('drops lines instead of queueing when the stream pushes back, then says how many', () => {
    const bus = new EventBus();
    const written: string[] = [];
    let drain: (() => void) | undefined;
    const stream = {
      write: (s: string) => {
        written.push(s);
        return false;
      },
      once: (_: 'drain', l: () => void) => {
        drain = l;
      },
    };
    const logger = createEventLogger(bus, { format: 'json', stream });
    for (let i = 0; i < 5; i++) bus.emit('naming.warning', { message: `w${i}` });
    expect(written).toHaveLength(1);
    expect(logger.dropped).toBe(4);
    drain?.();
    expect(JSON.parse(written[1]!)).toMatchObject({ type: 'log.dropped', count: 4, level: 'warn' });
  });

  it('detects colour from the stream and the environment', () => {
    expect(detectColor({ isTTY: true }, {})).toBe(true);
    expect(detectColor({ isTTY: false }, {})).toBe(false);
    expect(detectColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(detectColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(detectColor({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });

  it('levels follow severity', () => {
    const events = everyEvent(plainText);
    expect(events.map((e) => eventLevel(e))).toEqual(['info', 'info', 'info', 'error', 'info', 'info', 'warn', 'info', 'info', 'debug', 'warn', 'warn', 'warn', 'info']);
  });
});
