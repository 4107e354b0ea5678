// Bench-only memory sampler, loaded into a harvester process with
//   NODE_OPTIONS="--import /path/to/bench/memory-sampler.mjs" MEMORY_SAMPLES=/tmp/samples.txt
// Every 50 ms it notes process.memoryUsage() and V8's new and old space sizes; at exit it writes
// the maxima, the sample at the peak RSS, one sample in ten (ms, then MB: rss, heap total, heap
// used, external, array buffers, new space, old space) and the garbage collections' count and
// pause time (main thread). Not part of the product: it only helps to read where memory goes.
import { writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

const out = process.env.MEMORY_SAMPLES;
const startedMs = Date.now();
const rows = [];
const gc = { count: 0, ms: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.ms += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

function sample() {
  const m = process.memoryUsage();
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_size]));
  rows.push([
    Date.now() - startedMs,
    m.rss,
    m.heapTotal,
    m.heapUsed,
    m.external,
    m.arrayBuffers,
    spaces.new_space ?? 0,
    spaces.old_space ?? 0,
  ]);
}
setInterval(sample, 50).unref();

process.on('exit', () => {
  sample();
  if (!out) return;
  const mb = (n) => (n / 1048576).toFixed(1);
  const max = (i) => mb(Math.max(...rows.map((r) => r[i])));
  const peak = rows.reduce((a, r) => (r[1] > a[1] ? r : a));
  const line = (r) => [r[0], ...r.slice(1).map(mb)].join(' ');
  writeFileSync(
    out,
    [
      `gc ${gc.count} pauses, ${gc.ms.toFixed(0)} ms`,
      `max: rss ${max(1)} heapTotal ${max(2)} heapUsed ${max(3)} external ${max(4)} arrayBuffers ${max(5)} new ${max(6)} old ${max(7)}`,
      `at the peak: ${line(peak)}`,
      ...rows.filter((_, i) => i % 10 === 0).map(line),
      '',
    ].join('\n'),
  );
});
