/**
 * The process-level guard for backend handling. Everything a backend connection starts (its child
 * process, sockets, timers) runs inside an AsyncLocalStorage scope naming the backend, so an
 * exception that escapes all the way to the process while handling that backend's output is turned
 * into that backend's failure instead of the gateway's exit. An exception outside any backend scope
 * keeps Node's default outcome (print and exit 1) unless someone else listens for it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const scope = new AsyncLocalStorage<string>();
const handlers = new Map<string, (error: unknown) => void>();
let installed = false;

function onUncaught(error: unknown): void {
  const backend = scope.getStore();
  const handler = backend === undefined ? undefined : handlers.get(backend);
  if (handler) {
    try {
      handler(error);
    } catch {
      // the failure path itself must not loop back here
    }
    return;
  }
  // Not ours to absorb. With other listeners (a test runner, an embedding app) they decide;
  // alone, behave as Node would have without us.
  if (process.listenerCount('uncaughtException') > 1) return;
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
}

/** Registers how an escaped exception in `backend`'s handling becomes its failure. */
export function guardBackend(backend: string, onEscape: (error: unknown) => void): () => void {
  if (!installed) {
    installed = true;
    process.on('uncaughtException', onUncaught);
  }
  handlers.set(backend, onEscape);
  return () => {
    if (handlers.get(backend) === onEscape) handlers.delete(backend);
  };
}

/** Runs `fn` (and every async resource it creates) as part of `backend`'s handling. */
export function inBackendScope<T>(backend: string, fn: () => T): T {
  return scope.run(backend, fn);
}
