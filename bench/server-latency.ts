// Benchmark: latency of GET /api/jobs/:id under `wrk -t1 -c8 -d10s` while a 2,000-file job runs
// in the same server, and the job's wall time with and without that load.
//
//   node --import tsx bench/server-latency.ts [--files 2000] [--latency-ms 20] [--runs 2] [--write]
//     [--load-after-files N]
//
// The server is the real one (startServer, as `harvester serve` runs it, rate limit off); the job
// is a `get`-style job of FILES URLs on a fake media host in its own process (LATENCY_MS per file);
// wrk is a third process. All share this machine's cores. --write puts the figures under
// "## Server" in bench/RESULTS.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startServer } from '../src/server/start.ts';
import { median } from '../reliability/lib/stats.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const FILES = flag('files', 2000);
const LATENCY_MS = flag('latency-ms', 20);
const RUNS = flag('runs', 2);
const WRITE = process.argv.includes('--write');
// wrk starts once the job has saved this many files (default: at once), so that a big job's
// document is measured when it is big.
const LOAD_AFTER_FILES = flag('load-after-files', 0);

interface WrkResult {
  p50Ms: number;
  p99Ms: number;
  requestsPerSecond: number;
  transferPerSecond: string;
  raw: string;
}

function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

function parseWrk(out: string): WrkResult {
  const pick = (label: string): number => toMs(new RegExp(`^\\s*${label}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
  return {
    p50Ms: pick('50'),
    p99Ms: pick('99'),
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    transferPerSecond: /Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? '?',
    raw: out,
  };
}

async function startSource(): Promise<{ child: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'server-latency-source.ts')], {
    env: { ...process.env, LATENCY_MS: String(LATENCY_MS) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`fake source exited with ${code}`)));
  });
  return { child, origin: `http://127.0.0.1:${port}` };
}

/**
 * An idle Node process measuring its own event-loop delay: what the machine's contention alone
 * does to a process that has nothing to do (the server's figures include it).
 */
function startIdleProbe(): { stop(): Promise<{ p99Ms: number; maxMs: number }> } {
  const code = `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable();
process.on('SIGTERM', () => { h.disable(); process.stdout.write(JSON.stringify({ p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 })); process.exit(0); });
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return {
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () =>
          resolve(JSON.parse(out || '{"p99Ms":NaN,"maxMs":NaN}') as { p99Ms: number; maxMs: number }),
        );
        child.kill('SIGTERM');
      }),
  };
}

interface RunResult {
  jobWallMs: number;
  files: number;
  docBytes: number;
  wrk: WrkResult | null;
  /** The server process's event-loop delay while the job ran: p99 and max, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** The same in an idle process meanwhile (machine contention alone). */
  idleP99Ms: number;
  idleMaxMs: number;
}

async function runOnce(origin: string, withLoad: boolean): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-bench-server-'));
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const server = await startServer({
    env: {
      DOWNLOAD_DIR: join(dir, 'downloads'),
      LOG_DIR: join(dir, 'logs'),
      DATA_DIR: join(dir, 'data'),
      RATE_LIMIT_PER_MINUTE: '0',
      SOURCE_TIMEOUT: '900',
      ALLOW_PRIVATE_NETWORKS: 'true',
    },
    dotenv: {},
    host: '127.0.0.1',
    port: 0,
    webRoot: null,
    stderr: quiet,
    logLevel: 'silent',
  });
  try {
    const urls = Array.from({ length: FILES }, (_, i) => `${origin}/f/${i}.png`);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const probe = startIdleProbe();
    const started = performance.now();
    const doc = await server.jobs.submit({
      query: 'bench',
      sources: ['urls'],
      limit: FILES,
      type: 'image',
      urls,
      options: { noArchive: true },
    });
    let wrk: Promise<WrkResult> | null = null;
    if (withLoad) {
      while (LOAD_AFTER_FILES > 0) {
        const now = await server.jobs.get(doc.job_id, { files: 0 });
        const active = now?.status === 'queued' || now?.status === 'running';
        if (!active || (now.results.files_total ?? 0) >= LOAD_AFTER_FILES) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      wrk = new Promise<WrkResult>((resolve, reject) => {
        const child = spawn('wrk', ['-t1', '-c8', '-d10s', '--latency', `${server.url}/api/jobs/${doc.job_id}`], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.once('exit', (code) =>
          code === 0 ? resolve(parseWrk(out)) : reject(new Error(`wrk exited with ${code}`)),
        );
      });
    }
    const done = await server.jobs.wait(doc.job_id);
    const jobWallMs = performance.now() - started;
    loop.disable();
    const idle = await probe.stop();
    const wrkResult = wrk ? await wrk : null;
    const body = await (await fetch(`${server.url}/api/jobs/${doc.job_id}`)).text();
    return {
      jobWallMs,
      files: done.results.downloaded,
      docBytes: Buffer.byteLength(body),
      wrk: wrkResult,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
      idleP99Ms: idle.p99Ms,
      idleMaxMs: idle.maxMs,
    };
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (spawnSync('wrk', ['--version']).error) throw new Error('wrk is not installed');
  const loadAtStart = loadavg()[0]!;
  const source = await startSource();
  const baseline: RunResult[] = [];
  const loaded: RunResult[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const quietRun = await runOnce(source.origin, false);
      baseline.push(quietRun);
      console.log(
        `run ${run + 1} without load: job ${quietRun.jobWallMs.toFixed(0)} ms, ${quietRun.files} files, document ${(quietRun.docBytes / 1024).toFixed(0)} KiB; ` +
          `event-loop delay p99 ${quietRun.loopDelayP99Ms.toFixed(1)} ms, max ${quietRun.loopDelayMaxMs.toFixed(1)} ms ` +
          `(an idle process meanwhile: p99 ${quietRun.idleP99Ms.toFixed(1)} ms, max ${quietRun.idleMaxMs.toFixed(1)} ms)`,
      );
      const loadRun = await runOnce(source.origin, true);
      loaded.push(loadRun);
      const w = loadRun.wrk!;
      console.log(
        `run ${run + 1} under wrk: job ${loadRun.jobWallMs.toFixed(0)} ms, ${loadRun.files} files; GET /api/jobs/:id p50 ${w.p50Ms} ms, p99 ${w.p99Ms} ms, ` +
          `${w.requestsPerSecond} req/s, ${w.transferPerSecond}/s; event-loop delay p99 ${loadRun.loopDelayP99Ms.toFixed(1)} ms, max ${loadRun.loopDelayMaxMs.toFixed(1)} ms ` +
          `(idle process: p99 ${loadRun.idleP99Ms.toFixed(1)} ms, max ${loadRun.idleMaxMs.toFixed(1)} ms)`,
      );
    }
  } finally {
    source.child.kill('SIGTERM');
  }
  const quietMs = median(baseline.map((r) => r.jobWallMs));
  const loadMs = median(loaded.map((r) => r.jobWallMs));
  const slowdown = (loadMs / quietMs - 1) * 100;
  const round = (n: number): number => Math.round(n * 100) / 100;
  const p50 = round(median(loaded.map((r) => r.wrk!.p50Ms)));
  const p99 = round(median(loaded.map((r) => r.wrk!.p99Ms)));
  const rps = Math.round(median(loaded.map((r) => r.wrk!.requestsPerSecond)));
  console.log(
    `median: p50 ${p50} ms, p99 ${p99} ms, job ${quietMs.toFixed(0)} → ${loadMs.toFixed(0)} ms (${slowdown >= 0 ? '+' : ''}${slowdown.toFixed(1)}%)`,
  );

  const loadAtEnd = loadavg()[0]!;
  if (!WRITE) return;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    '## Server',
    '',
    `\`node --import tsx bench/server-latency.ts --files ${FILES} --latency-ms ${LATENCY_MS} --runs ${RUNS} --write\` — ${new Date().toISOString().slice(0, 10)}, ` +
      `${cpus().length} cores (${cpu}), Node ${process.version}. Load average (1 min) ${loadAtStart.toFixed(1)} at the start and ` +
      `${loadAtEnd.toFixed(1)} at the end: the machine is shared with other work, so the figures carry noise.`,
    '',
    `A \`get\`-style job of ${FILES} URLs (one PNG of about 16 KiB each, ${LATENCY_MS} ms latency per file, MAX_DOWNLOADS_PER_SOURCE=4) runs in the real server ` +
      '(`startServer`, rate limit off); `wrk -t1 -c8 -d10s --latency` asks for `GET /api/jobs/:id` of that job while it runs. ' +
      '**On this 2-core machine the load generator (wrk), the server with its job, and the fake media host (its own process) share the cores.** ' +
      `The job document grows to about ${(median(loaded.map((r) => r.docBytes)) / 1024).toFixed(0)} KiB (${FILES} files listed).`,
    '',
    '| run | job without load | job under wrk | p50 | p99 | requests/s | server event-loop delay p99 / max: without load, under wrk | idle process on the machine, p99 / max |',
    '|---|---|---|---|---|---|---|---|',
    ...loaded.map(
      (r, i) =>
        `| ${i + 1} | ${(baseline[i]!.jobWallMs / 1000).toFixed(2)} s | ${(r.jobWallMs / 1000).toFixed(2)} s | ${r.wrk!.p50Ms} ms | ${r.wrk!.p99Ms} ms | ${r.wrk!.requestsPerSecond} | ` +
        `${baseline[i]!.loopDelayP99Ms.toFixed(1)} / ${baseline[i]!.loopDelayMaxMs.toFixed(1)} ms, ${r.loopDelayP99Ms.toFixed(1)} / ${r.loopDelayMaxMs.toFixed(1)} ms | ` +
        `${r.idleP99Ms.toFixed(1)} / ${r.idleMaxMs.toFixed(1)} ms |`,
    ),
    `| **median** | **${(quietMs / 1000).toFixed(2)} s** | **${(loadMs / 1000).toFixed(2)} s** (${slowdown >= 0 ? '+' : ''}${slowdown.toFixed(1)}%) | **${p50} ms** | **${p99} ms** | ${rps} | | |`,
    '',
    'Event-loop delay is `monitorEventLoopDelay` with a 10 ms resolution (the figures include that 10 ms); the idle process shows what ' +
      "the machine alone does to a Node process at the same moment. Requests/s are wrk's; each answer is the whole document (wrk sends no " +
      "If-None-Match), served from the document cache: a running job's document is rebuilt at most every 0.1 s.",
    '',
    `Goal: p99 < 10 ms — ${p99 < 10 ? 'met' : 'not met'}; job slowed by < 25% — ${slowdown < 25 ? 'met' : 'not met'}.`,
    '',
  ];
  const resultsPath = join(import.meta.dirname, 'RESULTS.md');
  const existing = existsSync(resultsPath) ? readFileSync(resultsPath, 'utf8') : '# Benchmark results\n\n';
  const section = lines.join('\n');
  const start = existing.indexOf('## Server\n');
  let next: string;
  if (start < 0) next = `${existing.trimEnd()}\n\n${section}`;
  else {
    const after = existing.indexOf('\n## ', start + 1);
    next = existing.slice(0, start) + section + (after < 0 ? '' : existing.slice(after + 1));
  }
  writeFileSync(resultsPath, next.endsWith('\n') ? next : `${next}\n`);
  console.log(`wrote the "## Server" section of ${resultsPath}`);
}

await main();
