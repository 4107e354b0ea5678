// Runs one job (DESIGN §4): its sources in parallel, at most MAX_CONCURRENT_SOURCES at once,
// each under its own deadline (./source-run.ts); a failing or hanging source never delays or
// fails another. Produces the job document, keeps the store up to date as things happen, and
// emits the runner events. A job can be run again (resume, retry) over the sources that
// need it: files saved by earlier runs stay, count, and are not downloaded again.
import { performance } from 'node:perf_hooks';
import type { Config } from '../core/config.ts';
import { errorMessage } from '../core/errors.ts';
import type { JobDocument, JobSourceName, JobSpec, JobStatus } from '../core/types.ts';
import { URLS_SOURCE, emptySourceStats } from '../core/types.ts';
import { querySlug } from '../download/naming.ts';
import { getSource } from '../sources/index.ts';
import { originOf } from '../sources/source.ts';
import { forEachBounded } from './bounded-pool.ts';
import { CANCELLED_BEFORE_START_ERROR, CANCELLED_ERROR, jobResults, jobStatusOf, skipSourceStats } from './job-status.ts';
import { writeManifests } from './manifest.ts';
import { runSource, type JobRunShared, type RunnableSource } from './source-run.ts';
import { urlCandidates } from './urls-source.ts';

export interface RunJobInput extends Pick<JobRunShared, 'spec' | 'config' | 'store' | 'http' | 'signal' | 'emit' | 'warn'> {
  /** The job as recorded (fresh, or with an earlier run's stats and files); updated in place. */
  job: JobDocument;
  /** Sources to run now: all of them for a new job, the unfinished for resume, the failed for retry. */
  run: readonly JobSourceName[];
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
  job.status = 'running';
  job.started_at ??= new Date().toISOString();
  job.finished_at = null;
  await store.updateJob(job.job_id, { status: 'running', started_at: job.started_at });

  const stats = job.results.source_stats;
  for (const name of spec.sources) stats[name] ??= emptySourceStats();
  for (const name of input.run) {
    // A rerun source starts over from the files it already has: those counters are facts on disk.
    const st = stats[name]!;
    const mine = job.results.files.filter((f) => f.source === name);
    Object.assign(st, {
      status: 'pending',
      error: null,
      success: false,
      downloaded: mine.length,
      images: mine.filter((f) => f.kind === 'image').length,
      videos: mine.filter((f) => f.kind === 'video').length,
      bytes: mine.reduce((sum, f) => sum + f.bytes, 0),
    });
    await store.saveSourceStats(job.job_id, name, { ...st });
  }

  emit({ type: 'job_started', query: spec.query, sources: [...spec.sources], limit: spec.limit, media_type: spec.type, resumed: input.resumed });

  const shared: JobRunShared = {
    jobId: job.job_id,
    spec,
    config,
    store,
    http: input.http,
    signal,
    emit,
    warn: input.warn,
    slug: querySlug(spec.query),
    seenIds: new Set(),
    savedIds: new Set(job.results.files.map((f) => f.candidate_id)),
    seenSha: new Set(job.results.files.map((f) => f.sha256)),
    files: job.results.files,
  };

  await forEachBounded(input.run, config.maxConcurrentSources, async (name) => {
    const st = stats[name]!;
    if (signal.aborted) {
      skipSourceStats(st, { error: CANCELLED_BEFORE_START_ERROR, code: 'cancelled' });
      st.finished_at = new Date().toISOString();
      await store.saveSourceStats(job.job_id, name, { ...st }).catch(() => {});
      emit({ type: 'source_finished', source: name, stats: { ...st } });
      return;
    }
    await runSource(shared, runnableSource(name, spec, config), st);
  });

  const cut = input.run.some((name) => stats[name]!.error?.startsWith(CANCELLED_ERROR));
  job.status = signal.aborted && cut ? (input.abortedStatus?.() ?? 'cancelled') : jobStatusOf(spec.sources.map((n) => stats[n]!));
  job.finished_at = new Date().toISOString();
  job.duration_ms = Math.round(priorDurationMs + performance.now() - startedMs);
  job.results = jobResults(stats, spec.sources, job.results.files);
  // The manifests are written before the job is recorded as ended: a crash in between leaves a
  // job that is still running in the store, so it can be resumed and its resume rewrites them.
  try {
    await writeManifests(config, job, { writeMetadata: spec.options?.writeMetadata === true });
  } catch (error) {
    input.warn(`job ${job.job_id}: cannot write the manifest: ${errorMessage(error)}`);
  }
  await store.updateJob(job.job_id, { status: job.status, finished_at: job.finished_at, duration_ms: job.duration_ms });
  emit({ type: 'job_finished', status: job.status, job: structuredClone(job) });
  return job;
}
