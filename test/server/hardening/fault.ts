// Backend configs for the fault fixture (test/server/fixtures/fault-server.mjs), stdio and HTTP.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HttpBackendConfig, StdioBackendConfig } from '../../../src/core/config/schema.js';
import { NODE, stopChild, type Proc } from '../helpers.js';

export const FAULT = fileURLToPath(new URL('../fixtures/fault-server.mjs', import.meta.url));

export function faultStdio(mode: string, extra: Partial<StdioBackendConfig> = {}): StdioBackendConfig {
  return { type: 'stdio', command: NODE, args: [FAULT, '--mode', mode], protocol: 'legacy', ...extra };
}

export async function startFaultHttp(mode: string, env: Record<string, string> = {}): Promise<Proc & { url: string; config(extra?: Partial<HttpBackendConfig>): HttpBackendConfig }> {
  const child = spawn(NODE, [FAULT, '--mode', mode, '--http'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`fault server did not listen: ${stderr}`)), 10_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /LISTENING (\S+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`fault server exited (${code}): ${stderr}`));
    });
  }).catch(async (e) => {
    await stopChild(child);
    throw e;
  });
  return {
    child,
    pid: child.pid!,
    url,
    stderr: () => stderr,
    stop: () => stopChild(child),
    config: (extra = {}) => ({ type: 'http', url, transport: 'streamable-http', protocol: 'legacy', ...extra }),
  };
}
