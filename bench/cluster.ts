// Wall time of one 20-source-run job (5 sources × 4 queries) whose sources are latency-bound (the
// simulation waits `--latency` ms before every answer, searches and downloads alike), run by 1, 2
// and 4 `harvester worker` processes (distributed mode: a PostgreSQL database and a Redis database
// of its own), and by the embedded mode (one `harvester search` process, SQLite) for comparison.
// Usage: node --import tsx bench/cluster.ts [--latency 200] [--limit 3] [--workers 1,2,4]
// Prints a Markdown table for bench/RESULTS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startSimulation } from '../src/demo/sim-server.ts';
import { BIN } from '../test/cli/run-cli.ts';
import { openCluster, type ClusterProcess } from '../test/queue/cluster-harness.ts';

const { values } = parseArgs({
  options: {
    latency: { type: 'string', default: '200' },
    limit: { type: 'string', default: '3' },
    workers: { type: 'string', default: '1,2,4' },
  },
});
const latencyMs = Number(values.latency);
const limit = values.limit;
const counts = values.workers.split(',').map(Number);
const SOURCES = ['openverse', 'pexels', 'pixabay', 'wikimedia_commons', 'nasa_images'] as const;
const QUERIES = ['nature', 'forest', 'ocean', 'mountain'];
const searchArgs = ['search', ...QUERIES, '--sources', SOURCES.join(','), '--limit', limit, '--json'];
// Each worker takes as many runs at once as the embedded process runs sources at once.
const env = { SOURCE_TIMEOUT: '120', MAX_CONCURRENT_SOURCES: '5', WORKER_CONCURRENCY: '5' };

function run(
  args: string[],
  environment: Record<string, string>,
  cwd: string,
): Promise<{ ms: number; code: number | null; out: string; err: string }> {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) =>
    child.once('close', (code) => resolve({ ms: performance.now() - started, code, out, err })),
  );
}

function downloaded(out: string): number {
  return (JSON.parse(out) as { results: { downloaded: number } }).results.downloaded;
}

const rows: string[] = [];
const load0 = loadavg()[0]!.toFixed(1);

// Embedded: one process, SQLite.
{
  const sim = await startSimulation({ sources: SOURCES, latencyMs });
  const dir = mkdtempSync(join(tmpdir(), 'harvester-bench-embedded-'));
  try {
    const r = await run(
      searchArgs,
      {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? dir,
        ...sim.env,
        ...env,
        DOWNLOAD_DIR: join(dir, 'downloads'),
        LOG_DIR: join(dir, 'logs'),
        DATA_DIR: join(dir, 'data'),
      },
      dir,
    );
    if (r.code !== 0) throw new Error(`embedded search exited ${r.code}: ${r.err}`);
    rows.push(`| embedded (1 process, SQLite) | — | ${(r.ms / 1000).toFixed(2)} | — | ${downloaded(r.out)} |`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await sim.close();
  }
}

let base = 0;
for (const n of counts) {
  const cluster = await openCluster({ sim: { sources: SOURCES, latencyMs }, env });
  const workers: ClusterProcess[] = [];
  try {
    for (let i = 0; i < n; i++) workers.push(await cluster.worker());
    const r = await run(searchArgs, cluster.env, cluster.dir);
    if (r.code !== 0) throw new Error(`search with ${n} workers exited ${r.code}: ${r.err}`);
    if (base === 0) base = r.ms;
    rows.push(
      `| distributed | ${n} | ${(r.ms / 1000).toFixed(2)} | ${(base / r.ms).toFixed(2)}× | ${downloaded(r.out)} |`,
    );
  } finally {
    await cluster.close();
  }
}

console.log(
  `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`node --import tsx bench/cluster.ts --latency ${latencyMs} --limit ${limit} --workers ${counts.join(',')}\`.`,
);
console.log(
  `Machine: ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}; load average (1 min) ${load0} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
);
console.log(
  `Job: ${SOURCES.length} sources × ${QUERIES.length} queries = ${SOURCES.length * QUERIES.length} source runs, limit ${limit}, every simulated answer after ${latencyMs} ms; ` +
    'wall time of `harvester search --json` from spawn to exit (CLI start-up included); workers started before the clock.',
);
console.log('\n| mode | workers | wall s | speed-up vs 1 worker | files |\n|---|---|---|---|---|');
for (const row of rows) console.log(row);
