// Each suite as the report sees it: what was injected, what was expected, and the observed
// figures, built from the drivers in this folder. `npm run reliability` runs these.
import { spawn } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../lib/paths.ts';
import type { SuiteResult } from '../lib/report.ts';
import { fitLine, mean, percentile } from '../lib/stats.ts';
import { renderPlot } from '../lib/svg-plot.ts';
import { notRun, startResult, type SuiteOptions } from '../lib/suite.ts';
import { runApiFuzz } from './api-fuzz.ts';
import { runCrash } from './crash.ts';
import { runDiskFull } from './disk-full.ts';
import {
  BOUND_MS,
  HEAP_TOLERANCE_BYTES,
  MATRIX_CONFIG,
  RSS_TOLERANCE_BYTES,
  faults,
  runMatrix,
  type CellResult,
  type Face,
  type Phase,
} from './fault-matrix.ts';
import { fuzzNaming } from './path-fuzz.ts';
import { runPathsEndToEnd } from './path-e2e.ts';
import { DRAIN_BOUND_MS, runShutdown } from './shutdown.ts';
import { runSoak } from './soak.ts';

const cmd = (id: string): string => `npm run reliability -- --only ${id}`;

// ── 1. fault matrix ────────────────────────────────────────────────────────────────────────
export const MATRIX = {
  id: 'fault-matrix',
  order: 10,
  title: 'Fault matrix',
  command: cmd('fault-matrix'),
  injected: `each fault of the fault server (test/helpers/fault-server.ts) plus DNS failure and connection refused, in the search request of a source (its <ID>_BASE_URL points at a switchboard that routes it to the fault) and in its media downloads (its real answer, from the simulation, rewritten so every media URL misbehaves), through the real CLI process and through a job POSTed to the real server. Config: ${Object.entries(
    MATRIX_CONFIG,
  )
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}.`,
  expected: `the job ends within the source's deadline + 1 s (${BOUND_MS} ms by its own duration_ms); the source is failed with an error that names what happened; no .part remains; every file the database records exists with its size and SHA-256 and no media file is unrecorded; the job document matches the database; integrity_check ok. Server face also: the process stays up, /api/health answers 200, the next healthy job on the same source completes, and — both measured right after a full garbage collection, asked for over the inspector the server runs with on 127.0.0.1:0 — the V8 heap after the cell is within ${HEAP_TOLERANCE_BYTES / 2 ** 20} MB and RSS within ${RSS_TOLERANCE_BYTES / 2 ** 20} MB of before. The private-address cells run with ALLOW_PRIVATE_NETWORKS=false: their sources sit at a public-looking address (203.0.113.7, TEST-NET-3) reached only through a loopback forward proxy (HTTP_PROXY) that maps it to 127.0.0.1, so that only the redirect target is private; and they run in a fresh network namespace (unshare -n) whose only interface is loopback, so nothing can leave the machine even if the guard or the proxy were bypassed. The proxy records every target it is asked for: a request for the private address is a failure even when the error text looks right.`,
};

export async function matrixSuite(options: SuiteOptions): Promise<SuiteResult> {
  const { result, finish } = startResult(MATRIX);
  const quickCells: [string, Phase, Face][] = [
    ['hang', 'search', 'cli'],
    ['reset', 'media', 'cli'],
    ['redirect-private', 'media', 'cli'],
    ['500', 'search', 'server'],
    ['html-as-image', 'media', 'server'],
  ];
  const outcome = await runMatrix({
    faces: ['cli', 'server'],
    phases: ['search', 'media'],
    ...(options.quick ? { cells: quickCells } : {}),
    log: options.log,
  });
  const ran = outcome.cells.filter((c) => c.outcome !== 'na');
  const failed = ran.filter((c) => c.outcome === 'fail');
  const durations = ran.map((c) => c.durationMs ?? NaN).filter((d) => Number.isFinite(d));
  result.figures.push(
    `${ran.length - failed.length}/${ran.length} cells pass (${outcome.cells.length - ran.length} not applicable)`,
  );
  result.figures.push(
    `job duration over all cells: p50 ${percentile(durations, 50)} ms, max ${Math.max(...durations)} ms (bound ${BOUND_MS} ms)`,
  );
  if (outcome.server) {
    result.figures.push(
      `server face: one server process (pid ${outcome.server.pid}) for all its cells, alive at the end: ${outcome.server.aliveAtEnd}; RSS after warm-up ${outcome.server.rssStartMb} MB, after the last cell ${outcome.server.rssEndMb} MB`,
    );
  }
  result.tables!.push({ title: 'Cells', table: matrixTable(outcome.cells) });
  for (const c of failed) result.notes!.push(`FAIL ${c.face}/${c.phase}/${c.fault}: ${c.problems.join('; ')}`);
  return finish(failed.length > 0 ? 'failed' : 'passed');
}

