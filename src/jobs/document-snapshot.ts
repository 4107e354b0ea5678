// A running job's document as it is at one moment, for readers (the API, events): the runner
// goes on changing the live one.
import { jobResults } from '../core/job-results.ts';
import type { JobDocument, JobSpec, SourceStats } from '../core/types.ts';
import { fileCounts } from './job-file-list.ts';

/**
 * A live document as it is now, with its totals brought up to date. Shallow: saved files never change once listed, so they are shared, not copied
 * (a deep copy of a 2,000-file document cost milliseconds on every read); with `files`, only the
 * first `files` of them are listed (and `results.files_total`). A running job's document lists
 * at most its first DOCUMENT_FILES_MAX files (with `files_total`): the store has the rest.
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
  // A runner's document lists only its first files and counts them all (./job-file-list.ts).
  const counts = files === undefined && results.files_total === undefined ? undefined : fileCounts(results);
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

/** `doc` listing only its first `files` files, with `results.files_total` counting them all. */
export function firstFiles(doc: JobDocument, files: number): JobDocument {
  const total = fileCounts(doc.results).files;
  return { ...doc, results: { ...doc.results, files: doc.results.files.slice(0, files), files_total: total } };
}
