/**
 * Every backend child process this process started and has not seen exit. A second Ctrl-C (or
 * SIGTERM) must not leave orphans behind when serve exits at once: it kills these synchronously
 * first. Module-level because that exit path has no time to walk the gateway's objects.
 */
const children = new Set<number>();

export function trackChild(pid: number | null | undefined): () => void {
  if (!pid) return () => undefined;
  children.add(pid);
  return () => children.delete(pid);
}

/** Sends `signal` to every tracked child now; returns how many were signalled. */
export function killBackendChildren(signal: NodeJS.Signals = 'SIGKILL'): number {
  let n = 0;
  for (const pid of children) {
    try {
      process.kill(pid, signal);
      n++;
    } catch {
      // already gone
    }
  }
  children.clear();
  return n;
}