function matrixTable(cells: CellResult[]): { columns: string[]; rows: string[][] } {
  const order = faults().map((f) => f.id);
  const sorted = [...cells].sort(
    (a, b) =>
      order.indexOf(a.fault) - order.indexOf(b.fault) || a.phase.localeCompare(b.phase) || a.face.localeCompare(b.face),
  );
  return {
    columns: [
      'fault',
      'phase',
      'face',
      'result',
      'source: status',
      'error (what the user reads)',
      'job ms',
      'wall ms',
      'retries',
      'after full GC: RSS / heap MB, before→after',
      'next job',
    ],
    rows: sorted.map((c) =>
      c.outcome === 'na'
        ? [c.label, c.phase, c.face, 'n/a', '', c.reason ?? '', '', '', '', '', '']
        : [
            c.label,
            c.phase,
            c.face,
            c.outcome === 'pass' ? 'pass' : `**FAIL**: ${c.problems.join('; ')}`,
            `${c.source}: ${c.sourceStatus ?? '?'}`,
            `${(c.error ?? '').slice(0, 160)}${c.evidence && c.evidence !== 'source error' ? ` — ${c.evidence}` : ''}`,
            String(c.durationMs ?? ''),
            String(c.wallMs ?? ''),
            String(c.retries ?? ''),
            c.rssBeforeMb !== undefined ? `${c.rssBeforeMb}→${c.rssAfterMb} / ${c.heapBeforeMb}→${c.heapAfterMb}` : '',
            c.recovery ?? '',
          ],
    ),
  };
}

// ── 2. crash at any point ──────────────────────────────────────────────────────────────────
export const CRASH = {
  id: 'crash',
  order: 20,
  title: 'Crash at any point',
  command: cmd('crash'),
  injected:
    "SIGKILL of the real CLI process (`harvester search`, and sometimes the `harvester resume` that follows) and of the real server (`harvester serve`) at a uniformly random moment of running jobs: CLI kills are drawn over the reference job's running time from its first \"[source] started\" line, server kills over a warm job's time after work was given to it. Sources: openverse, pexels and pixabay simulated (40 ms per answer), their answers given ids and media unique to each query (so the download archive never interferes) and their media served by the fault server's /drip (about 100 KB in 8 KiB steps every 20 ms, so kills land mid-body); MAX_DOWNLOADS_PER_SOURCE=1, limit 6.",
  expected:
    'after every kill, the database opened read-only passes `PRAGMA integrity_check`; after `harvester resume <id>` (CLI) or a restart (server, which resumes the jobs it finds interrupted), each job ends completed with exactly the files an uninterrupted run saves per source (counting files the download archive skipped as already saved), every file recorded before a kill is still recorded with the same content, no file is recorded twice or saved twice, no .part remains, and disk, database and job documents agree.',
};

