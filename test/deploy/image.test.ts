/**
 * Builds the container image with scripts/build-image.sh (buildah, vfs, chroot isolation, offline:
 * the base is assembled from this machine's Node runtime) into a temporary buildah root, then runs
 * the CLI inside it with `buildah run` and reads its configuration with `buildah inspect`.
 * Everything lives under one temp dir, removed in afterAll.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const RUNTIME_UID = 65532;
const VOLUMES = ['/etc/gatehouse', '/var/lib/gatehouse', '/tmp'];
const TAG = 'localhost/gatehouse:image-test';

const hasBuildah = spawnSync('buildah', ['--version']).status === 0;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

let work: string;
let storage: string[];
let container: string | undefined;
let mountPoint: string | undefined;
let served: ChildProcess | undefined;

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const buildah = (args: string[], timeoutMs?: number) => run('buildah', [...storage, ...args], { timeoutMs });

describe('container image (buildah)', () => {
  beforeAll(async () => {
    if (!hasBuildah) throw new Error('buildah is not installed; install Debian\'s buildah package (scripts/install-deps.sh does).');
    work = mkdtempSync(join(tmpdir(), 'gatehouse-image-'));
    // The runtime user must be able to reach the bind-mounted config below.
    chmodSync(work, 0o755);
    storage = ['--storage-driver', 'vfs', '--root', join(work, 'root'), '--runroot', join(work, 'runroot')];
    const built = await run(join(ROOT, 'scripts', 'build-image.sh'), [TAG], {
      // test/global-setup.ts has just built dist/ and the manifest.
      env: { ...process.env, GATEHOUSE_SKIP_BUILD: '1', BUILDAH_ROOT: join(work, 'root'), BUILDAH_RUNROOT: join(work, 'runroot') },
      timeoutMs: 300_000,
    });
    if (built.code !== 0) throw new Error(`build-image.sh failed (exit ${built.code}):\n${built.stderr}\n${built.stdout}`);
    expect(built.stdout.trim()).toBe(TAG);
    const from = await buildah(['from', '--pull-never', TAG]);
    if (from.code !== 0) throw new Error(`buildah from failed: ${from.stderr}`);
    container = from.stdout.trim();
    const mounted = await buildah(['mount', container]);
    if (mounted.code !== 0) throw new Error(`buildah mount failed: ${mounted.stderr}`);
    mountPoint = mounted.stdout.trim();
  }, 360_000);

  afterAll(async () => {
    if (served && served.exitCode === null && served.signalCode === null) {
      served.kill('SIGKILL');
      await new Promise((r) => served!.once('close', r));
    }
    if (!work) return;
    if (container) {
      await buildah(['umount', container]);
      await buildah(['rm', container]);
    }
    await buildah(['rmi', '--all', '--force']);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('runs as 65532 with gatehouse as the entrypoint, serve as the command, and the state and config dirs as volumes', async () => {
    const r = await buildah(['inspect', '--type', 'image', TAG]);
    expect(r.code).toBe(0);
    const config = JSON.parse(r.stdout).OCIv1.config;
    expect(config.User).toBe('65532:65532');
    expect(config.Entrypoint).toEqual(['gatehouse']);
    expect(config.Cmd).toEqual(['serve', '--config', '/etc/gatehouse/gatehouse.yaml', '--host', '0.0.0.0']);
    expect(Object.keys(config.Volumes).sort()).toEqual([...VOLUMES].sort());
    expect(config.Env).toContain('GATEHOUSE_CONFIG_DIR=/var/lib/gatehouse');
  });

  it('prints its version through the gatehouse launcher on PATH, as the runtime user', async () => {
    const r = await buildah(['run', '--isolation', 'chroot', container!, '--', 'gatehouse', '--version'], 60_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^gatehouse\/0\.\d+\.\d+ linux-x64 node-v20\./);
    const who = await buildah(['run', '--isolation', 'chroot', container!, '--', '/nodejs/bin/node', '-p', 'process.getuid() + ":" + process.getgid()'], 60_000);
    expect(who.stdout.trim()).toBe('65532:65532');
  });

  it('validates the Kubernetes base config inside the image, and refuses a broken one with exit 1', async () => {
    // Mounted beside the declared volumes, not over one: buildah 1.28 mounts an image's anonymous
    // volumes in random order with the -v binds, so a bind over /etc/gatehouse is sometimes hidden.
    const cfg = join(work, 'cfg');
    mkdirSync(cfg, { mode: 0o755 });
    copyFileSync(join(ROOT, 'deploy', 'kubernetes', 'base', 'gatehouse.yaml'), join(cfg, 'gatehouse.yaml'));
    writeFileSync(join(cfg, 'broken.yaml'), 'gateway:\n  port: "seventy"\n');
    chmodSync(join(cfg, 'gatehouse.yaml'), 0o644);
    chmodSync(join(cfg, 'broken.yaml'), 0o644);
    const inImage = (file: string) => buildah(['run', '--isolation', 'chroot', '-v', `${cfg}:/srv/config:ro`, container!, '--', 'gatehouse', 'config', 'validate', `/srv/config/${file}`], 60_000);
    const ok = await inImage('gatehouse.yaml');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/\/srv\/config\/gatehouse\.yaml is valid: \d+ backends?/);
    const bad = await inImage('broken.yaml');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('/srv/config/broken.yaml');
    expect(bad.stderr).toContain('gateway.port');
  });

  it('has no file the runtime user can write outside its volumes, and the better-sqlite3 addon without its sources', () => {
    const root = mountPoint!;
    const writable: string[] = [];
    const walk = (dir: string, rel: string) => {
      for (const name of readdirSync(dir)) {
        const path = `${rel}/${name}`;
        if (VOLUMES.includes(path)) continue;
        const st = lstatSync(join(dir, name));
        if (st.isSymbolicLink()) continue;
        const w = (st.uid === RUNTIME_UID && st.mode & 0o200) || (st.gid === RUNTIME_UID && st.mode & 0o020) || st.mode & 0o002;
        if (w) writable.push(`${path} (uid ${st.uid}, mode ${(st.mode & 0o7777).toString(8)})`);
        if (st.isDirectory()) walk(join(dir, name), path);
      }
    };
    walk(root, '');
    expect(writable).toEqual([]);
    // The walk saw the app: an empty mount would pass the check above.
    const addon = lstatSync(join(root, 'opt/gatehouse/node_modules/better-sqlite3/build/Release/better_sqlite3.node'));
    expect(addon.isFile()).toBe(true);
    expect(() => lstatSync(join(root, 'opt/gatehouse/node_modules/better-sqlite3/deps'))).toThrow();
    // Production dependencies only.
    for (const dev of ['vitest', 'typescript', 'oclif', '@modelcontextprotocol/server-everything']) {
      expect(() => lstatSync(join(root, 'opt/gatehouse/node_modules', dev)), dev).toThrow();
    }
    expect(lstatSync(join(root, 'var/lib/gatehouse')).uid).toBe(RUNTIME_UID);
  });

  it('serves on a read-only root as 65532 with only its volumes writable, and drains and exits 0 on SIGTERM', async () => {
    // buildah run cannot make the root read-only, so the image's root is bind-mounted read-only in a
    // private mount namespace (gone when the process exits) and entered with chroot as 65532, as the
    // kubelet runs it with readOnlyRootFilesystem: emptyDirs for state and /tmp, the config read-only.
    const cfg = join(work, 'serve-config');
    mkdirSync(cfg, { mode: 0o755 });
    writeFileSync(join(cfg, 'gatehouse.yaml'), 'version: 1\ngateway:\n  auth:\n    mode: none\nbackends: {}\n', { mode: 0o644 });
    const port = await freePort();
    const script = [
      'set -e',
      'root=$1; cfg=$2; port=$3',
      // The kernel's mount points; the runtime makes these in a real pod.
      'mkdir -p "$root/dev" "$root/proc"',
      'mount --bind "$root" "$root"',
      'mount -o remount,bind,ro "$root"',
      'mount --bind /dev "$root/dev"',
      'mount -t proc proc "$root/proc"',
      'mount -t tmpfs -o mode=0755,uid=65532,gid=65532 state "$root/var/lib/gatehouse"',
      'mount -t tmpfs -o mode=1777 tmp "$root/tmp"',
      'mount --bind "$cfg" "$root/etc/gatehouse"',
      'mount -o remount,bind,ro "$root/etc/gatehouse"',
      'ch=$(command -v chroot)',
      'echo "pid $$"',
      'exec env -i PATH=/usr/local/bin:/nodejs/bin NODE_ENV=production GATEHOUSE_CONFIG_DIR=/var/lib/gatehouse HOME=/var/lib/gatehouse \\',
      '  "$ch" --userspec=65532:65532 "$root" gatehouse serve --config /etc/gatehouse/gatehouse.yaml --host 127.0.0.1 --port "$port" --log-format json',
    ].join('\n');
    served = spawn('unshare', ['--mount', '--propagation', 'private', '--fork', 'sh', '-c', script, 'sh', mountPoint!, cfg, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    served.stdout!.on('data', (d) => (out += d));
    served.stderr!.on('data', (d) => (err += d));
    let closed = false;
    const exited = new Promise<number | null>((r) => served!.once('close', (code) => ((closed = true), r(code))));
    const alive = () => {
      if (closed) throw new Error(`serve exited early:\n${out}\n${err}`);
    };
    const pid = await waitFor(() => Number(/^pid (\d+)$/m.exec(out)?.[1]) || undefined, 30_000, () => `the serve script to start:\n${out}\n${err}`);
    await waitFor(async () => (alive(), await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok || undefined, 90_000, () => `/healthz on ${port}:\n${out}\n${err}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(out).toContain('gateway.listening');
    // Nothing complained about a read-only file system on the way up.
    expect(`${out}${err}`).not.toMatch(/EROFS|read-only file system|EACCES/i);
    process.kill(pid, 'SIGTERM');
    expect(await exited).toBe(0);
    served = undefined;
  }, 180_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a value; fails with `what()` after `timeoutMs`. */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
