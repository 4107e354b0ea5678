// Wall time of one 20-source-run job (5 sources × 4 queries, images) whose sources are
// latency-bound, run by 1, 2 and 4 `harvester worker` processes (distributed mode: a PostgreSQL
// database and a Redis database of its own), and by the embedded mode (one `harvester search`
// process, SQLite) for comparison.
//
// The simulation waits `--latency` ms before every answer (searches, thumbnails and files alike)
// and answers every query with `--per-query` distinct generated pictures (startSimulation's
// `generated`), so a source run is a search page, then `--limit` thumbnails and files fetched
// `--downloads` at a time (MAX_DOWNLOADS_PER_SOURCE). Every process takes `--concurrency` runs
// at once: WORKER_CONCURRENCY for a worker, MAX_CONCURRENT_SOURCES for the embedded process — so
// one process has the same capacity in both modes, and N workers N times that.
//
// `--base <checkout>` adds an embedded row run by another checkout's bin/harvester.js (built), to
// compare the embedded mode against an earlier commit in the same run.
// Usage: node --import tsx bench/cluster.ts [--latency 200] [--per-query 40] [--limit 10]
//          [--concurrency 2] [--downloads 4] [--workers 1,2,4] [--base /path/to/checkout]
// Prints a Markdown table for bench/RESULTS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulation } from '../src/demo/sim-server.ts';
import { BIN } from '../test/cli/run-cli.ts';
import { openCluster, type ClusterProcess } from '../test/queue/cluster-harness.ts';

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '200' },
    'per-query': { type: 'string', default: '40' },
    limit: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '2' },
    downloads: { type: 'string', default: '4' },
    workers: { type: 'string', default: '1,2,4' },
    base: { type: 'string' },
  },
});
const latencyMs = Number(values.latency);
const perQuery = Number(values['per-query']);
const limit = values.limit;
const counts = values.workers.split(',').map(Number);
const SOURCES = ['openverse', 'pexels', 'pixabay', 'wikimedia_commons', 'nasa_images'] as const;
const QUERIES = ['nature', 'forest', 'ocean', 'mountain'];
const searchArgs = [
  'search',
  ...QUERIES,
  '--sources',
  SOURCES.join(','),
  '--type',
  'image',
  '--limit',
  limit,
  '--json',
];
const sim = { sources: SOURCES, latencyMs, generated: perQuery };
// One process's capacity, the same in both modes.
const env = {
  SOURCE_TIMEOUT: '300',
  MAX_CONCURRENT_SOURCES: values.concurrency,
  WORKER_CONCURRENCY: values.concurrency,
  MAX_DOWNLOADS_PER_SOURCE: values.downloads,
};

/** CPU seconds (user + system) of this process's ended and reaped children: /proc/self/stat cutime + cstime. */
function childrenCpuS(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  // After the command name, field 3 is the state; cutime and cstime are fields 16 and 17 (clock ticks, 100 Hz).
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** CPU seconds (user + system) a live process has used so far: /proc/<pid>/stat utime + stime; 0 once gone. */
function processCpuS(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * The CPU the PostgreSQL backends serving `database` use while it runs: they are found by their
 * process title (`postgres: … <database> …`) every 100 ms, and each one's last reading counts from
 * its first. A backend that ends loses what it used since its last reading (under 100 ms).
 */
function watchBackends(database: string): () => number {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = (initial: boolean): void => {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let title: string;
      try {
        title = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!title.startsWith('postgres: ') || !title.includes(` ${database} `)) continue;
      const pid = Number(name);
      const cpu = processCpuS(pid);
      if (cpu === 0) continue;
      // Backends already there count from now; later ones from their start.
      if (!first.has(pid)) first.set(pid, initial ? cpu : 0);
      last.set(pid, cpu);
    }
  };
  sample(true);
  const timer = setInterval(() => sample(false), 100);
  return () => {
    clearInterval(timer);
    sample(false);
    let total = 0;
    for (const [pid, cpu] of last) total += cpu - first.get(pid)!;
    return total;
  };
}

/** Busy and total jiffies of the whole machine (/proc/stat), for the share of both cores in use. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { busy: total - cpu[3]! - cpu[4]!, total };
}

interface Timed {
  ms: number;
  /** Share of both cores busy meanwhile. */
  busy: number;
  /** CPU seconds of the CLI process. */
  cpu: number;
  code: number | null;
  out: string;
  err: string;
}

function run(bin: string, args: string[], environment: Record<string, string>, cwd: string): Promise<Timed> {
  const cpu0 = childrenCpuS();
  const ticks = machineTicks();
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) =>
    child.once('close', (code) => {
      const ms = performance.now() - started;
      const now = machineTicks();
      const busy = (now.busy - ticks.busy) / (now.total - ticks.total);
      // The CLI has been reaped by now ('close' comes after 'exit'): its CPU is in cutime.
      resolve({ ms, busy, cpu: childrenCpuS() - cpu0, code, out, err });
    }),
  );
}

