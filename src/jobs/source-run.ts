// The lifecycle of one source run (one source on one query of a job): whether it may run
// (configured, not cooling down), its deadline (built once here and passed down), its stats and
// events, and its outcome in the source's health record. The work itself is the candidate pool
// (./candidate-pool.ts), which saves each file through ./save-candidate.ts.
import { performance } from 'node:perf_hooks';
import { sourceTimeoutMs } from '../core/config.ts';
import {
  CoolingDownError,
  SourceTimeoutError,
  StoreUnreachableError,
  errorMessage,
  sourceErrorCodeOf,
} from '../core/errors.ts';
import {
  CANCELLED_ERROR,
  everyDownloadFailedError,
  settleSourceStats,
  skipSourceStats,
  type SourceFailure,
} from '../core/job-results.ts';
import type { SourceStats } from '../core/types.ts';
import { CandidatePool } from './candidate-pool.ts';
import { sourceDeadline } from './signals.ts';
import { getSourceHealth, recordSourceOutcome } from './source-health.ts';
import type { JobRunShared, QueryRun, RunnableSource } from './source-run-context.ts';

/**
 * Runs `source` and leaves its final stats in `stats` (which may hold an earlier run's figures:
 * a resumed or retried source continues towards the same limit). Never throws.
 */
export async function runSource(
  job: JobRunShared,
  source: RunnableSource,
  stats: SourceStats,
  queryRun: QueryRun,
  /** Records `stats` (the run's, and what they add up to) in the store. */
  save: () => Promise<void>,
): Promise<void> {
  const saveStats = (): Promise<void> =>
    save().catch((error: unknown) => {
      job.warn(`${source.id}: cannot record source stats: ${errorMessage(error)}`);
    });
  const { config, store, spec } = job;
  const id = source.id;
  const finishSkipped = async (reason: SourceFailure, retryAfter: string | null): Promise<void> => {
    skipSourceStats(stats, reason, retryAfter);
    stats.finished_at = new Date().toISOString();
    if (source.tracked) {
      await recordSourceOutcome(store, {
        source: id,
        ok: false,
        error: reason.error,
        durationMs: 0,
        downloaded: 0,
        downloadMs: 0,
        at: new Date(),
        skipped: true,
      }).catch((error: unknown) => job.warn(`${id}: cannot record source health: ${errorMessage(error)}`));
    }
    await saveStats();
    job.emit({ type: 'source_finished', source: id, ...queryField(job, queryRun), stats: { ...stats } });
  };

  if (source.notConfigured !== null)
    return finishSkipped({ error: source.notConfigured, code: 'not_configured' }, null);
  if (source.tracked && !spec.options?.force) {
    try {
      const health = await getSourceHealth(store.health, id);
      if (health.cooling_until !== null && Date.parse(health.cooling_until) > Date.now()) {
        const until = new Date(health.cooling_until);
        const cooling = new CoolingDownError(id, until, health.consecutive_failures);
        return finishSkipped({ error: cooling.message, code: cooling.errorCode }, until.toISOString());
      }
    } catch (error) {
      job.warn(`${id}: cannot read source health: ${errorMessage(error)}`);
    }
  }

  const timeoutMs = sourceTimeoutMs(config, id);
  const startedMs = performance.now();
  const priorDurationMs = stats.duration_ms;
  stats.status = 'running';
  stats.error = null;
  stats.error_code = null;
  stats.success = false;
  stats.retry_after = null;
  stats.started_at ??= new Date().toISOString();
  stats.finished_at = null;
  stats.worker = job.worker;
  stats.workers = [...(stats.workers ?? [])];
  if (!stats.workers.includes(job.worker)) stats.workers.push(job.worker);
  await saveStats();
  job.emit({
    type: 'source_started',
    source: id,
    ...queryField(job, queryRun),
    timeout_ms: timeoutMs,
    worker: job.worker,
  });

  const deadline = sourceDeadline(job.signal, timeoutMs);
  let run: CandidatePool | undefined;
  let crash: unknown = null;
  try {
    run = new CandidatePool(job, source, stats, deadline, queryRun);
    await run.execute();
  } catch (error) {
    // Only a bug gets here (everything expected is caught inside); it ends this source, not the job.
    crash = error;
  } finally {
    deadline.clear();
  }

  const signal = deadline.signal;
  let failure: SourceFailure | null = null;
  let cancelled = false;
  if (run?.abortedEarly && signal.reason instanceof StoreUnreachableError) {
    // The shared store went away under a queue worker (docs/ARCHITECTURE.md, "PostgreSQL lost"):
    // not the source's doing, so its health is left alone, as for a cancel.
    cancelled = true;
    failure = { error: errorMessage(signal.reason), code: signal.reason.errorCode };
  } else if (run?.abortedEarly) {
    cancelled = !(signal.reason instanceof SourceTimeoutError);
    failure = cancelled
      ? { error: CANCELLED_ERROR, code: 'cancelled' }
      : { error: errorMessage(signal.reason), code: 'timeout' };
  } else if (crash !== null || run?.sourceError) {
    const cause = crash ?? run!.sourceError;
    failure = { error: errorMessage(cause), code: sourceErrorCodeOf(cause) };
  } else if (run !== undefined && run.failures.size > 0 && stats.downloaded === 0) {
    failure = { error: everyDownloadFailedError(run.failures), code: 'downloads_failed' };
  }
  const error = failure?.error ?? null;
  const runMs = performance.now() - startedMs;
  stats.duration_ms = Math.round(priorDurationMs + runMs);
  stats.finished_at = new Date().toISOString();
  settleSourceStats(stats, failure);

  // A cancel is not the source's doing: it neither counts against nor for its health.
  if (source.tracked && !cancelled) {
    await recordSourceOutcome(store, {
      source: id,
      ok: error === null,
      error,
      durationMs: runMs,
      downloaded: run?.savedThisRun ?? 0,
      downloadMs: run?.downloadMsThisRun ?? 0,
      at: new Date(),
    }).catch((e: unknown) => job.warn(`${id}: cannot record source health: ${errorMessage(e)}`));
  }
  stats.worker = job.worker;
  await saveStats();
  job.emit({
    type: 'source_finished',
    source: id,
    ...queryField(job, queryRun),
    stats: { ...stats },
    worker: job.worker,
  });
}

/** Events of a several-query job say which query a run searches. */
function queryField(job: JobRunShared, queryRun: QueryRun): { query?: string } {
  return job.spec.queries !== undefined && job.spec.queries.length > 1 ? { query: queryRun.query } : {};
}
