// The stdio echo backend's own start, the yardstick for the gateway's time to ready: spawn → its
// answer to `initialize` (what the gateway needs before it can list), as the median of a few runs.
import { spawn } from 'node:child_process';
import { median } from './stats.mjs';

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'gatehouse-bench', version: '1.0.0' } } };

function once(node, script) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(node, [script], { stdio: ['pipe', 'pipe', 'ignore'] });
    let buf = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('echo backend did not answer initialize in 30 s'))), 30_000);
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      if (!buf.includes('\n')) return;
      const ms = performance.now() - t0;
      clearTimeout(timer);
      child.once('exit', () => resolve(ms));
      child.kill('SIGTERM');
    });
    child.once('error', reject);
    child.stdin.write(`${JSON.stringify(INIT)}\n`);
  });
}

/** Median ms from spawn to the initialize answer over `runs` starts, one after another. */
export async function backendStartMs(node, script, runs = 3) {
  const times = [];
  for (let i = 0; i < runs; i++) times.push(await once(node, script));
  return median(times);
}
