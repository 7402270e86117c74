import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/*
 * The layers of docs/architecture.md, checked on the source: commands -> core/server/ui; server -> core;
 * ui -> core; core -> nothing of ours above it; commands never import other commands. The files at the
 * top of src/ (the base command and the flag sets commands share) sit beside the commands and may use core only.
 */

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

type Layer = 'commands' | 'core' | 'server' | 'ui' | 'root';

const ALLOWED: Record<Layer, Layer[]> = {
  commands: ['core', 'server', 'ui', 'root'],
  server: ['core'],
  ui: ['core'],
  core: [],
  root: ['core'],
};

function layerOf(file: string): Layer | undefined {
  const rel = relative(SRC, file).split(sep);
  if (rel.length === 1) return 'root';
  const top = rel[0];
  return top === 'commands' || top === 'core' || top === 'server' || top === 'ui' ? top : undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** Static imports, re-exports and dynamic import() of relative paths (comments removed first). */
export function relativeImports(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  const out: string[] = [];
  const res = [/\bfrom\s+['"](\.{1,2}\/[^'"]+)['"]/g, /\bimport\s*\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g, /^\s*import\s+['"](\.{1,2}\/[^'"]+)['"]/gm];
  for (const re of res) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

export interface Violation {
  file: string;
  imports: string;
  rule: string;
}

export function layerViolations(files: string[], read: (f: string) => string = (f) => readFileSync(f, 'utf8')): Violation[] {
  const found: Violation[] = [];
  for (const file of files) {
    const from = layerOf(file);
    if (!from) continue;
    for (const spec of relativeImports(read(file))) {
      const target = resolve(dirname(file), spec);
      const to = layerOf(target);
      const shown = { file: relative(SRC, file), imports: relative(SRC, target) };
      if (!to) {
        found.push({ ...shown, rule: 'imports from outside src/' });
        continue;
      }
      if (from === 'commands' && to === 'commands') found.push({ ...shown, rule: 'commands never import other commands; move shared logic to core' });
      else if (from !== to && !ALLOWED[from].includes(to)) found.push({ ...shown, rule: `${from} may import only ${ALLOWED[from].join(', ') || 'nothing of ours above it'}` });
    }
  }
  return found;
}

describe('architecture', () => {
  it('no import crosses the layers', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    expect(layerViolations(files)).toEqual([]);
  });

  it('the check catches each kind of crossing', () => {
    const f = (p: string) => join(SRC, p);
    const texts: Record<string, string> = {
      [f('core/a.ts')]: "import { x } from '../server/gateway.js';\nconst y = await import('../ui/store.js');",
      [f('server/b.ts')]: "export { z } from '../ui/format.js';\nimport '../commands/serve.js';",
      [f('ui/c.ts')]: "import type { G } from '../server/gateway.js';\n// import { no } from '../commands/x.js';",
      [f('commands/x/d.ts')]: "import { e } from './e.js';\nimport { ok } from '../../core/errors.js';\nimport { base } from '../../base-command.js';",
      [f('base-command.ts')]: "import { s } from './server/gateway.js';",
    };
    const v = layerViolations(Object.keys(texts), (p) => texts[p]!);
    expect(v.map((x) => `${x.file} -> ${x.imports}`)).toEqual([
      'core/a.ts -> server/gateway.js',
      'core/a.ts -> ui/store.js',
      'server/b.ts -> ui/format.js',
      'server/b.ts -> commands/serve.js',
      'ui/c.ts -> server/gateway.js',
      'commands/x/d.ts -> commands/x/e.js',
      'base-command.ts -> server/gateway.js',
    ]);
    expect(v[5]!.rule).toMatch(/commands never import other commands/);
  });
});