export async function crashSuite(options: SuiteOptions): Promise<SuiteResult> {
  const { result, finish } = startResult(CRASH);
  const kills = options.quick ? { cli: 1, server: 1 } : { cli: 10, server: 10 };
  const outcome = await runCrash({
    cliKills: kills.cli,
    serverKills: kills.server,
    seed: options.seed,
    sources: ['openverse', 'pexels', 'pixabay'],
    limit: 6,
    latencyMs: 40,
    log: options.log,
  });
  const ok = outcome.kills.filter((k) => k.integrity === 'ok').length;
  result.figures.push(
    `${outcome.kills.length} SIGKILLs (${outcome.kills.filter((k) => k.face === 'cli').length} CLI, ${outcome.kills.filter((k) => k.face === 'server').length} server), seed ${options.seed}; integrity_check ok after ${ok}/${outcome.kills.filter((k) => k.integrity !== 'no database yet').length} of them`,
  );
  result.figures.push(
    `${outcome.jobs.length} jobs resumed to their end: ${outcome.jobs.filter((j) => j.problems.length === 0).length} with every file exactly once; ${outcome.problems.length} problems in all`,
  );
  result.figures.push(
    `reference (uninterrupted) job: ${JSON.stringify(outcome.reference.perSource)} files in ${outcome.reference.jobMs.toFixed(0)} ms; CLI kill moments drawn uniformly over that time from the job's first "started" line`,
  );
  result.figures.push(
    `at the kills: ${outcome.kills.reduce((a, k) => a + k.partsAtKill, 0)} .part files were on disk in all (removed by the resumes), ${outcome.kills.reduce((a, k) => a + k.recordedAtKill, 0)} file records`,
  );
  result.tables!.push({
    title: 'Kills',
    table: {
      columns: [
        '#',
        'face',
        'what was running',
        'kill at ms',
        'recorded files',
        'media on disk',
        '.part on disk',
        'integrity_check',
      ],
      rows: outcome.kills.map((k) => [
        String(k.n),
        k.face,
        k.what,
        k.atMs.toFixed(0),
        String(k.recordedAtKill),
        String(k.mediaAtKill),
        String(k.partsAtKill),
        k.integrity,
      ]),
    },
  });
  result.tables!.push({
    title: 'Jobs after their resume',
    table: {
      columns: ['face', 'job', 'kills', 'status', 'files', 'uninterrupted run', 'problems'],
      rows: outcome.jobs.map((j) => [
        j.face,
        j.job_id.slice(0, 8),
        String(j.kills),
        j.status,
        String(j.files),
        String(j.expected),
        j.problems.join('; ') || 'none',
      ]),
    },
  });
  for (const p of outcome.problems.slice(0, 30)) result.notes!.push(p);
  for (const n of outcome.notes) result.notes!.push(n);
  const allKills = options.quick ? 2 : 20;
  if (outcome.kills.length < allKills)
    result.notes!.push(
      `only ${outcome.kills.length} of ${allKills} kills landed (runs ended before their kill moment)`,
    );
  return finish(
    outcome.problems.length > 0 || ok < outcome.kills.filter((k) => k.integrity !== 'no database yet').length
      ? 'failed'
      : 'passed',
  );
}

// ── 3. fuzzing ─────────────────────────────────────────────────────────────────────────────
export const FUZZ_API = {
  id: 'fuzz-api',
  order: 30,
  title: 'Fuzzing: the API',
  command: cmd('fuzz-api'),
  injected:
    'fast-check requests to the real server process: half POST /api/jobs with random bodies (wrong types, missing and unknown fields, __proto__, over-long and blank queries, unknown sources, absurd limits, invalid and 2 MB JSON), half random methods × every route with hostile ids, query strings and headers (content types, Authorization, Last-Event-ID, Range). Every source points at the local simulation.',
  expected:
    'never a 5xx; the process stays up; a refused POST /api/jobs creates no row in the database and no folder under DOWNLOAD_DIR. A second run with API_TOKEN set: the same, with random tokens.',
};

export async function apiFuzzSuite(options: SuiteOptions): Promise<SuiteResult> {
  const { result, finish } = startResult(FUZZ_API);
  let failed = false;
  for (const token of [undefined, 'reliability-token-123']) {
    const r = await runApiFuzz({
      numRuns: options.quick ? 150 : 1500,
      seed: options.seed,
      ...(token ? { token } : {}),
      log: options.log,
    });
    result.figures.push(
      `${token ? 'API_TOKEN set' : 'no token'}: ${r.requests} requests (seed ${r.seed}) — statuses ${Object.entries(
        r.byStatus,
      )
        .map(([s, n]) => `${s}×${n}`)
        .join(
          ', ',
        )}; ${r.refusedPosts} refused job submissions created nothing, ${r.acceptedPosts} valid ones ran; server alive at the end: ${r.aliveAtEnd}${r.failure ? `; FAILED: ${r.failure}` : ''}`,
    );
    if (r.failure || !r.aliveAtEnd) failed = true;
    if (options.quick) break;
  }
  return finish(failed ? 'failed' : 'passed');
}

export const FUZZ_PATHS = {
  id: 'fuzz-paths',
  order: 32,
  title: 'Fuzzing: file names and URLs from sources',
  command: cmd('fuzz-paths'),
  injected:
    'in-process: hostile strings (traversal, both separators, NUL, device names, Unicode look-alikes, 300-character names, random binary) as queries, extensions and path segments for querySlug, mediaFileName and safeJoin. End to end: the real CLI with hostile queries, hostile media URLs (`harvester get`) and a source whose answer carries hostile titles and URLs.',
  expected:
    'every name is refused (UnsafePathError) or is a plain name whose resolved path stays inside DOWNLOAD_DIR; end to end, nothing is written outside DOWNLOAD_DIR (the sandbox is listed before and after), and every file saved is under DOWNLOAD_DIR/<slug>/<source>/.',
};

