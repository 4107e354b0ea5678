// Runs one job: its sources in parallel, at most MAX_CONCURRENT_SOURCES at once,
// each under its own deadline (./source-run.ts); a failing or hanging source never delays or
// fails another. Produces the job document, keeps the store up to date as things happen, and
// emits the runner events. A job can be run again (resume, retry) over the sources that
// need it: files saved by earlier runs stay, count, and are not downloaded again.
import { performance } from 'node:perf_hooks';
import type { Config } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import {
  jobResults,
  oneQueryStats,
  queryStatsOf,
  sumSourceStats,
  type RunStats,
  CANCELLED_BEFORE_START_ERROR,
  jobStatusOf,
  skipSourceStats,
} from '../core/job-results.ts';
import type { JobDocument, JobSourceName, JobSpec, JobStatus } from '../core/types.ts';
import { DOCUMENT_FILES_MAX, URLS_SOURCE, emptySourceStats, specQueries } from '../core/types.ts';
import { querySlug } from '../output/naming.ts';
import { getSource } from '../sources/index.ts';
import { originOf } from '../sources/source.ts';
import { forEachBounded } from './bounded-pool.ts';
import { snapshot } from './document-snapshot.ts';
import { activeFilters } from './filters.ts';
import { writeManifests } from './manifest.ts';
import { NearDuplicates } from './near-duplicates.ts';
import { runKeyId, type RunKey } from './run-keys.ts';
import type { JobRunShared, RunnableSource } from './source-run-context.ts';
import { runSource } from './source-run.ts';
import { urlCandidates } from './urls-source.ts';

export interface RunJobInput extends Pick<
  JobRunShared,
  'spec' | 'config' | 'store' | 'http' | 'output' | 'signal' | 'emit' | 'warn'
> {
  /** The job as recorded (fresh, or with an earlier run's stats and files); updated in place. */
  job: JobDocument;
  /** Source runs to run now: all of them for a new job, the unfinished for resume, the failed for retry. */
  run: readonly RunKey[];
  /** True when an earlier run of this job exists (resume, retry). */
  resumed: boolean;
  /** Status of a job whose sources a cancel cut (default `cancelled`; a shutdown says `interrupted`). */
  abortedStatus?: () => Extract<JobStatus, 'cancelled' | 'interrupted'>;
}

/** The source object the runner runs for a job's source name. */
export function runnableSource(name: JobSourceName, spec: JobSpec, config: Config): RunnableSource {
  if (name === URLS_SOURCE) {
    const candidates = urlCandidates(spec.urls ?? []);
    return {
      id: URLS_SOURCE,
      origin: '',
      notConfigured: null,
      tracked: false,
      async *search() {
        yield* candidates;
      },
    };
  }
  const source = getSource(name);
  if (source === undefined) throw new Error(`unknown source ${name}`); // specs are validated before they get here
  const configured = source.configured(config);
  return {
    id: source.id,
    origin: originOf(source, config),
    notConfigured: configured.ok ? null : configured.reason,
    tracked: true,
    search: (query, ctx) => source.search(query, ctx),
    onSaved: source.onSaved ? (candidate, ctx) => source.onSaved!(candidate, ctx) : undefined,
  };
}

