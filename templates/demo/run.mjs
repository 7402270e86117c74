#!/usr/bin/env node
// Starts the demo's HTTP backend (the reference "everything" server on 127.0.0.1:7431), then runs
// `gatehouse serve` on templates/demo/gatehouse.yaml, and stops the backend when the gateway exits.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const port = Number(process.env.DEMO_BACKEND_PORT ?? 7431);
const everything = join(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

// server-everything binds every interface; the preload pins it to 127.0.0.1.
const backend = spawn(process.execPath, ['-r', join(root, 'templates/demo/loopback.cjs'), everything, 'streamableHttp'], {
  cwd: root,
  env: { ...process.env, PORT: String(port) },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let backendErr = '';
backend.stderr.on('data', (d) => (backendErr = (backendErr + d).slice(-2000)));

const stop = () => {
  if (backend.exitCode === null) backend.kill('SIGTERM');
};
process.on('exit', stop);

async function waitForPort(deadline) {
  while (Date.now() < deadline) {
    if (backend.exitCode !== null) throw new Error(`demo backend exited: ${backendErr.trim()}`);
    const ok = await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1', () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`demo backend did not listen on 127.0.0.1:${port} within 15 s`);
}

try {
  await waitForPort(Date.now() + 15_000);
} catch (e) {
  console.error(String(e.message ?? e));
  stop();
  process.exit(1);
}

const gateway = spawn(process.execPath, [join(root, 'bin/run.js'), 'serve', '--config', join(root, 'templates/demo/gatehouse.yaml'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => gateway.kill(sig));
gateway.on('exit', (code, signal) => {
  stop();
  process.exit(code ?? (signal ? 130 : 1));
});