export async function pathFuzzSuite(options: SuiteOptions): Promise<SuiteResult> {
  const { result, finish } = startResult(FUZZ_PATHS);
  let failed = false;
  for (const p of fuzzNaming(options.quick ? 1000 : 20_000, options.seed)) {
    result.figures.push(
      `${p.property}: ${p.runs} runs (seed ${options.seed})${p.failure ? ` — FAILED: ${p.failure}` : ' — holds'}`,
    );
    if (p.failure) failed = true;
  }
  const e2e = await runPathsEndToEnd({ queries: options.quick ? 2 : 12, seed: options.seed, log: options.log });
  result.figures.push(
    `end to end: ${e2e.runs} CLI jobs with hostile input, ${e2e.files} files saved, ${e2e.escapes.length} written outside DOWNLOAD_DIR, ${e2e.misplaced.length} outside <slug>/<source>/`,
  );
  result.tables!.push({
    title: 'End-to-end runs',
    table: { columns: ['input', 'exit', 'files', 'folders'], rows: e2e.rows },
  });
  for (const p of [...e2e.escapes, ...e2e.misplaced]) result.notes!.push(p);
  if (e2e.escapes.length > 0 || e2e.misplaced.length > 0) failed = true;
  return finish(failed ? 'failed' : 'passed');
}

export const FUZZ_PARSERS = {
  id: 'fuzz-parsers',
  order: 33,
  title: 'Fuzzing: the source parsers',
  command: cmd('fuzz-parsers'),
  injected:
    "the project's own fast-check properties (test/sources/*property*), with PROPERTY_RUNS=1000 (ten times what `npm test` runs): random text and JSON, and real recorded answers mutated at random places, fed to every adapter's parser.",
  expected:
    'every property holds: a parser yields valid candidates or throws ParseError/BlockedError, never a TypeError, never an invalid URL.',
};

export async function parserFuzzSuite(options: SuiteOptions): Promise<SuiteResult> {
  const files = readdirSync(join(ROOT, 'test', 'sources')).filter(
    (f) => f.includes('property') && f.endsWith('.test.ts'),
  );
  if (files.length === 0) return notRun(FUZZ_PARSERS, 'no test/sources/*property* files yet');
  const { result, finish } = startResult(FUZZ_PARSERS);
  const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
    // Ten times the runs `npm test` gives them (PROPERTY_RUNS, default 100 there).
    const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...files.map((f) => `test/sources/${f}`)], {
      cwd: ROOT,
      env: { ...process.env, PROPERTY_RUNS: options.quick ? '100' : '1000' },
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (text += d.toString()));
    child.on('close', (code) => resolve({ code, text }));
  });
  const count = (name: string): string => new RegExp(`ℹ ${name} (\\d+)`).exec(out.text)?.[1] ?? '?';
  const names = [...out.text.matchAll(/^\s*✔ (.+?) \(\d/gm)].map((m) => m[1]!);
  result.figures.push(
    `${files.join(', ')}: ${count('tests')} properties, ${count('pass')} pass, ${count('fail')} fail (exit ${out.code})`,
  );
  for (const n of names.slice(0, 40)) result.notes!.push(`holds: ${n}`);
  if (out.code !== 0) {
    // The spec reporter repeats each failure, with fast-check's seed and counterexample, at the end.
    const tail = out.text.slice(out.text.lastIndexOf('✖ failing tests:'));
    const lines = tail
      .split('\n')
      .filter((l) => /✖|Property failed|seed:|Counterexample|Error|expected|actual/.test(l))
      .slice(0, 12);
    for (const l of lines) result.notes!.push(`failure: ${l.trim().slice(0, 600)}`);
  }
  options.log(result.figures[0]!);
  return finish(out.code === 0 ? 'passed' : 'failed');
}

