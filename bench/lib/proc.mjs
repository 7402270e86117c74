// Processes the benchmark starts, and what /proc says about them. Every child is started in its
// own process group and recorded, so that stopAll() (also run on error, SIGINT and SIGTERM) ends
// each group it started, by its id, and nothing else.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86_64/arm64
const started = new Set();

/**
 * Starts a command in its own process group. stdout and stderr are appended to `logFile` (the
 * gateway's event log goes there); `onStdout` also gets each stdout line.
 */
export function start(name, command, args, { cwd, env, logFile, onStdout } = {}) {
  // The log file is handed to the child as its own fd, so writing it costs the load client nothing.
  const fd = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(command, args, { cwd, env: env ?? process.env, detached: true, stdio: ['ignore', onStdout ? 'pipe' : fd, fd] });
  if (typeof fd === 'number') closeSync(fd);
  const proc = { name, child, pid: child.pid, spawnedAt: performance.now(), exited: false, exitCode: undefined, logFile };
  child.on('exit', (code, signal) => {
    proc.exited = true;
    proc.exitCode = code ?? signal;
  });
  child.on('error', (e) => {
    proc.exited = true;
    proc.exitCode = e.message;
  });
  if (onStdout) {
    onLines(child.stdout, onStdout);
  }
  started.add(proc);
  return proc;
}

/** SIGTERM to the process (so it can drain and stop its own children), then SIGKILL to its group. */
export async function stop(proc, graceMs = 3000) {
  if (!started.has(proc)) return;
  started.delete(proc);
  const group = -proc.pid;
  if (!proc.exited) {
    try {
      process.kill(proc.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const deadline = Date.now() + graceMs;
    while (!proc.exited && Date.now() < deadline) await sleep(25);
  }
  try {
    process.kill(group, 'SIGKILL'); // whatever is left in its group (backend children)
  } catch {
    // the group is empty
  }
}

export async function stopAll() {
  await Promise.all([...started].map((p) => stop(p)));
}

/** Synchronous last resort for process exit: SIGKILL every group still recorded. */
export function killAllNow() {
  for (const p of started) {
    try {
      process.kill(-p.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  started.clear();
}

function statFields(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm may contain spaces and parentheses: fields start after the last ')'.
  return s.slice(s.lastIndexOf(')') + 2).split(' ');
}

/** utime+stime of one process, in milliseconds (all its threads; children not included). */
export function cpuMs(pid) {
  try {
    const f = statFields(pid);
    // After ")": state(0) ppid(1) … utime(11) stime(12)
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return NaN;
  }
}

/** CPU time (ms) the whole machine spent busy, all cores (from /proc/stat). */
export function machineBusyMs() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal …: busy is everything but idle and iowait.
  const busy = f[0] + f[1] + f[2] + f[5] + f[6] + f[7];
  return (busy * 1000) / CLK_TCK;
}

/** Resident set size and its peak, in MiB. */
export function memMiB(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key) => Number(s.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))?.[1] ?? NaN);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

/** Every live descendant of pid (children, grandchildren, …). */
export function descendants(pid) {
  const parent = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      parent.set(Number(d), Number(statFields(d)[1]));
    } catch {
      // exited while we looked
    }
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    for (const [c, pp] of parent) if (pp === p) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** CPU and RSS of a process and of its descendants, measured separately. */
export function sample(pid) {
  const kids = descendants(pid);
  let kidsCpu = 0;
  let kidsRss = 0;
  for (const k of kids) {
    const c = cpuMs(k);
    if (Number.isFinite(c)) kidsCpu += c;
    const m = memMiB(k).rss;
    if (Number.isFinite(m)) kidsRss += m;
  }
  return { cpu: cpuMs(pid), ...memMiB(pid), kidsCpu, kidsRss, kids: kids.length };
}

/** A free TCP port on 127.0.0.1 (bound and released; the race with another binder is negligible here). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitUntil(what, check, { timeoutMs = 20_000, everyMs = 10, proc } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    if (proc?.exited) throw new Error(`${what}: ${proc.name} exited (${proc.exitCode}) before it was ready${proc.logFile ? `; see ${proc.logFile}` : ''}`);
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms${lastError ? ` (${lastError.message})` : ''}`);
}

/** Calls `fn` with each newline-terminated line of a readable stream, as it arrives. */
export function onLines(stream, fn) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      fn(line);
    }
  });
}
