// The soak: jobs back to back through the real server against the simulated
// sources, with faults mixed in (a hanging source, and sources that fail intermittently
// through the switchboard), sampling the server's RSS, heap, open file descriptors and the
// database size as it goes. The trend after warm-up is a least-squares line; job times are
// summarised per window of 50 jobs.
import { statSync } from 'node:fs';
import { collectGarbage, inspectorUrlOf, metric } from '../lib/inspector-gc.ts';
import type { JobDocument, JobSourceName, SourceId } from '../../src/core/types.ts';
import { envPrefix } from '../../src/core/config.ts';
import { startSimulation } from '../../src/demo/sim-server.ts';
import { sampleProcess } from '../lib/proc-stats.ts';
import { makeRng } from '../lib/random.ts';
import { api, readMetrics, startServer, waitForJob } from '../lib/server.ts';
import { makeSandbox } from '../lib/paths.ts';
import {
  querySalt,
  saltIds,
  startRewritingProxy,
  startSwitch,
  type RewritingProxy,
  type Switch,
  type SwitchTarget,
} from '../lib/switchboard.ts';
import { checkAgreement, integrityCheck, recordedFromDb } from '../lib/disk-state.ts';

export interface SoakSample {
  /** Jobs finished when the sample was taken. */
  jobs: number;
  elapsedMs: number;
  rssBytes: number;
  /** V8 heap in use (from /metrics, `*nodejs_heap_size_used_bytes`), or null. */
  heapBytes: number | null;
  /** Memory of Buffers and other objects outside the V8 heap (`*nodejs_external_memory_bytes`), or null. */
  externalBytes: number | null;
  fds: number;
  /** harvester.db plus its -wal, bytes. */
  dbBytes: number;
}

export interface SoakJob {
  n: number;
  job_id: string;
  status: string;
  sources: string[];
  /** Submit to ended, as the client saw it, ms. */
  wallMs: number;
  /** The job document's own duration, ms. */
  durationMs: number | null;
  /** The bound the job must end within: ⌈sources / MAX_CONCURRENT_SOURCES⌉ × deadline + 1 s. */
  boundMs: number;
  faults: string[];
  downloaded: number;
  /** Sources that ended failed in this job (a fault that bit). */
  failedSources: number;
  /** Sources skipped (cooling down). */
  skippedSources: number;
}

export interface SoakOutcome {
  samples: SoakSample[];
  /** Samples taken right after a forced full garbage collection, with no job in flight. */
  afterGc: SoakSample[];
  jobs: SoakJob[];
  stuck: string[];
  problems: string[];
  serverExit: { code: number | null; signal: string | null; ms: number } | null;
  config: Record<string, string>;
}

export interface SoakOptions {
  jobs: number;
  seed: number;
  /** Jobs in flight at once (submitted back to back, each as soon as a slot frees). */
  inFlight: number;
  /** Jobs finished at which the lanes drain and the server collects its garbage before a sample. */
  gcPoints: number[];
  log: (line: string) => void;
}

/** Healthy sources served by the simulation. */
const HEALTHY: SourceId[] = ['bing_images', 'google_images', 'pexels', 'wikimedia_commons', 'pixabay', 'nasa_images'];
/** The seed's hanging source: behind a switch that, per job, leads to a server that accepts and never answers. */
const HANGING: SourceId = 'yandex_images';
/** Sources behind a switch that is, per job, healthy or failing. */
const FLAKY: SourceId[] = ['openverse', 'duckduckgo_images'];
/** Chance that a switched source is faulty in a given job. Intermittent faults keep sources out of
 * a permanent cool-down (3 failures in a row), so faults keep being exercised all through the run. */
const FAULT_PROBABILITY = 0.4;
/** Sources whose answers are rewritten per query (ids and media), so that every job downloads. */
const SALTED: SourceId[] = ['pexels', 'pixabay', 'openverse'];

