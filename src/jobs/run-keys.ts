// Which source runs of a job to run: every (query, source) pair of a new job, the unfinished of
// an interrupted or cancelled one, the failed of an ended one.
import { type RunStats, sourceUnfinished } from '../core/job-results.ts';
import { specQueries, type JobDocument, type JobSourceName, type JobSpec, type SourceStats } from '../core/types.ts';

/** One source run: a source on one query (by its index in the job's queries). */
export interface RunKey {
  query: number;
  source: JobSourceName;
}

export function runKeyId(key: { query: number; source: string }): string {
  return `${key.query}\u0000${key.source}`;
}

/** Every run of a job, query by query, so that queries finish one after another. */
export function allRuns(spec: JobSpec): RunKey[] {
  return specQueries(spec).flatMap((_, query) => spec.sources.map((source) => ({ query, source })));
}

/**
 * The runs of a job whose stats satisfy `pick`: a one-query job's runs are its source stats; a
 * several-query job's are recorded per run (a run never recorded counts as an empty pending one).
 */
export function runsWhere(
  spec: JobSpec,
  doc: JobDocument,
  recorded: readonly RunStats[],
  pick: (stats: SourceStats) => boolean,
): RunKey[] {
  if (specQueries(spec).length === 1) {
    return spec.sources
      .filter((s) => doc.results.source_stats[s] !== undefined && pick(doc.results.source_stats[s]))
      .map((source) => ({ query: 0, source }));
  }
  const byId = new Map(recorded.map((r) => [runKeyId(r), r.stats]));
  return allRuns(spec).filter((key) => {
    const stats = byId.get(runKeyId(key));
    return stats === undefined ? pick({ status: 'pending', error: null } as SourceStats) : pick(stats);
  });
}

/** Runs a resume takes again: never finished, or cut by a cancel. */
export const unfinishedRun = sourceUnfinished;
/** Runs a retry takes again: those that ended with an error. */
export const failedRun = (stats: SourceStats): boolean => stats.error !== null;