export async function runJob(input: RunJobInput): Promise<JobDocument> {
  const { job, spec, config, store, signal, emit } = input;
  const startedMs = performance.now();
  const priorDurationMs = input.resumed ? (job.duration_ms ?? 0) : 0;
  const queries = specQueries(spec);
  const single = queries.length === 1;
  job.queries = queries;
  job.status = 'running';
  job.started_at ??= new Date().toISOString();
  job.finished_at = null;
  await store.jobs.update(job.job_id, { status: 'running', started_at: job.started_at });

  const stats = job.results.source_stats;
  for (const name of spec.sources) stats[name] ??= emptySourceStats();
  // The stats of each source run. A one-query job's runs are its source stats themselves; a
  // several-query job records each run and keeps each source's sum over its runs.
  const runs = new Map<string, RunStats>();
  const runsOfQuery: RunStats[][] = queries.map(() => []);
  const runsOfSource = new Map<string, RunStats[]>(spec.sources.map((s) => [s, []]));
  const recorded = single ? [] : await store.jobs.listRunStats(job.job_id);
  const recordedById = new Map(recorded.map((r) => [runKeyId(r), r.stats]));
  for (const [query] of queries.entries()) {
    for (const source of spec.sources) {
      const run: RunStats = {
        query,
        source,
        stats: single ? stats[source]! : (recordedById.get(runKeyId({ query, source })) ?? emptySourceStats()),
      };
      runs.set(runKeyId(run), run);
      runsOfQuery[query]!.push(run);
      runsOfSource.get(source)!.push(run);
    }
  }
  const resum = (source: JobSourceName): void => {
    if (!single) stats[source] = sumSourceStats(runsOfSource.get(source)!.map((r) => r.stats));
  };
  const queryStats = queryStatsOf(queries, [...runs.values()]);
  const saveRun = async (run: RunStats): Promise<void> => {
    queryStats[queries[run.query]!] = oneQueryStats(runsOfQuery[run.query]!);
    if (single) return store.jobs.saveSourceStats(job.job_id, run.source as JobSourceName, { ...run.stats });
    resum(run.source as JobSourceName);
    await store.jobs.saveRunStats(job.job_id, { ...run, stats: { ...run.stats } });
    await store.jobs.saveSourceStats(job.job_id, run.source as JobSourceName, { ...stats[run.source]! });
  };

  // Files already saved by earlier runs, per run: a rerun starts over from them (facts on disk).
  const filesOf = new Map<string, { count: number; images: number; bytes: number }>();
  const queryIndex = new Map(queries.map((q, i) => [q, i]));
  for (const f of job.results.files) {
    const id = runKeyId({ query: queryIndex.get(f.query) ?? 0, source: f.source });
    const entry = filesOf.get(id) ?? { count: 0, images: 0, bytes: 0 };
    entry.count++;
    if (f.kind === 'image') entry.images++;
    entry.bytes += f.bytes;
    filesOf.set(id, entry);
  }
  for (const key of input.run) {
    const run = runs.get(runKeyId(key))!;
    const mine = filesOf.get(runKeyId(key)) ?? { count: 0, images: 0, bytes: 0 };
    Object.assign(run.stats, {
      status: 'pending',
      error: null,
      success: false,
      downloaded: mine.count,
      images: mine.images,
      videos: mine.count - mine.images,
      bytes: mine.bytes,
    });
  }
  for (const key of input.run) {
    const run = runs.get(runKeyId(key))!;
    if (single) await store.jobs.saveSourceStats(job.job_id, key.source, { ...run.stats });
    else await store.jobs.saveRunStats(job.job_id, { ...run, stats: { ...run.stats } });
  }
  if (!single) {
    for (const source of new Set(input.run.map((k) => k.source))) {
      resum(source);
      await store.jobs.saveSourceStats(job.job_id, source, { ...stats[source]! });
    }
  }
  job.results.query_stats = queryStats;

  emit({
    type: 'job_started',
    query: spec.query,
    queries,
    sources: [...spec.sources],
    limit: spec.limit,
    media_type: spec.type,
    resumed: input.resumed,
  });

  const shared: JobRunShared = {
    jobId: job.job_id,
    spec,
    config,
    store,
    http: input.http,
    output: input.output,
    signal,
    emit,
    warn: input.warn,
    seenIds: new Set(),
    savedIds: new Set(job.results.files.map((f) => f.candidate_id)),
    seenSha: new Set(job.results.files.map((f) => f.sha256)),
    files: job.results.files,
    filters: activeFilters(spec.filters),
    // Seeded with the files of earlier runs (resume, retry): they are kept pictures too.
    nearDuplicates: new NearDuplicates(
      spec,
      config,
      job.results.files.map((f) => f.phash),
    ),
  };

  await forEachBounded(input.run, config.maxConcurrentSources, async (key) => {
    const run = runs.get(runKeyId(key))!;
    const st = run.stats;
    const query = queries[key.query]!;
    if (signal.aborted) {
      skipSourceStats(st, { error: CANCELLED_BEFORE_START_ERROR, code: 'cancelled' });
      st.finished_at = new Date().toISOString();
      await saveRun(run).catch(() => {});
      emit({ type: 'source_finished', source: key.source, ...(single ? {} : { query }), stats: { ...st } });
      return;
    }
    const savedBefore = filesOf.get(runKeyId(key))?.count ?? 0;
    await runSource(
      shared,
      runnableSource(key.source, spec, config),
      st,
      { query, slug: querySlug(query), savedBefore },
      () => saveRun(run),
    );
  });

  const cut = input.run.some((key) => runs.get(runKeyId(key))!.stats.error_code === 'cancelled');
  job.status =
    signal.aborted && cut ? (input.abortedStatus?.() ?? 'cancelled') : jobStatusOf(spec.sources.map((n) => stats[n]!));
  job.finished_at = new Date().toISOString();
  job.duration_ms = Math.round(priorDurationMs + performance.now() - startedMs);
  job.results = jobResults(stats, spec.sources, job.results.files, queryStats);
  // The manifests are written before the job is recorded as ended: a crash in between leaves a
  // job that is still running in the store, so it can be resumed and its resume rewrites them.
  try {
    await writeManifests(input.output, job, { writeMetadata: spec.options?.writeMetadata === true });
  } catch (error) {
    input.warn(`job ${job.job_id}: cannot write the manifest: ${errorMessage(error)}`);
  }
  await store.jobs.update(job.job_id, {
    status: job.status,
    finished_at: job.finished_at,
    duration_ms: job.duration_ms,
  });
  // The event carries the document's first page of files (as the API's document does): a big
  // job's event stays small in memory, in the event history and on the event stream.
  emit({ type: 'job_finished', status: job.status, job: snapshot(job, spec, DOCUMENT_FILES_MAX) });
  return job;
}