export async function runSoak(
  options: SoakOptions,
  faultTargets: () => Promise<{ name: string; target: SwitchTarget; before?: () => void }[]>,
): Promise<SoakOutcome> {
  const rng = makeRng(options.seed);
  const box = makeSandbox('soak');
  const sim = await startSimulation({ sources: [...HEALTHY, ...FLAKY, HANGING] });
  const hang = await startSimulation({ sources: [HANGING], hang: [HANGING] });
  const switches = new Map<SourceId, Switch>();
  const proxies: RewritingProxy[] = [];
  const faults = await faultTargets();
  const samples: SoakSample[] = [];
  const afterGc: SoakSample[] = [];
  const jobs: SoakJob[] = [];
  const problems: string[] = [];
  const stuck: string[] = [];
  const config = {
    SOURCE_TIMEOUT: '2',
    REQUEST_TIMEOUT: '1',
    DOWNLOAD_TIMEOUT: '2',
    STALL_TIMEOUT: '1',
    MAX_RETRIES_PER_SOURCE: '1',
    MAX_RETRIES_PER_DOWNLOAD: '1',
    MAX_CONCURRENT_SOURCES: '5',
    MAX_CONCURRENT_JOBS: '4',
    RATE_LIMIT_PER_MINUTE: '0',
  };
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  let serverExit: SoakOutcome['serverExit'];
  try {
    const env: Record<string, string> = { ...sim.env, ...box.env, ...config };
    // JSON sources get ids and media unique to each query, so the download archive does not
    // skip everything after the first jobs and every job really downloads.
    const healthyPort = new Map<SourceId, number>();
    for (const id of SALTED) {
      const proxy = await startRewritingProxy(sim.origins[id]!);
      proxy.setMedia((u, asked) => u.replace(/(\.[a-z0-9]+)$/, `-${querySalt(asked)}$1`));
      proxy.setTransform((text, asked) => saltIds(text, querySalt(asked)));
      proxies.push(proxy);
      healthyPort.set(id, proxy.port);
      env[`${envPrefix(id)}_BASE_URL`] = proxy.origin;
    }
    for (const id of [...FLAKY, HANGING])
      healthyPort.set(id, healthyPort.get(id) ?? Number(new URL(sim.origins[id]!).port));
    for (const id of [...FLAKY, HANGING]) {
      const port = healthyPort.get(id)!;
      const sw = await startSwitch({ port });
      switches.set(id, sw);
      env[`${envPrefix(id)}_BASE_URL`] = sw.origin;
    }
    // The inspector (loopback, a free port) lets the soak ask V8 for a full collection.
    server = await startServer({ env: { ...env, NODE_OPTIONS: '--inspect=127.0.0.1:0' }, cwd: box.root });
    const inspectorUrl = inspectorUrlOf(server.output());
    if (!inspectorUrl) problems.push('the server printed no inspector address: heap after GC not sampled');
    const s = server;
    const started = performance.now();
    const sample = async (): Promise<void> => {
      const proc = sampleProcess(s.pid);
      if (!proc) return;
      const metrics = await readMetrics(s.origin);
      let dbBytes = 0;
      for (const suffix of ['', '-wal']) {
        try {
          dbBytes += statSync(box.dbPath + suffix).size;
        } catch {}
      }
      samples.push({
        jobs: jobs.length,
        elapsedMs: performance.now() - started,
        rssBytes: proc.rssBytes,
        heapBytes: metric(metrics, 'nodejs_heap_size_used_bytes'),
        externalBytes: metric(metrics, 'nodejs_external_memory_bytes'),
        fds: proc.fds,
        dbBytes,
      });
    };
    await sample();
    const all = [...HEALTHY, HANGING, ...FLAKY];
    const deadlineMs = Number(config.SOURCE_TIMEOUT) * 1000;
    let next = 1;
    const streaks = new Map<SourceId, number>();
    const runOne = async (n: number): Promise<void> => {
      const count = rng.int(2, 4);
      const chosen = new Set<SourceId>();
      while (chosen.size < count) chosen.add(rng.pick(all));
      const jobFaults: string[] = [];
      // At most two faulty runs in a row per source: a third would start a cool-down (5 min,
      // doubling), which would retire the source, and its faults, for the rest of the run.
      const faulty = (id: SourceId): boolean => {
        const hit = (streaks.get(id) ?? 0) < 2 && rng.next() < FAULT_PROBABILITY;
        streaks.set(id, hit ? (streaks.get(id) ?? 0) + 1 : 0);
        return hit;
      };
      if (chosen.has(HANGING)) {
        const hangs = faulty(HANGING);
        await switches
          .get(HANGING)!
          .set({ port: hangs ? Number(new URL(hang.origins[HANGING]!).port) : healthyPort.get(HANGING)! });
        if (hangs) jobFaults.push(`${HANGING}: hang`);
      }
      for (const id of FLAKY) {
        if (!chosen.has(id)) continue;
        if (faulty(id)) {
          const f = rng.pick(faults);
          f.before?.();
          await switches.get(id)!.set(f.target);
          jobFaults.push(`${id}: ${f.name}`);
        } else await switches.get(id)!.set({ port: healthyPort.get(id)! });
      }
      const sources = [...chosen] as JobSourceName[];
      const boundMs = Math.ceil(sources.length / Number(config.MAX_CONCURRENT_SOURCES)) * deadlineMs + 1000;
      const t0 = performance.now();
      const r = await api<{ job_id: string }>(s.origin, 'POST', '/api/jobs', {
        query: `soak ${n} ${rng.int(0, 1e9)}`,
        sources,
        limit: rng.int(1, 4),
        type: 'image',
      });
      if (r.status !== 202) {
        problems.push(`job ${n}: POST /api/jobs answered ${r.status}: ${r.text.slice(0, 200)}`);
        return;
      }
      // Queued time counts against nothing: the bound applies from when the job started running.
      const doc: JobDocument | null = await waitForJob(s.origin, r.body.job_id, boundMs * 4 + 30_000);
      const wallMs = performance.now() - t0;
      if (!doc) {
        stuck.push(r.body.job_id);
        problems.push(`job ${n} (${r.body.job_id}) did not end within ${(boundMs * 4 + 30_000) / 1000} s`);
        return;
      }
      if (doc.duration_ms !== null && doc.duration_ms > boundMs)
        problems.push(`job ${n} took ${doc.duration_ms} ms, over its bound of ${boundMs} ms`);
      const stats = Object.values(doc.results.source_stats);
      jobs.push({
        n,
        job_id: doc.job_id,
        status: doc.status,
        sources,
        wallMs,
        durationMs: doc.duration_ms,
        boundMs,
        faults: jobFaults,
        downloaded: doc.results.downloaded,
        failedSources: stats.filter((st) => st.status === 'failed').length,
        skippedSources: stats.filter((st) => st.status === 'skipped').length,
      });
      if (jobs.length % 5 === 0) await sample();
      if (jobs.length % 50 === 0)
        options.log(
          `${jobs.length} jobs; rss ${(samples.at(-1)!.rssBytes / 2 ** 20).toFixed(1)} MB, fds ${samples.at(-1)!.fds}`,
        );
    };
    // The run is cut into segments at the full-GC points: the lanes drain, the server is made
    // to collect its garbage, and what survives is sampled (V8 collects lazily, so "heap used"
    // between collections rises and falls with no leak at all).
    const stops = [...options.gcPoints.filter((p) => p > 0 && p < options.jobs), options.jobs];
    for (const stop of stops) {
      const lanes = Array.from({ length: options.inFlight }, async () => {
        while (next <= stop) {
          const n = next++;
          await runOne(n);
        }
      });
      await Promise.all(lanes);
      const gc = await collectGarbage(inspectorUrl).then(
        async () => {
          const metrics = await readMetrics(s.origin);
          const proc = sampleProcess(s.pid);
          return proc
            ? {
                jobs: jobs.length,
                elapsedMs: performance.now() - started,
                rssBytes: proc.rssBytes,
                heapBytes: metric(metrics, 'nodejs_heap_size_used_bytes'),
                externalBytes: metric(metrics, 'nodejs_external_memory_bytes'),
                fds: proc.fds,
                dbBytes: 0,
              }
            : null;
        },
        () => null,
      );
      if (gc) afterGc.push(gc);
    }
    await sample();
    serverExit = await server.stop('SIGTERM', 20_000);
    server = null;
    const integrity = integrityCheck(box.dbPath);
    if (integrity !== 'ok') problems.push(`integrity_check after the soak: ${integrity}`);
    const agreement = checkAgreement(recordedFromDb(box.dbPath), box.downloadDir);
    problems.push(...agreement.problems.slice(0, 20));
    return { samples, afterGc, jobs, stuck, problems, serverExit, config };
  } finally {
    if (server) await server.stop('SIGKILL');
    for (const sw of switches.values()) await sw.close();
    for (const p of proxies) await p.close();
    await sim.close();
    await hang.close();
    box.remove();
  }
}