// ── 4. disk full ───────────────────────────────────────────────────────────────────────────
export const DISK_FULL = {
  id: 'disk-full',
  order: 40,
  title: 'Disk full',
  command: cmd('disk-full'),
  injected:
    'DOWNLOAD_DIR on a real 1 MiB tmpfs (mounted by the suite as root): through the CLI, `harvester get` of one 3 MB file; then, through the CLI and through the server, a search of bing_images (simulated) with a filler file leaving about 12 KiB, then the filler removed and the search run again.',
  expected:
    'the failing file is reported with "no space left on device", its .part is removed, disk and database agree, integrity_check ok, the process (server) stays up; once space is back the next job completes.',
};

export async function diskFullSuite(options: SuiteOptions): Promise<SuiteResult> {
  const { result, finish } = startResult(DISK_FULL);
  const outcome = await runDiskFull({ server: true, log: options.log });
  if (outcome.notRun) return notRun(DISK_FULL, outcome.notRun);
  result.figures.push(`method: ${outcome.method} (real ENOSPC from the kernel, no injection)`);
  const bad = outcome.steps.filter((s) => s.problems.length > 0);
  result.figures.push(`${outcome.steps.length - bad.length}/${outcome.steps.length} steps as expected`);
  result.tables!.push({
    title: 'Steps',
    table: {
      columns: [
        'face',
        'step',
        'job',
        'saved',
        'failed downloads',
        'source error',
        'free after (KiB)',
        '.part',
        'problems',
      ],
      rows: outcome.steps.map((s) => [
        s.face,
        s.step,
        s.jobStatus,
        String(s.downloaded),
        String(s.failed),
        (s.error ?? '').slice(0, 160),
        (s.freeBytes / 1024).toFixed(0),
        String(s.parts),
        s.problems.join('; ') || 'none',
      ]),
    },
  });
  return finish(bad.length > 0 ? 'failed' : 'passed');
}

// ── 5. graceful shutdown ───────────────────────────────────────────────────────────────────
export const SHUTDOWN = {
  id: 'shutdown',
  order: 50,
  title: 'Graceful shutdown',
  command: cmd('shutdown'),
  injected:
    'SIGTERM to the real server while 2 jobs run (3 simulated sources each, 250 ms per answer) and 2 more wait in its queue (MAX_CONCURRENT_JOBS=2); from 20 ms after the signal, a client keeps POSTing jobs until the process is gone.',
  expected: `no job accepted after the signal; exit 0 within ${DRAIN_BOUND_MS / 1000} s; every unfinished job (running or queued) is interrupted in the database; no .part left; disk and database agree; the next start resumes them and each completes.`,
};

export async function shutdownSuite(options: SuiteOptions): Promise<SuiteResult> {
  const { result, finish } = startResult(SHUTDOWN);
  const r = await runShutdown({ jobs: 4, log: options.log });
  result.figures.push(
    `at SIGTERM: ${r.runningAtSignal} running, ${r.queuedAtSignal} queued, ${r.filesAtSignal} files saved`,
  );
  result.figures.push(
    `exit ${r.exitCode}${r.exitSignal ? ` (signal ${r.exitSignal})` : ''} ${r.exitMs.toFixed(0)} ms after SIGTERM (bound ${DRAIN_BOUND_MS} ms)`,
  );
  const posts: Record<string, number> = {};
  for (const p of r.postsDuringDrain) posts[p] = (posts[p] ?? 0) + 1;
  result.figures.push(
    `POST /api/jobs during the stop: ${
      Object.entries(posts)
        .map(([k, n]) => `${k}×${n}`)
        .join(', ') || 'none sent'
    }`,
  );
  result.figures.push(
    `statuses in the database after the exit: ${JSON.stringify(r.statusesAfterExit)}; .part files left: ${r.partsAfterExit}`,
  );
  result.figures.push(
    `after the restart: ${JSON.stringify(r.statusesAfterResume)} in ${(r.resumeMs / 1000).toFixed(1)} s`,
  );
  for (const p of r.problems) result.notes!.push(p);
  return finish(r.problems.length > 0 ? 'failed' : 'passed');
}

