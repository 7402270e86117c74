// Shared plumbing for the live-reload tests: config files in the shapes they are replaced in, and
// the pid of a backend child found by the unique tools-file path on its command line.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { BackendConfig, GatehouseConfig } from '../../../src/core/config/schema.js';
import { LISTFILE, NODE } from '../helpers.js';

export function listfile(file: string, extra: Record<string, unknown> = {}): BackendConfig {
  return { type: 'stdio', command: NODE, args: [LISTFILE, file], refreshInterval: 0, ...extra } as BackendConfig;
}

export function yamlOf(backends: Record<string, BackendConfig>, gateway?: GatehouseConfig['gateway']): string {
  return stringify({ version: 1, ...(gateway ? { gateway } : {}), backends });
}

/** An editor's save: write a temp file next to the target, then rename it over the path. */
export function writeByRename(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.swp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The pids of live processes whose command line contains `marker` (a path only one backend uses). */
export function pidsOf(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd: string;
    try {
      cmd = readFileSync(join('/proc', entry, 'cmdline'), 'utf8');
    } catch {
      continue;
    }
    if (cmd.split('\0').includes(marker)) out.push(Number(entry));
  }
  return out;
}

export function pidOf(marker: string): number {
  const pids = pidsOf(marker);
  if (pids.length !== 1) throw new Error(`expected one process running ${marker}, found ${pids.length}`);
  return pids[0]!;
}
