// Runs one job: its sources in parallel, at most MAX_CONCURRENT_SOURCES at once,
// each under its own deadline (./source-run.ts); a failing or hanging source never delays or
// fails another. Produces the job document, keeps the store up to date as things happen, and
// emits the runner events. A job can be run again (resume, retry) over the sources that
// need it: files saved by earlier runs stay, count, and are not downloaded again.
import { performance } from 'node:perf_hooks';
import type { Config } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import { jobResults, CANCELLED_BEFORE_START_ERROR, jobStatusOf, skipSourceStats } from '../core/job-results.ts';
import type { JobDocument, JobSourceName, JobSpec, JobStatus } from '../core/types.ts';
import { DOCUMENT_FILES_MAX, URLS_SOURCE, specQueries } from '../core/types.ts';
import { querySlug } from '../output/naming.ts';
import { getSource } from '../sources/index.ts';
import { originOf } from '../sources/source.ts';
import { forEachBounded } from './bounded-pool.ts';
import { JobFileList, fileCounts } from './job-file-list.ts';
import { snapshot } from './document-snapshot.ts';
import { activeFilters } from './filters.ts';
import { writeManifests } from './manifest.ts';
import { NearDuplicates } from './near-duplicates.ts';
import type { Store } from '../store/store.ts';
import type { Emit } from './job-events.ts';
import { RunBook } from './run-book.ts';
import type { RunKey } from './run-keys.ts';
import type { JobRunShared, RunnableSource } from './source-run-context.ts';
import { runSource } from './source-run.ts';
import { urlCandidates } from './urls-source.ts';
import { processWorkerName } from './worker-name.ts';

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
    const urls = spec.urls ?? [];
    return {
      id: URLS_SOURCE,
      origin: '',
      notConfigured: null,
      tracked: false,
      async *search() {
        yield* urlCandidates(urls);
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
  await startJob(job, spec, store);
  const book = await RunBook.open(job, spec, store);
  await book.restart(input.run);
  emitJobStarted(emit, spec, book.queries, input.resumed);

  const shared = jobRunShared(input, job);
  await forEachBounded(input.run, config.maxConcurrentSources, (key) => runOneKey(shared, book, key));

  const cut = input.run.some((key) => book.run(key).stats.error_code === 'cancelled');
  const stats = job.results.source_stats;
  return finishJob({
    job,
    spec,
    store,
    output: input.output,
    emit,
    warn: input.warn,
    queryStats: book.queryStats,
    status:
      signal.aborted && cut
        ? (input.abortedStatus?.() ?? 'cancelled')
        : jobStatusOf(spec.sources.map((n) => stats[n]!)),
    durationMs: Math.round(priorDurationMs + performance.now() - startedMs),
  });
}

/** Marks a job running (its first start time kept across runs). */
export async function startJob(job: JobDocument, spec: JobSpec, store: Pick<Store, 'jobs'>): Promise<void> {
  job.queries = specQueries(spec);
  job.status = 'running';
  job.started_at ??= new Date().toISOString();
  job.finished_at = null;
  await store.jobs.update(job.job_id, { status: 'running', started_at: job.started_at });
}

export function emitJobStarted(emit: Emit, spec: JobSpec, queries: string[], resumed: boolean): void {
  emit({
    type: 'job_started',
    query: spec.query,
    queries,
    sources: [...spec.sources],
    limit: spec.limit,
    media_type: spec.type,
    resumed,
  });
}

/** What every source run of one job shares in this process. */
export function jobRunShared(
  input: Pick<JobRunShared, 'spec' | 'config' | 'store' | 'http' | 'output' | 'signal' | 'emit' | 'warn'> & {
    worker?: string;
  },
  job: JobDocument,
): JobRunShared {
  // The files earlier runs saved (resume, retry, a run taken again): the whole list, read from the store.
  const earlier = job.results.files;
  return {
    jobId: job.job_id,
    spec: input.spec,
    config: input.config,
    store: input.store,
    http: input.http,
    output: input.output,
    signal: input.signal,
    emit: input.emit,
    warn: input.warn,
    worker: input.worker ?? processWorkerName(),
    seenIds: new Set(),
    savedIds: new Set(earlier.map((f) => f.candidate_id)),
    seenSha: new Set(earlier.map((f) => f.sha256)),
    // From here on the job keeps its files' counts and first page; every file is in the store.
    files: new JobFileList(job.results, () =>
      input.store.files.list(job.job_id, { offset: 0, limit: DOCUMENT_FILES_MAX }),
    ),
    filters: activeFilters(input.spec.filters),
    // Seeded with the files of earlier runs (resume, retry, a run taken again): they are kept pictures too.
    nearDuplicates: new NearDuplicates(
      input.spec,
      input.config,
      earlier.map((f) => f.phash),
    ),
  };
}

/** Runs one source run of the book's job (or records it cancelled when the job was cut before it started). */
export async function runOneKey(shared: JobRunShared, book: RunBook, key: RunKey): Promise<void> {
  const run = book.run(key);
  const st = run.stats;
  const query = book.queries[key.query]!;
  if (shared.signal.aborted) {
    skipSourceStats(st, { error: CANCELLED_BEFORE_START_ERROR, code: 'cancelled' });
    st.finished_at = new Date().toISOString();
    await book.save(run).catch(() => {});
    shared.emit({ type: 'source_finished', source: key.source, ...(book.single ? {} : { query }), stats: { ...st } });
    return;
  }
  await runSource(
    shared,
    runnableSource(key.source, shared.spec, shared.config),
    st,
    { query, slug: querySlug(query), savedBefore: book.filesOf(key).count },
    () => book.save(run),
  );
}

export interface FinishJobInput extends Pick<RunJobInput, 'job' | 'spec' | 'store' | 'output' | 'emit' | 'warn'> {
  queryStats: JobDocument['results']['query_stats'];
  status: JobStatus;
  durationMs: number;
}

/** Ends a job whose runs have ended: its results, its manifests, its final status, `job_finished`. */
export async function finishJob(input: FinishJobInput): Promise<JobDocument> {
  const { job, spec, store } = input;
  job.status = input.status;
  job.finished_at = new Date().toISOString();
  job.duration_ms = input.durationMs;
  // The counts cover every file even where the document lists only the first (a runner's own).
  job.results = jobResults(
    job.results.source_stats,
    spec.sources,
    job.results.files,
    input.queryStats,
    fileCounts(job.results),
  );
  // The manifests are written before the job is recorded as ended: a crash in between leaves a
  // job that is still running in the store, so it can be resumed and its resume rewrites them.
  try {
    await writeManifests(input.output, job, {
      writeMetadata: spec.options?.writeMetadata === true,
      // Every file from the store, a page at a time: the document lists only the first of them.
      files: (offset, limit) => store.files.list(job.job_id, { offset, limit }),
    });
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
  input.emit({ type: 'job_finished', status: job.status, job: snapshot(job, spec, DOCUMENT_FILES_MAX) });
  return job;
}
