// The process-level guard, run in its own Node process (vitest installs uncaughtException handlers
// of its own, which would change what "alone" means). An exception escaping from a backend's scope
// becomes that backend's failure and the process lives on; one outside any backend scope still exits 1.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NODE, ROOT } from '../helpers.js';

const GUARD = pathToFileURL(join(ROOT, 'dist', 'server', 'upstream', 'guard.js')).href;

function run(body: string): { status: number | null; stdout: string; stderr: string } {
  const script = `import { guardBackend, inBackendScope } from ${JSON.stringify(GUARD)};\n${body}`;
  const r = spawnSync(NODE, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('backend guard', () => {
  it('turns an exception escaping from a backend scope into that backend failure', () => {
    const r = run(`
      guardBackend('fragile', (e) => console.log('fragile failed: ' + e.message));
      inBackendScope('fragile', () => setTimeout(() => { throw new Error('bad reply'); }, 5));
      setTimeout(() => console.log('still alive'), 100);
    `);
    expect(r.stdout).toContain('fragile failed: bad reply');
    expect(r.stdout).toContain('still alive');
    expect(r.status).toBe(0);
  });

  it('leaves an exception outside any backend to crash the process as before', () => {
    const r = run(`
      guardBackend('fragile', () => console.log('wrongly absorbed'));
      setTimeout(() => { throw new Error('gateway bug'); }, 5);
      setTimeout(() => console.log('should not run'), 200);
    `);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('gateway bug');
    expect(r.stdout).not.toContain('wrongly absorbed');
    expect(r.stdout).not.toContain('should not run');
  });
});