function downloaded(out: string): number {
  return (JSON.parse(out) as { results: { downloaded: number } }).results.downloaded;
}

const rows: string[] = [];
const load0 = loadavg()[0]!.toFixed(1);
const pct = (busy: number): string => `${Math.round(busy * 100)} %`;

async function embedded(label: string, bin: string): Promise<void> {
  const simulation = await startSimulation(sim);
  const dir = mkdtempSync(join(tmpdir(), 'harvester-bench-embedded-'));
  try {
    const r = await run(
      bin,
      searchArgs,
      {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        ...simulation.env,
        ...env,
        DOWNLOAD_DIR: join(dir, 'downloads'),
        LOG_DIR: join(dir, 'logs'),
        DATA_DIR: join(dir, 'data'),
      },
      dir,
    );
    if (r.code !== 0) throw new Error(`embedded search (${label}) exited ${r.code}: ${r.err}`);
    rows.push(
      `| ${label} | — | ${(r.ms / 1000).toFixed(2)} | — | ${r.cpu.toFixed(1)} | — | — | ${pct(r.busy)} | ${downloaded(r.out)} |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await simulation.close();
  }
}

if (values.base !== undefined) await embedded(`embedded, base (${values.base})`, join(values.base, 'bin/harvester.js'));
await embedded('embedded (1 process, SQLite)', BIN);

let base = 0;
for (const n of counts) {
  const cluster = await openCluster({ sim, env });
  const workers: ClusterProcess[] = [];
  try {
    for (let i = 0; i < n; i++) workers.push(await cluster.worker());
    const workersCpu0 = workers.map((w) => processCpuS(w.pid));
    const backends = watchBackends(new URL(cluster.env.DATABASE_URL!).pathname.slice(1));
    // A worker that dies would leave the job waiting for ever: say why and stop.
    const deaths = workers.map((w) => {
      const died = (code: number | null, signal: string | null): void => {
        console.error(`worker ${w.line} exited (${code ?? signal}) during the job:\n${w.output()}`);
        process.exit(1);
      };
      w.child.once('exit', died);
      return () => w.child.off('exit', died);
    });
    const r = await run(BIN, searchArgs, cluster.env, cluster.dir);
    for (const forget of deaths) forget();
    const pgCpu = backends();
    const workersCpu = workers.reduce((sum, w, i) => sum + processCpuS(w.pid) - workersCpu0[i]!, 0);
    if (r.code !== 0) throw new Error(`search with ${n} workers exited ${r.code}: ${r.err}`);
    if (base === 0) base = r.ms;
    rows.push(
      `| distributed | ${n} | ${(r.ms / 1000).toFixed(2)} | ${(base / r.ms).toFixed(2)}× | ${r.cpu.toFixed(1)} | ` +
        `${workersCpu.toFixed(1)} | ${pgCpu.toFixed(1)} | ${pct(r.busy)} | ${downloaded(r.out)} |`,
    );
  } finally {
    await cluster.close();
  }
}

const command = [
  'node --import tsx bench/cluster.ts',
  `--latency ${latencyMs} --per-query ${perQuery} --limit ${limit}`,
  `--concurrency ${values.concurrency} --downloads ${values.downloads} --workers ${counts.join(',')}`,
  ...(values.base === undefined ? [] : [`--base ${values.base}`]),
].join(' ');
console.log(`Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${command}\`.`);
console.log(
  `Machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}; load average (1 min) ${load0} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
);
console.log(
  `Job: ${SOURCES.length} sources × ${QUERIES.length} queries = ${SOURCES.length * QUERIES.length} source runs of images, limit ${limit}; ` +
    `each query finds ${perQuery} generated pictures, every simulated answer after ${latencyMs} ms; ` +
    `${values.concurrency} runs at once per process (WORKER_CONCURRENCY, MAX_CONCURRENT_SOURCES), ${values.downloads} downloads at once per run (MAX_DOWNLOADS_PER_SOURCE). ` +
    'Wall: `harvester search --json` from spawn to exit (CLI start-up included), workers started before the clock. ' +
    "CPU s (user + system) while the job runs: the `harvester search` process, the worker processes, the PostgreSQL backends of the job's database (Redis, shared with other work, is not counted). Machine busy: both cores over the wall time, other work included.",
);
console.log(
  '\n| mode | workers | wall s | speed-up vs 1 worker | CPU s: CLI | workers | PostgreSQL | machine busy | files |\n|---|---|---|---|---|---|---|---|---|',
);
for (const row of rows) console.log(row);
