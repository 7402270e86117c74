/**
 * Concurrent writers of every state file, as real CLI processes started together: nothing is lost
 * and every file still parses. Also the lock's own promises: a stale lock left by a killed writer
 * is taken over, and a lock held by a live process times out with an error naming it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, lstatSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { cliSandbox, makeTempDir, runCli } from '../helpers/cli.js';

/** Many CLIs start at once here, on a machine other work shares: allow each one time (the helper's default is 30 s). */
const SLOW = { timeoutMs: 180_000 };

describe('concurrent writers of state files (real processes)', () => {
  it('20 concurrent `backends add` all land in gatehouse.yaml, which still parses', async () => {
    const sb = cliSandbox();
    writeFileSync(sb.configPath, '# hand-written header\nversion: 1\ngateway:\n  port: 7501 # keep me\nbackends: {}\n');
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => sb.run(['backends', 'add', `b${i}`, '--stdio', `node server-${i}.js`], SLOW)));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(sb.configPath, 'utf8');
    const cfg = parseYaml(text);
    expect(Object.keys(cfg.backends).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`).sort());
    for (let i = 0; i < 20; i++) expect(cfg.backends[`b${i}`]).toEqual({ type: 'stdio', command: 'node', args: [`server-${i}.js`] });
    expect(text).toContain('# hand-written header');
    expect(text).toContain('port: 7501 # keep me');
    // No lock directories, holder files or temp files are left behind.
    expect(readdirSync(sb.configDir).sort()).toEqual(['gatehouse.yaml']);
  }, 240_000);

  it('10 concurrent `secrets set --store file` keep every secret and every index entry', async () => {
    const sb = cliSandbox();
    const runs = await Promise.all(
      Array.from({ length: 10 }, (_, i) => sb.run(['secrets', 'set', `s${i}`, '--from-stdin', '--store', 'file'], { ...SLOW, input: `value-${i}-${'x'.repeat(20)}` })),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(sb.configDir, 'secrets.json'), 'utf8'));
    const index = JSON.parse(readFileSync(join(sb.configDir, 'secrets-index.json'), 'utf8'));
    const names = Array.from({ length: 10 }, (_, i) => `s${i}`).sort();
    expect(Object.keys(file.secrets).sort()).toEqual(names);
    expect(Object.keys(index.entries).sort()).toEqual(names);
    for (let i = 0; i < 10; i++) expect(file.secrets[`s${i}`].value).toBe(`value-${i}-${'x'.repeat(20)}`);
  }, 240_000);

  it('8 concurrent `clients token create` keep every client', async () => {
    const sb = cliSandbox();
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => sb.run(['clients', 'token', 'create', `c${i}`, '--json'], SLOW)));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const file = JSON.parse(readFileSync(join(sb.configDir, 'client-tokens.json'), 'utf8'));
    expect(Object.keys(file.clients).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `c${i}`).sort());
    const list = await sb.run(['clients', 'token', 'list', '--json'], SLOW);
    expect(list.code, list.stderr).toBe(0);
  }, 240_000);
});

describe('state file locks', () => {
  it('takes over a stale lock left by a writer that was killed', async () => {
    const sb = cliSandbox();
    writeFileSync(sb.configPath, 'version: 1\nbackends: {}\n');
    // What a kill -9 mid-write leaves: the lock directory, not refreshed since.
    mkdirSync(`${sb.configPath}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${sb.configPath}.lock`, old, old);
    const r = await sb.run(['backends', 'add', 'a', '--stdio', 'node a.js'], SLOW);
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(parseYaml(readFileSync(sb.configPath, 'utf8')).backends)).toEqual(['a']);
    expect(existsSync(`${sb.configPath}.lock`)).toBe(false);
  }, 60_000);

  it('a lock held by a live process times out with a clear error naming its pid, and changes nothing', async () => {
    const sb = cliSandbox();
    writeFileSync(sb.configPath, 'version: 1\nbackends: {}\n');
    const before = readFileSync(sb.configPath);
    // A real holder: a node process that takes the lock through the same module and keeps it.
    const lockModule = join(process.cwd(), 'dist', 'core', 'config', 'lock.js');
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { withFileLock } = await import(${JSON.stringify(lockModule)}); await withFileLock(${JSON.stringify(sb.configPath)}, () => { process.stdout.write('held\\n'); setInterval(() => {}, 1000); return new Promise(() => {}); });`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
        holder.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
      });
      const r = await sb.run(['backends', 'add', 'a', '--stdio', 'node a.js'], { ...SLOW, env: { GATEHOUSE_LOCK_TIMEOUT_MS: '1500' } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`waiting for the lock on ${sb.configPath}, held by pid ${holder.pid}`);
      expect(r.stderr).toContain('Hint:');
      expect(readFileSync(sb.configPath).equals(before)).toBe(true);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((r) => (holder.exitCode !== null ? r(undefined) : holder.once('exit', r)));
    }
  }, 60_000);

  it('secrets.json and client-tokens.json keep their symlinks; the write lands at the target', async () => {
    const configDir = makeTempDir();
    const real = makeTempDir();
    writeFileSync(join(real, 'secrets.json'), '{"version":1,"secrets":{}}\n', { mode: 0o600 });
    writeFileSync(join(real, 'client-tokens.json'), '{"version":1,"clients":{}}\n', { mode: 0o600 });
    symlinkSync(join(real, 'secrets.json'), join(configDir, 'secrets.json'));
    symlinkSync(join(real, 'client-tokens.json'), join(configDir, 'client-tokens.json'));
    const set = await runCli(['secrets', 'set', 'k', '--from-stdin', '--store', 'file'], { ...SLOW, configDir, input: 'v-123456789' });
    expect(set.code, set.stderr).toBe(0);
    const tok = await runCli(['clients', 'token', 'create', 'c1', '--json'], { ...SLOW, configDir });
    expect(tok.code, tok.stderr).toBe(0);
    expect(lstatSync(join(configDir, 'secrets.json')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(configDir, 'client-tokens.json')).isSymbolicLink()).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(join(real, 'secrets.json'), 'utf8')).secrets)).toEqual(['k']);
    expect(Object.keys(JSON.parse(readFileSync(join(real, 'client-tokens.json'), 'utf8')).clients)).toEqual(['c1']);
  }, 60_000);
});
