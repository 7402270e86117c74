#!/usr/bin/env node
// Lays out what the Gatehouse image holds, under OUT (an empty directory):
//   OUT/opt/gatehouse/          package.json, bin/, dist/, templates/, oclif.manifest.json and the
//                               production dependencies only (walked from package.json, so dev tools,
//                               test servers and anything extraneous in node_modules stay out)
//   OUT/usr/local/bin/gatehouse the launcher on PATH (a node script: the runtime image has no shell)
//   OUT/../state                an empty directory, the seed of the state volume
// Used by scripts/build-image.sh on the host and by the Containerfile's build stage, so both images
// have the same layout. Needs a built tree: dist/ and oclif.manifest.json (npm run build).
//
// Usage: node scripts/stage-image.mjs OUT [--node /nodejs/bin/node]
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const out = args[0];
const nodeAt = args.includes('--node') ? args[args.indexOf('--node') + 1] : '/nodejs/bin/node';
if (!out) fail('usage: node scripts/stage-image.mjs OUT [--node /nodejs/bin/node]');
for (const need of ['dist', 'oclif.manifest.json', 'bin/run.js']) {
  if (!existsSync(join(root, need))) fail(`${need} is missing; build first with \`npm run build\` (tsc and oclif manifest).`);
}
const app = join(out, 'opt', 'gatehouse');
mkdirSync(app, { recursive: true });

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// Only what the runtime reads: no scripts, no dev dependencies.
const runtimePkg = { name: pkg.name, version: pkg.version, description: pkg.description, type: pkg.type, license: pkg.license, bin: pkg.bin, engines: pkg.engines, oclif: pkg.oclif, dependencies: pkg.dependencies };
writeFileSync(join(app, 'package.json'), JSON.stringify(runtimePkg, null, 2) + '\n');
for (const p of ['bin/run.js', 'dist', 'templates', 'oclif.manifest.json', 'LICENSE']) {
  if (existsSync(join(root, p))) cpSync(join(root, p), join(app, p), { recursive: true, dereference: true });
}

/** Node's lookup: DIR/node_modules/NAME, then each parent's node_modules, up to the project root. */
function locate(fromDir, name) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root || dir === dirname(dir)) return undefined;
  }
}

const packages = new Set();
const queue = [{ dir: root, manifest: pkg }];
while (queue.length) {
  const { dir, manifest } = queue.shift();
  const optionalPeers = manifest.peerDependenciesMeta ?? {};
  const wanted = [
    ...Object.keys(manifest.dependencies ?? {}).map((n) => [n, true]),
    ...Object.keys(manifest.optionalDependencies ?? {}).map((n) => [n, false]),
    ...Object.keys(manifest.peerDependencies ?? {}).filter((n) => !optionalPeers[n]?.optional).map((n) => [n, false]),
  ];
  for (const [name, required] of wanted) {
    const at = locate(dir, name);
    if (!at) {
      if (required) fail(`${manifest.name ?? 'gatehouse'} needs ${name}, which is not installed; run \`npm ci\` first.`);
      continue; // an optional dependency for another platform
    }
    if (packages.has(at)) continue;
    packages.add(at);
    queue.push({ dir: at, manifest: JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) });
  }
}

// Parents before children, and a nested package is copied with its parent's directory only if it
// is itself needed, so each package directory is copied without its node_modules and then alone.
const sorted = [...packages].sort();
for (const src of sorted) {
  const dest = join(app, relative(root, src));
  cpSync(src, dest, {
    recursive: true,
    dereference: true,
    filter: (from) => !relative(src, from).split('/').includes('node_modules') && keep(from),
  });
}

/** Files the runtime never reads: type declarations, source maps, native build leftovers. */
function keep(file) {
  if (/\.(d\.ts|d\.mts|d\.cts|map)$/.test(file) && !statSync(file).isDirectory()) return false;
  const sqlite = file.split('/node_modules/better-sqlite3/')[1];
  if (sqlite !== undefined) {
    // The addon itself is build/Release/better_sqlite3.node; sources, objects and the test extension are not needed.
    if (/^(deps|src)(\/|$)/.test(sqlite)) return false;
    if (/^build\/Release\/(obj|obj\.target|\.deps)(\/|$)/.test(sqlite)) return false;
    if (/^build\/(?!Release(\/|$))/.test(sqlite)) return false;
    if (/^build\/Release\/(test_extension\.node|sqlite3\.a)$/.test(sqlite)) return false;
  }
  return true;
}

const addon = join(app, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
if (packages.has(join(root, 'node_modules/better-sqlite3')) && !existsSync(addon)) {
  fail('better-sqlite3 has no built addon (build/Release/better_sqlite3.node); run `npm rebuild better-sqlite3`.');
}

const launcher = join(out, 'usr', 'local', 'bin', 'gatehouse');
mkdirSync(dirname(launcher), { recursive: true });
// An extensionless file outside any package is CommonJS; import() loads the ESM entry point.
writeFileSync(launcher, `#!${nodeAt}\n// Gatehouse launcher: runs the CLI installed in /opt/gatehouse.\nimport('/opt/gatehouse/bin/run.js');\n`);
chmodSync(launcher, 0o755);

// Everything read-only for the runtime user: owned by root (the image build sets the owner), no group or other write.
for (const entry of walk(out)) {
  const st = statSync(entry);
  chmodSync(entry, st.mode & 0o7755 & ~0o022);
}
// The state directory's seed: empty, owned by the runtime user in the image (see Containerfile).
// Its parents come root-owned with the app, so only the directory itself gets the runtime owner.
mkdirSync(join(out, 'var', 'lib'), { recursive: true, mode: 0o755 });
// The config volume's mount point, so a read-only root needs nothing created at start.
mkdirSync(join(out, 'etc', 'gatehouse'), { recursive: true, mode: 0o755 });
mkdirSync(join(out, '..', 'state'), { recursive: true, mode: 0o755 });
process.stdout.write(`staged ${packages.size} production packages in ${app}\n`);

function* walk(dir) {
  yield dir;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (!e.isSymbolicLink()) yield p;
  }
}

function fail(message) {
  process.stderr.write(`stage-image: ${message}\n`);
  process.exit(1);
}
