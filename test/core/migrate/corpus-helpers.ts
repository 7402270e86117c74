import { chmod, cp, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPORA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'corpora');

/** Golden files are rewritten instead of compared when this is set; review the diff before committing. */
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';

async function renameDotFiles(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await renameDotFiles(path);
    else if (entry.name === 'dot-gitignore') await rename(path, join(dir, '.gitignore'));
  }
}

/** Copies a fixture tree to a fresh temp folder (outside any git work tree), restoring `.gitignore` names. */
export async function copyTree(from: string): Promise<string> {
  const to = await mkdtemp(join(tmpdir(), 'gatehouse-corpus-'));
  await cp(from, to, { recursive: true });
  await renameDotFiles(to);
  // git keeps only the executable bit; make the mode explicit so the test can see it survive.
  const script = join(to, 'scripts', 'notify.sh');
  await stat(script).then(
    () => chmod(script, 0o755),
    () => undefined,
  );
  return to;
}

export async function removeTree(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Every file under dir as relative path (with `/`) → bytes. */
export async function readTree(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  async function visit(d: string): Promise<void> {
    const entries = await readdir(d, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await visit(path);
      else out.set(relative(dir, path).split(sep).join('/').replace(/(^|\/)dot-gitignore$/, '$1.gitignore'), await readFile(path));
    }
  }
  await visit(dir);
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Turns absolute or walk paths under root into stable `/`-separated relative paths for golden files. */
export function rel(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}
