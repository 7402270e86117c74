// gateway.metrics and gateway.log in gatehouse.yaml: what loads, and what is refused with which message.
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/core/config/load.js';
import { UserError } from '../../../src/core/errors.js';
import { parseListen } from '../../../src/server/metrics/listener.js';

function refusal(text: string): string {
  try {
    parseConfigText(text, 'gatehouse.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return (e as UserError).message;
  }
  throw new Error('expected the config to be refused');
}

describe('gateway.metrics and gateway.log config', () => {
  it('loads listen addresses of both families and the log settings', () => {
    const c = parseConfigText('version: 1\ngateway:\n  metrics: {enabled: true, listen: "[::1]:9464"}\n  log: {file: logs/g.jsonl, maxBytes: 4096, files: 0}\n', 'gatehouse.yaml');
    expect(c.gateway?.metrics).toEqual({ enabled: true, listen: '[::1]:9464' });
    expect(c.gateway?.log).toEqual({ file: 'logs/g.jsonl', maxBytes: 4096, files: 0 });
    expect(parseListen('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListen('0.0.0.0:0')).toEqual({ host: '0.0.0.0', port: 0 });
  });

  it('refuses a listen value that is not host:port, and an impossible port', () => {
    expect(refusal('version: 1\ngateway:\n  metrics: {listen: "9464"}\n')).toContain('gatehouse.yaml:3:13: gateway.metrics.listen: use host:port, e.g. 0.0.0.0:9464 or [::1]:9464');
    expect(refusal('version: 1\ngateway:\n  metrics: {listen: "127.0.0.1:70000"}\n')).toContain('gateway.metrics.listen: the port must be 0-65535');
  });

  it('refuses a rotation size below 1 KiB and unknown keys', () => {
    expect(refusal('version: 1\ngateway:\n  log: {file: a.jsonl, maxBytes: 10}\n')).toContain('gateway.log.maxBytes');
    expect(refusal('version: 1\ngateway:\n  metrics: {port: 9464}\n')).toContain('gateway.metrics.port: unknown key "port"');
  });
});
