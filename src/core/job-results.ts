// The job document's totals, from its source runs and files. Pure, so that the runner (live
// documents) and the store (recorded ones) build them the same way.
import {
  FILTER_REASONS,
  emptyFilterCounts,
  emptySourceStats,
  type FilterCounts,
  type JobResults,
  type QueryStats,
  type SavedFile,
  type SourceStats,
  type SourceStatus,
} from './types.ts';

/** The stats of one source run: one source on one query of a job. */
export interface RunStats {
  /** Index of the query in the job's queries. */
  query: number;
  source: string;
  stats: SourceStats;
}

/** Whether a source's stats mean it ended without error (`success` is error === null once ended). */
function ended(stats: SourceStats): boolean {
  return stats.status !== 'pending' && stats.status !== 'running';
}

export function addFilterCounts(into: FilterCounts, from: Partial<FilterCounts> | undefined): void {
  for (const reason of FILTER_REASONS) into[reason] += from?.[reason] ?? 0;
}

const SUMMED = [
  'downloaded', 'images', 'videos', 'found', 'failed_downloads', 'skipped_duplicates', 'skipped_existing',
  'filtered', 'near_duplicates', 'bytes', 'duration_ms', 'retries', 'pages',
] as const;

/**
 * One source's stats over every query it ran: counters summed; `error` null only when no run
 * had one (else the first error, prefixed with how many queries it cut); status from the runs.
 */
export function sumSourceStats(runs: readonly SourceStats[]): SourceStats {
  if (runs.length === 1) return { ...runs[0]!, filtered_reasons: { ...emptyFilterCounts(), ...runs[0]!.filtered_reasons } };
  const total = emptySourceStats();
  const errors: string[] = [];
  const statuses = new Set<SourceStatus>();
  for (const run of runs) {
    for (const key of SUMMED) total[key] += run[key] ?? 0;
    addFilterCounts(total.filtered_reasons, run.filtered_reasons);
    if (run.error !== null) errors.push(run.error);
    statuses.add(run.status);
    if (run.started_at !== null && (total.started_at === null || run.started_at < total.started_at)) total.started_at = run.started_at;
    if (run.finished_at !== null && (total.finished_at === null || run.finished_at > total.finished_at)) total.finished_at = run.finished_at;
    if (run.rate_limit_remaining !== null) total.rate_limit_remaining = run.rate_limit_remaining;
    if (run.retry_after !== null) total.retry_after = run.retry_after;
  }
  if (statuses.has('running')) total.status = 'running';
  else if (statuses.has('pending')) total.status = statuses.size === 1 ? 'pending' : 'running';
  else if (statuses.size === 1) total.status = [...statuses][0]!;
  else if (statuses.has('ok') || statuses.has('partial') || total.downloaded > 0) total.status = 'partial';
  else total.status = statuses.has('failed') ? 'failed' : 'skipped';
  if (total.status === 'running' || total.status === 'pending') total.finished_at = null;
  total.error = errors.length === 0 ? null : errors.length === 1 && runs.length === 1 ? errors[0]! : `${errors.length} of ${runs.length} queries: ${errors[0]}`;
  total.success = ended(total) && total.error === null;
  return total;
}

/** One query's results, from its source runs. */
export function oneQueryStats(runs: readonly Pick<RunStats, 'source' | 'stats'>[]): QueryStats {
  const q: QueryStats = {
    downloaded: 0, images: 0, videos: 0, filtered: 0, filtered_reasons: emptyFilterCounts(), near_duplicates: 0,
    successful_sources: [], failed_sources: [],
  };
  for (const { source, stats: s } of runs) {
    q.downloaded += s.downloaded;
    q.images += s.images;
    q.videos += s.videos;
    q.filtered += s.filtered ?? 0;
    addFilterCounts(q.filtered_reasons, s.filtered_reasons);
    q.near_duplicates += s.near_duplicates ?? 0;
    if (s.success) q.successful_sources.push(source);
    else if (ended(s)) q.failed_sources.push(source);
  }
  return q;
}

/** `results.query_stats`: per query text, its runs' counters and which sources succeeded. */
export function queryStatsOf(queries: readonly string[], runs: readonly RunStats[]): Record<string, QueryStats> {
  const byQuery: RunStats[][] = queries.map(() => []);
  for (const run of runs) byQuery[run.query]?.push(run);
  const out: Record<string, QueryStats> = {};
  queries.forEach((query, i) => (out[query] = oneQueryStats(byQuery[i]!)));
  return out;
}

/** The job document's `results`, from the per-source stats, the per-query stats and every file. */
export function jobResults(
  sourceStats: Record<string, SourceStats>,
  order: readonly string[],
  files: SavedFile[],
  queryStats: Record<string, QueryStats>,
): JobResults {
  const names = [...order.filter((id) => sourceStats[id] !== undefined), ...Object.keys(sourceStats).filter((id) => !order.includes(id))];
  const reasons = emptyFilterCounts();
  let filtered = 0;
  let nearDuplicates = 0;
  for (const name of names) {
    const s = sourceStats[name]!;
    filtered += s.filtered ?? 0;
    nearDuplicates += s.near_duplicates ?? 0;
    addFilterCounts(reasons, s.filtered_reasons);
  }
  const images = files.filter((f) => f.kind === 'image').length;
  return {
    downloaded: files.length,
    images,
    videos: files.length - images,
    filtered,
    filtered_reasons: reasons,
    near_duplicates: nearDuplicates,
    source_stats: sourceStats,
    query_stats: queryStats,
    successful_sources: names.filter((id) => sourceStats[id]!.success),
    failed_sources: names.filter((id) => !sourceStats[id]!.success && ended(sourceStats[id]!)),
    files,
  };
}

/** The runs of a one-query job: its source stats are its runs. */
export function singleQueryRuns(sourceStats: Record<string, SourceStats>): RunStats[] {
  return Object.entries(sourceStats).map(([source, stats]) => ({ query: 0, source, stats }));
}
