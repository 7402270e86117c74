// Preloaded (node --import) into the Gatehouse processes the benchmark starts: on SIGUSR2 it
// writes process.memoryUsage() and V8's heap-space sizes (MiB) to $GATEHOUSE_BENCH_MEMFILE, so the
// report can say what an RSS figure is made of. When the process runs with --expose-gc it then runs a
// full collection and adds the live heap (heapLive), so growth across a run shows as a leak or not.
import { renameSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const file = process.env.GATEHOUSE_BENCH_MEMFILE;
if (file) {
  process.on('SIGUSR2', () => {
    const mb = (n) => Math.round((n / 2 ** 20) * 10) / 10;
    const mu = process.memoryUsage();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.space_used_size)]));
    const out = { rss: mb(mu.rss), heapTotal: mb(mu.heapTotal), heapUsed: mb(mu.heapUsed), external: mb(mu.external), arrayBuffers: mb(mu.arrayBuffers), spaces };
    if (typeof globalThis.gc === 'function') {
      globalThis.gc();
      out.heapLive = mb(process.memoryUsage().heapUsed);
    }
    writeFileSync(`${file}.tmp`, JSON.stringify(out));
    renameSync(`${file}.tmp`, file);
  });
}
