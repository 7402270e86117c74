// The reconcile plan on its own (which backends start, stop, restart or stay; which settings apply
// live and which need a restart), the admin answer guards, and the log lines of the config events.
import { describe, expect, it } from 'vitest';
import { checkAdminAnswer } from '../../../src/core/admin/index.js';
import type { GatehouseConfig } from '../../../src/core/config/schema.js';
import type { GatewayEvent } from '../../../src/core/events.js';
import { formatJson, formatPretty } from '../../../src/core/log/format.js';
import { isEmptyPlan, planReconcile, summarize } from '../../../src/server/reconcile.js';

const stdio = (arg: string) => ({ type: 'stdio' as const, command: 'node', args: [arg] });
const rest = { type: 'rest' as const, baseUrl: 'https://api.example', tools: [{ name: 'get', method: 'GET' as const, path: '/x' }] };
const cfg = (backends: GatehouseConfig['backends'], gateway?: GatehouseConfig['gateway']): GatehouseConfig => ({ version: 1, backends, ...(gateway ? { gateway } : {}) }) as GatehouseConfig;

describe('planReconcile', () => {
  it('sorts backends into start, stop, restart and unchanged by their whole block', () => {
    const plan = planReconcile(cfg({ a: stdio('a'), b: stdio('b'), c: stdio('c') }), cfg({ a: stdio('a'), b: { ...stdio('b'), disabled: true }, d: stdio('d') }));
    expect(summarize(plan)).toEqual({ added: ['d'], removed: ['c'], restarted: ['b'], unchanged: ['a'], settings: [], restartNeeded: [] });
  });

  it('an identical config is an empty plan', () => {
    const c = cfg({ a: stdio('a') }, { separator: '-', port: 7000 });
    const plan = planReconcile(c, structuredClone(c));
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.unchanged).toEqual(['a']);
  });

  it('applies naming, aliases, timeouts and the refresh interval live; host, port, allowed hosts/origins and auth need a restart', () => {
    const plan = planReconcile(
      cfg({ a: stdio('a') }),
      cfg({ a: stdio('a') }, { prefixMode: 'never', separator: '.', callTimeout: 5, refreshInterval: 10, aliases: { map: { x: 'a_y' } }, host: '0.0.0.0', port: 1, allowedHosts: ['h'], auth: { mode: 'bearer' } }),
    );
    expect(summarize(plan).settings).toEqual(['gateway.prefixMode', 'gateway.separator', 'gateway.aliases', 'gateway.callTimeout', 'gateway.refreshInterval']);
    expect(plan.restartNeeded).toEqual(['gateway.host', 'gateway.port', 'gateway.allowedHosts', 'gateway.auth']);
    expect(plan.unchanged).toEqual(['a']);
  });

  it('a changed plan store (or any approvals setting) is reported as needing a restart, not silently ignored', () => {
    const plan = planReconcile(cfg({ a: stdio('a') }), cfg({ a: stdio('a') }, { approvals: { store: 'env:PLANS_URL' } }));
    expect(plan.restartNeeded).toEqual(['gateway.approvals']);
  });

  it('restarts REST backends when the networks they were built with change, and leaves MCP backends alone', () => {
    const plan = planReconcile(cfg({ api: rest, a: stdio('a') } as GatehouseConfig['backends']), cfg({ api: rest, a: stdio('a') } as GatehouseConfig['backends'], { allowedNetworks: ['10.0.0.0/8'] }));
    expect(plan.restart.map(([n]) => n)).toEqual(['api']);
    expect(plan.unchanged).toEqual(['a']);
  });
});

describe('admin answer guards', () => {
  it('accept the shapes the gateway sends and refuse others', () => {
    const summary = { added: [], removed: [], restarted: [], unchanged: ['a'], settings: [], restartNeeded: [] };
    expect(checkAdminAnswer('POST /reload', { applied: true, changed: false, source: 'f', summary })).toBe(true);
    expect(checkAdminAnswer('POST /reload', { applied: false, source: 'f', error: { source: 'f', message: 'bad' } })).toBe(true);
    expect(checkAdminAnswer('POST /reload', { applied: true, source: 'f' })).toBe(false);
    expect(checkAdminAnswer('POST /refresh', { refreshed: [], tools: { added: [], removed: [], changed: [] } })).toBe(true);
    expect(checkAdminAnswer('POST /refresh', { refreshed: [] })).toBe(false);
    expect(checkAdminAnswer('GET /aliases', { aliases: [{ alias: 'a', target: 'b', calls: [] }] })).toBe(true);
    expect(checkAdminAnswer('GET /aliases', {})).toBe(false);
    expect(checkAdminAnswer('GET /status', { backends: [{ name: 'a' }] })).toBe(true);
    expect(checkAdminAnswer('GET /status', { backends: [{}] })).toBe(false);
  });
});

describe('config event log lines', () => {
  const at = Date.UTC(2026, 11, 2, 12, 0, 0);
  it('say what a reload did, that a restart is needed, and why a file was not applied, on one line each', () => {
    const reloaded: GatewayEvent = { type: 'config.reloaded', at, source: '/etc/gatehouse.yaml', trigger: 'watch', added: ['d'], removed: ['c'], restarted: ['b'], unchanged: ['a'], settings: ['gateway.separator'], restartNeeded: [] };
    expect(formatPretty(reloaded, { timestamps: false })).toBe(
      'INFO  config.reloaded    /etc/gatehouse.yaml +1 -1 ~1 =1 trigger=watch added=d removed=c restarted=b settings=gateway.separator',
    );
    const restart: GatewayEvent = { type: 'config.restart_needed', at, source: '/etc/gatehouse.yaml', settings: ['gateway.port'] };
    expect(formatPretty(restart, { timestamps: false })).toBe('WARN  config.restart_needed restart needed to apply gateway.port source=/etc/gatehouse.yaml');
    const invalid: GatewayEvent = { type: 'config.invalid', at, source: 'g.yaml', trigger: 'sighup', error: 'Invalid configuration in g.yaml:\n  g.yaml:3:5: gateway.prefixMod: unknown key', hint: 'Fix the keys above' };
    const line = formatPretty(invalid, { timestamps: false });
    expect(line).not.toContain('\n');
    expect(line).toBe('ERROR config.invalid     g.yaml not applied, still serving the last good configuration: Invalid configuration in g.yaml: | g.yaml:3:5: gateway.prefixMod: unknown key trigger=sighup fix="Fix the keys above"');
    expect(JSON.parse(formatJson(invalid))).toMatchObject({ level: 'error', type: 'config.invalid', error: invalid.error });
  });
});