// ── 6. soak ────────────────────────────────────────────────────────────────────────────────
export const SOAK = {
  id: 'soak',
  order: 60,
  title: 'Soak',
  command: cmd('soak'),
  injected:
    "jobs back to back through the real server (one after the other: the switches below are per connection, so two jobs in flight would share their faults), each with 2–4 random sources out of 9 simulated ones; yandex_images, openverse and duckduckgo_images sit behind switches that, per job with probability 0.4, route them to a fault — yandex_images to a server that accepts and never answers (the seed's hanging source), the other two to HTTP 500, 503 with Retry-After, reset mid-body, invalid JSON, changed layout, hang or connection refused — and otherwise to their simulation. (At most two faulty runs in a row per source, so that the cool-down, which skips a source for 5 min after 3 failures in a row, does not retire it and its faults for the rest of the run.) SOURCE_TIMEOUT=2, REQUEST_TIMEOUT=1. The server's RSS and open file descriptors are read from /proc, its V8 heap from /metrics (harvester_nodejs_heap_size_used_bytes), and the database size (harvester.db + -wal) from disk, every 5 jobs.",
  expected:
    'no job stuck and none over its bound (⌈sources/MAX_CONCURRENT_SOURCES⌉ × deadline + 1 s); after a warm-up of the first 50 jobs, no upward trend in what the program holds: the least-squares slope of the V8 heap that survives a forced full collection (sampled every 25 jobs with no job in flight, after HeapProfiler.collectGarbage through the inspector the server runs with on 127.0.0.1:0) under 0.02 MB/job (5 MB over 250 jobs) and open descriptors under 0.01 per job; RSS at the same points under 0.1 MB/job (RSS also holds what the allocator and SQLite keep, so it is judged loosely and its slope reported); heap-used and RSS between collections are plotted and reported (V8 collects lazily, so they rise and fall with no leak); the database grows linearly with the jobs it keeps (history), not faster; job times stable (p50/p99 per 50-job window); the server exits 0 on SIGTERM; disk and database agree.',
};

