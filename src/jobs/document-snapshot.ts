// A running job's document as it is at one moment, for readers (the API, events): the runner
// goes on changing the live one.
import { jobResults } from '../core/job-results.ts';
import type { JobDocument, JobSpec, SourceStats } from '../core/types.ts';

/**
 * A live document as it is now, with its totals brought up to date. Shallow: saved files never change once listed, so they are shared, not copied
 * (a deep copy of a 2,000-file document cost milliseconds on every read); with `files`, only the
 * first `files` of them are listed (and `results.files_total`).
 */
export function snapshot(doc: JobDocument, spec: Pick<JobSpec, 'sources'>, files?: number): JobDocument {
  const { results } = doc;
  const stats = Object.fromEntries(Object.entries(results.source_stats).map(([k, v]) => [k, copyStats(v)]));
  const queryStats = Object.fromEntries(
    Object.entries(results.query_stats).map(([k, v]) => [
      k,
      { ...v, successful_sources: [...v.successful_sources], failed_sources: [...v.failed_sources] },
    ]),
  );
  const all = results.files;
  const page = files === undefined ? all.slice() : all.slice(0, Math.max(0, files));
  const counts =
    files === undefined ? undefined : { files: all.length, images: all.filter((f) => f.kind === 'image').length };
  return {
    ...doc,
    sources: [...doc.sources],
    queries: [...doc.queries],
    results: jobResults(stats, spec.sources, page, queryStats, counts),
  };
}

function copyStats(stats: SourceStats): SourceStats {
  return { ...stats, existing_jobs: [...stats.existing_jobs], filtered_reasons: { ...stats.filtered_reasons } };
}
