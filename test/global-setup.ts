/**
 * Builds once per test run so command tests exercise the real CLI (`node bin/run.js`): tsc into
 * dist/, then the oclif manifest (so each spawned CLI loads one command, not all of them, and a
 * manifest left by an earlier build never hides a new command).
 *
 * tsc exit 2 means "errors, but output written": the run goes on with a warning, so one module
 * with a type error elsewhere does not fail every command test. Set GATEHOUSE_SKIP_BUILD=1 to
 * reuse an existing build.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

export default function setup(): void {
  if (process.env.GATEHOUSE_SKIP_BUILD === '1' && existsSync(join(root, 'dist', 'commands'))) return;
  const started = Date.now();
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  if (tsc.status === 2) {
    process.stderr.write(`[global-setup] tsc reported type errors but wrote dist/; continuing:\n${tsc.stdout}${tsc.stderr}\n`);
  } else if (tsc.status !== 0) {
    throw new Error(`[global-setup] tsc failed (exit ${tsc.status}):\n${tsc.stdout}${tsc.stderr}`);
  }
  const manifest = spawnSync(process.execPath, [join(root, 'node_modules', 'oclif', 'bin', 'run.js'), 'manifest'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, OCLIF_SKIP_UPDATE_CHECK: '1' },
  });
  if (manifest.status !== 0) throw new Error(`[global-setup] oclif manifest failed (exit ${manifest.status}):\n${manifest.stdout}${manifest.stderr}`);
  process.stderr.write(`[global-setup] built dist/ and oclif.manifest.json in ${Date.now() - started} ms\n`);
}
