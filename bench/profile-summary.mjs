#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `npm run bench -- --profile`, or any `node --cpu-prof` run):
// self time by package or source file, self time by function, and inclusive time by function.
//
//   node bench/profile-summary.mjs .bench-out/profiles/gatehouse-stdio.cpuprofile [--top 25] [--callers REGEX]
//
// --callers REGEX: for samples inside a function matching REGEX, which Gatehouse (dist/) frame
// and which direct caller they came through.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topIdx = args.indexOf('--top');
const TOP = topIdx >= 0 ? Number(args[topIdx + 1]) : 25;
const callersIdx = args.indexOf('--callers');
const CALLERS = callersIdx >= 0 ? new RegExp(args[callersIdx + 1]) : undefined;
const file = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--top' && args[i - 1] !== '--callers');
if (!file) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top N]');
  process.exit(2);
}

const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Where a frame's code lives: an npm package, a file of ours, node internals, or a V8 pseudo-frame. */
function bucket(cf) {
  const url = cf.url ?? '';
  if (!url) return cf.functionName.startsWith('(') ? cf.functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 14).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] === 'internal' ? url.slice(5).split('/').slice(0, 2).join('/') : url.slice(5)}`;
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return `gatehouse:${url.slice(dist + 1)}`;
  return url.replace(/^file:\/\//, '');
}

function key(cf) {
  const url = (cf.url ?? '').replace(/^file:\/\/.*\/node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
  return `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`.trim();
}

const viaCaller = new Map();
const viaOurs = new Map();
const self = new Map();
const selfBucket = new Map();
const inclusive = new Map();
let total = 0;
const samples = profile.samples ?? [];
const deltas = profile.timeDeltas ?? [];
for (let i = 0; i < samples.length; i++) {
  // A sample's time is the gap to the next one (the last gets the mean).
  const us = i + 1 < deltas.length ? deltas[i + 1] : (profile.endTime - profile.startTime) / samples.length;
  const node = byId.get(samples[i]);
  if (!node) continue;
  total += us;
  const k = key(node.callFrame);
  self.set(k, (self.get(k) ?? 0) + us);
  const b = bucket(node.callFrame);
  selfBucket.set(b, (selfBucket.get(b) ?? 0) + us);
  const seen = new Set();
  for (let id = node.id; id !== undefined; id = parent.get(id)) {
    const kk = key(byId.get(id).callFrame);
    if (seen.has(kk)) continue;
    seen.add(kk);
    inclusive.set(kk, (inclusive.get(kk) ?? 0) + us);
  }
  if (CALLERS) {
    // The outermost matching frame, its caller, and the innermost Gatehouse frame above it.
    let match;
    for (let id = node.id; id !== undefined; id = parent.get(id)) if (CALLERS.test(key(byId.get(id).callFrame))) match = id;
    if (match !== undefined) {
      const callerId = parent.get(match);
      const ck = callerId !== undefined ? key(byId.get(callerId).callFrame) : '(none)';
      viaCaller.set(ck, (viaCaller.get(ck) ?? 0) + us);
      let ours = '(no Gatehouse frame)';
      for (let id = callerId; id !== undefined; id = parent.get(id)) {
        const k2 = key(byId.get(id).callFrame);
        if (k2.includes(' dist/')) {
          ours = k2;
          break;
        }
      }
      viaOurs.set(ours, (viaOurs.get(ours) ?? 0) + us);
    }
  }
}

const ms = (us) => (us / 1000).toFixed(0).padStart(7);
const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const print = (title, map, n) => {
  console.log(`\n## ${title}\n`);
  for (const [k, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`${ms(v)} ms ${pct(v)}  ${k}`);
};

console.log(`${file}: ${(total / 1000).toFixed(0)} ms sampled`);
print('Self time by package / file', selfBucket, TOP);
print('Self time by function', self, TOP);
if (CALLERS) {
  print(`Time in ${CALLERS} by direct caller`, viaCaller, TOP);
  print(`Time in ${CALLERS} by nearest Gatehouse frame`, viaOurs, TOP);
}
print('Inclusive time by function (ignoring (root), (program), (idle))', new Map([...inclusive].filter(([k]) => !/^\((root|program|idle)\)/.test(k))), TOP);