export async function soakSuite(options: SuiteOptions): Promise<SuiteResult> {
  // SOAK_JOBS lengthens the run (to see where a rising curve levels off); a longer run is kept
  // as a result of its own (soak-<N>) beside the standard 300-job one.
  const jobCount = options.quick ? 30 : Number(process.env.SOAK_JOBS ?? 300);
  const long = !options.quick && jobCount !== 300;
  const { result, finish } = startResult(
    long
      ? {
          ...SOAK,
          id: `soak-${jobCount}`,
          order: 61,
          title: `Soak, ${jobCount} jobs`,
          command: `SOAK_JOBS=${jobCount} ${SOAK.command}`,
        }
      : SOAK,
  );
  const plotName = long ? `soak-${jobCount}.svg` : 'soak.svg';
  const warmup = options.quick ? 10 : 50;
  const { startFaultServer } = await import('../../test/helpers/fault-server.ts');
  const faultsSrv = await startFaultServer();
  const faultPorts: { name: string; route: string }[] = [
    { name: 'HTTP 500', route: '/status/500' },
    { name: '503 + Retry-After: 1', route: '/status/503?retryAfter=1' },
    { name: 'reset mid-body', route: '/reset?after=100' },
    { name: 'invalid JSON', route: '/invalid-json' },
    { name: 'layout changed', route: '/layout-changed?format=json' },
    { name: 'hang', route: '/hang' },
  ];
  try {
    // One fault server per fault route would need many; instead the fault server serves the
    // fallback of the fault picked last (jobs in flight may share it, which a soak tolerates).
    const gcPoints = Array.from({ length: Math.floor((jobCount - warmup) / 25) + 1 }, (_, i) => warmup + i * 25);
    const outcome = await runSoak(
      { jobs: jobCount, seed: options.seed, inFlight: 1, gcPoints, log: options.log },
      async () => [
        ...faultPorts.map((f) => ({
          name: f.name,
          target: { port: faultsSrv.port },
          before: () => faultsSrv.setFallback(f.route),
        })),
        { name: 'connection refused', target: 'refuse' as const },
      ],
    );
    const post = outcome.samples.filter((s) => s.jobs >= warmup);
    const xs = post.map((s) => s.jobs);
    const fit = (ys: number[]): ReturnType<typeof fitLine> => fitLine(xs, ys);
    const rss = fit(post.map((s) => s.rssBytes / 2 ** 20));
    const fds = fit(post.map((s) => s.fds));
    const heapSamples = post.filter((s) => s.heapBytes !== null);
    const gcHeap = outcome.afterGc.filter((s) => s.heapBytes !== null);
    const gcFit =
      gcHeap.length >= 2
        ? fitLine(
            gcHeap.map((s) => s.jobs),
            gcHeap.map((s) => s.heapBytes! / 2 ** 20),
          )
        : null;
    const gcRss =
      outcome.afterGc.length >= 2
        ? fitLine(
            outcome.afterGc.map((s) => s.jobs),
            outcome.afterGc.map((s) => s.rssBytes / 2 ** 20),
          )
        : null;
    const heap =
      heapSamples.length >= 2
        ? fitLine(
            heapSamples.map((s) => s.jobs),
            heapSamples.map((s) => s.heapBytes! / 2 ** 20),
          )
        : null;
    const db = fit(post.map((s) => s.dbBytes / 1024));
    const span = xs.length > 1 ? xs[xs.length - 1]! - xs[0]! : 0;
    result.figures.push(
      `${outcome.jobs.length}/${jobCount} jobs ended, ${outcome.stuck.length} stuck; statuses ${JSON.stringify(count(outcome.jobs.map((j) => j.status)))}; ${outcome.jobs.filter((j) => j.faults.length > 0).length} jobs had a fault injected, ${outcome.jobs.reduce((a, j) => a + j.failedSources, 0)} source runs ended failed, ${outcome.jobs.reduce((a, j) => a + j.skippedSources, 0)} were skipped (cooling down); ${outcome.jobs.reduce((a, j) => a + j.downloaded, 0)} files saved`,
    );
    result.figures.push(
      `RSS: slope ${rss.slope.toFixed(4)} MB/job after warm-up (${(rss.slope * span).toFixed(1)} MB over ${span} jobs); range ${mb(Math.min(...outcome.samples.map((s) => s.rssBytes)))}–${mb(Math.max(...outcome.samples.map((s) => s.rssBytes)))} MB`,
    );
    result.figures.push(
      heap
        ? `heap used: slope ${heap.slope.toFixed(4)} MB/job after warm-up (${(heap.slope * span).toFixed(1)} MB over ${span} jobs); range ${mb(Math.min(...heapSamples.map((s) => s.heapBytes!)))}–${mb(Math.max(...heapSamples.map((s) => s.heapBytes!)))} MB`
        : 'heap used: not sampled (/metrics has no *nodejs_heap_size_used_bytes)',
    );
    result.figures.push(
      gcFit
        ? `heap after a forced full GC (no job in flight) at jobs ${gcHeap.map((s) => s.jobs).join(', ')}: ${gcHeap.map((s) => mb(s.heapBytes!)).join(', ')} MB — slope ${gcFit.slope.toFixed(4)} MB/job (${(gcFit.slope * span).toFixed(1)} MB over ${span} jobs); RSS at the same points ${outcome.afterGc.map((s) => mb(s.rssBytes)).join(', ')} MB; memory outside the V8 heap (Buffers…) ${outcome.afterGc.map((s) => (s.externalBytes === null ? '?' : mb(s.externalBytes))).join(', ')} MB`
        : 'heap after a forced full GC: not sampled',
    );
    result.figures.push(
      `open file descriptors: slope ${fds.slope.toFixed(4)} per job after warm-up; range ${Math.min(...outcome.samples.map((s) => s.fds))}–${Math.max(...outcome.samples.map((s) => s.fds))}`,
    );
    result.figures.push(
      `database: ${db.slope.toFixed(1)} KiB per job after warm-up (r² ${db.r2.toFixed(3)}, linear: history is kept), ${(outcome.samples.at(-1)!.dbBytes / 2 ** 20).toFixed(1)} MB at the end`,
    );
    const windows: string[][] = [];
    for (let w = 0; w < outcome.jobs.length; w += 50) {
      const slice = [...outcome.jobs].sort((a, b) => a.n - b.n).slice(w, w + 50);
      const d = slice.map((j) => j.durationMs ?? NaN).filter(Number.isFinite);
      const wall = slice.map((j) => j.wallMs);
      windows.push([
        `${w + 1}–${w + slice.length}`,
        String(percentile(d, 50)),
        String(percentile(d, 99)),
        percentile(wall, 50).toFixed(0),
        percentile(wall, 99).toFixed(0),
        String(slice.filter((j) => j.faults.length > 0).length),
        String(slice.reduce((a, j) => a + j.failedSources, 0)),
        String(Math.max(...slice.map((j) => j.boundMs))),
      ]);
    }
    result.tables!.push({
      title: 'Job times per 50-job window',
      table: {
        columns: [
          'jobs',
          'duration p50 ms',
          'duration p99 ms',
          'submit→end p50 ms',
          'submit→end p99 ms',
          'with faults',
          'failed source runs',
          'bound ms',
        ],
        rows: windows,
      },
    });
    result.figures.push(
      `server exit on SIGTERM after the soak: ${outcome.serverExit ? `code ${outcome.serverExit.code} in ${outcome.serverExit.ms.toFixed(0)} ms` : 'n/a'}`,
    );
    const svgPath = join(ROOT, 'reliability', plotName);
    writeFileSync(
      svgPath,
      renderPlot(
        [
          {
            title: 'Server RSS',
            unit: 'MB',
            xs: outcome.samples.map((s) => s.jobs),
            ys: outcome.samples.map((s) => s.rssBytes / 2 ** 20),
          },
          ...(heapSamples.length
            ? [
                {
                  title: 'V8 heap used',
                  unit: 'MB',
                  xs: outcome.samples.filter((s) => s.heapBytes !== null).map((s) => s.jobs),
                  ys: outcome.samples.filter((s) => s.heapBytes !== null).map((s) => s.heapBytes! / 2 ** 20),
                },
              ]
            : []),
          ...(gcHeap.length
            ? [
                {
                  title: 'V8 heap after a forced full GC',
                  unit: 'MB',
                  xs: gcHeap.map((s) => s.jobs),
                  ys: gcHeap.map((s) => s.heapBytes! / 2 ** 20),
                },
              ]
            : []),
          {
            title: 'Open file descriptors',
            unit: 'fds',
            xs: outcome.samples.map((s) => s.jobs),
            ys: outcome.samples.map((s) => s.fds),
          },
          {
            title: 'Database (harvester.db + -wal)',
            unit: 'MB',
            xs: outcome.samples.map((s) => s.jobs),
            ys: outcome.samples.map((s) => s.dbBytes / 2 ** 20),
          },
          {
            title: 'Job duration (each job)',
            unit: 'ms',
            xs: [...outcome.jobs].sort((a, b) => a.n - b.n).map((j) => j.n),
            ys: [...outcome.jobs].sort((a, b) => a.n - b.n).map((j) => j.durationMs ?? 0),
          },
        ],
        { xLabel: 'jobs finished', warmupX: warmup },
      ),
    );
    result.images!.push({
      alt: 'Soak: RSS, heap, open descriptors, database size and job duration against jobs finished',
      path: `reliability/${plotName}`,
    });
    const problems = [...outcome.problems];
    if (gcRss ? gcRss.slope > 0.1 : rss.slope > 0.1)
      problems.push(`RSS grows ${(gcRss ?? rss).slope.toFixed(4)} MB/job after warm-up`);
    const gcExternal = outcome.afterGc.filter((s) => s.externalBytes !== null);
    if (gcExternal.length >= 2) {
      const ext = fitLine(
        gcExternal.map((s) => s.jobs),
        gcExternal.map((s) => s.externalBytes! / 2 ** 20),
      );
      result.figures.push(
        `memory outside the V8 heap after a full GC: slope ${(ext.slope * 1024).toFixed(1)} KiB/job (${(ext.slope * span).toFixed(1)} MB over ${span} jobs)${ext.slope * 1024 > 1 ? ' — growing: see finding 4 (the job-document cache)' : ' — flat'}`,
      );
    }
    if (fds.slope > 0.01) problems.push(`open descriptors grow ${fds.slope.toFixed(4)} per job after warm-up`);
    // The leak criterion is the heap that survives a full collection; "heap used" between
    // collections (and RSS, which V8 keeps after a collection) is reported and plotted, not judged.
    if (gcFit && gcFit.slope > 0.02)
      problems.push(`heap after full GC grows ${gcFit.slope.toFixed(4)} MB/job after warm-up`);
    if (!gcFit && heap && heap.slope > 0.02) problems.push(`heap grows ${heap.slope.toFixed(4)} MB/job after warm-up`);
    if (outcome.serverExit?.code !== 0) problems.push(`the server exited ${outcome.serverExit?.code} after the soak`);
    for (const p of problems.slice(0, 30)) result.notes!.push(p);
    result.notes!.push(
      `mean job duration ${mean(outcome.jobs.map((j) => j.durationMs ?? 0)).toFixed(0)} ms; every job's duration is within its bound unless listed above`,
    );
    return finish(problems.length > 0 || outcome.stuck.length > 0 ? 'failed' : 'passed');
  } finally {
    await faultsSrv.close();
  }
}

const mb = (b: number): string => (b / 2 ** 20).toFixed(1);
function count(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}
