// The status and results rules, in one place: how a source's stats end, how a job's status
// follows from its sources, and the job document's totals from its source runs and files.
// Pure, so that the runner (live documents), the store (recorded ones), the server, the CLI
// and the web UI all decide them the same way.
import type { SourceErrorCode } from './errors.ts';
import {
  FILTER_REASONS,
  emptyFilterCounts,
  emptySourceStats,
  type FilterCounts,
  type JobStatus,
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
  'downloaded',
  'images',
  'videos',
  'found',
  'failed_downloads',
  'skipped_duplicates',
  'skipped_existing',
  'filtered',
  'near_duplicates',
  'bytes',
  'duration_ms',
  'retries',
  'pages',
] as const;

/**
 * One source's stats over every query it ran: counters summed; `error` null only when no run
 * had one (else the first error, prefixed with how many queries it cut); status from the runs.
 */
export function sumSourceStats(runs: readonly SourceStats[]): SourceStats {
  if (runs.length === 1)
    return { ...runs[0]!, filtered_reasons: { ...emptyFilterCounts(), ...runs[0]!.filtered_reasons } };
  const total = emptySourceStats();
  const errors: string[] = [];
  const statuses = new Set<SourceStatus>();
  for (const run of runs) {
    for (const key of SUMMED) total[key] += run[key] ?? 0;
    addFilterCounts(total.filtered_reasons, run.filtered_reasons);
    if (run.error !== null) errors.push(run.error);
    statuses.add(run.status);
    if (run.started_at !== null && (total.started_at === null || run.started_at < total.started_at))
      total.started_at = run.started_at;
    if (run.finished_at !== null && (total.finished_at === null || run.finished_at > total.finished_at))
      total.finished_at = run.finished_at;
    if (run.rate_limit_remaining !== null) total.rate_limit_remaining = run.rate_limit_remaining;
    if (run.retry_after !== null) total.retry_after = run.retry_after;
    if (run.worker != null && (total.worker === null || ended(run))) total.worker = run.worker;
    for (const w of run.workers ?? []) if (!total.workers.includes(w)) total.workers.push(w);
  }
  if (statuses.has('running')) total.status = 'running';
  else if (statuses.has('pending')) total.status = statuses.size === 1 ? 'pending' : 'running';
  else if (statuses.size === 1) total.status = [...statuses][0]!;
  else if (statuses.has('ok') || statuses.has('partial') || total.downloaded > 0) total.status = 'partial';
  else total.status = statuses.has('failed') ? 'failed' : 'skipped';
  if (total.status === 'running' || total.status === 'pending') total.finished_at = null;
  total.error =
    errors.length === 0
      ? null
      : errors.length === 1 && runs.length === 1
        ? errors[0]!
        : `${errors.length} of ${runs.length} queries: ${errors[0]}`;
  total.success = ended(total) && total.error === null;
  return total;
}

/** One query's results, from its source runs. */
export function oneQueryStats(runs: readonly Pick<RunStats, 'source' | 'stats'>[]): QueryStats {
  const q: QueryStats = {
    downloaded: 0,
    images: 0,
    videos: 0,
    filtered: 0,
    filtered_reasons: emptyFilterCounts(),
    near_duplicates: 0,
    successful_sources: [],
    failed_sources: [],
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

/** How many files a job has and how many of them are images (all of them, when `files` is a page). */
export interface FileCounts {
  files: number;
  images: number;
}

/**
 * The job document's `results`, from the per-source stats, the per-query stats and every file —
 * or, with `counts`, the first of the files (a page) and the counts of all of them.
 */
export function jobResults(
  sourceStats: Record<string, SourceStats>,
  order: readonly string[],
  files: SavedFile[],
  queryStats: Record<string, QueryStats>,
  counts?: FileCounts,
): JobResults {
  const names = [
    ...order.filter((id) => sourceStats[id] !== undefined),
    ...Object.keys(sourceStats).filter((id) => !order.includes(id)),
  ];
  const reasons = emptyFilterCounts();
  let filtered = 0;
  let nearDuplicates = 0;
  for (const name of names) {
    const s = sourceStats[name]!;
    filtered += s.filtered ?? 0;
    nearDuplicates += s.near_duplicates ?? 0;
    addFilterCounts(reasons, s.filtered_reasons);
  }
  const total = counts?.files ?? files.length;
  const images = counts?.images ?? files.filter((f) => f.kind === 'image').length;
  return {
    downloaded: total,
    images,
    videos: total - images,
    filtered,
    filtered_reasons: reasons,
    near_duplicates: nearDuplicates,
    workers: [...new Set(names.flatMap((id) => sourceStats[id]!.workers ?? []))],
    source_stats: sourceStats,
    query_stats: queryStats,
    successful_sources: names.filter((id) => sourceStats[id]!.success),
    failed_sources: names.filter((id) => !sourceStats[id]!.success && ended(sourceStats[id]!)),
    files,
    ...(counts !== undefined ? { files_total: total } : {}),
  };
}

/** The runs of a one-query job: its source stats are its runs. */
export function singleQueryRuns(sourceStats: Record<string, SourceStats>): RunStats[] {
  return Object.entries(sourceStats).map(([source, stats]) => ({ query: 0, source, stats }));
}

/** The error of a source cut short by a cancel (or a shutdown); `resume` reruns such sources. */
export const CANCELLED_ERROR = 'Cancelled';
/** The error of a source the job never started because it was cancelled first. */
export const CANCELLED_BEFORE_START_ERROR = 'Cancelled before it started';

/** Whether a source had not ended on its own: never finished (a crash) or cut by a cancel. */
export function sourceUnfinished(stats: SourceStats): boolean {
  // Decided by the error's kind, never by its text.
  return stats.status === 'pending' || stats.status === 'running' || stats.error_code === 'cancelled';
}

/** A source's error: its message and its kind, both or neither. */
export interface SourceFailure {
  error: string;
  code: SourceErrorCode;
}

/** Sets `error`, `error_code`, `status` and `success` from the failure (or its absence) and the counters. */
export function settleSourceStats(stats: SourceStats, failure: SourceFailure | null): void {
  const error = failure?.error ?? null;
  stats.error = error;
  stats.error_code = failure?.code ?? null;
  stats.success = error === null;
  if (error === null) stats.status = stats.failed_downloads > 0 ? 'partial' : 'ok';
  else stats.status = stats.downloaded > 0 ? 'partial' : 'failed';
}

/** Marks a source that was not run (not configured, cooling down, cancelled before it began). */
export function skipSourceStats(stats: SourceStats, reason: SourceFailure, retryAfter: string | null = null): void {
  stats.status = 'skipped';
  stats.success = false;
  stats.error = reason.error;
  stats.error_code = reason.code;
  stats.retry_after = retryAfter;
}

/** Failed downloads grouped by cause: how many, and one real message to show. */
export type FailureCauses = Map<string, { count: number; example: string }>;

/**
 * The group of a download error: messages that differ only in their figures (sizes, byte
 * counts, ports) are one cause; an HTTP status is its own cause (`HTTP 404`, `HTTP 503`).
 */
export function causeKey(message: string): string {
  return /^HTTP \d{3}$/.test(message) ? message : message.replace(/\d+(\.\d+)?/g, '#');
}

export function countFailure(causes: FailureCauses, message: string): void {
  const key = causeKey(message);
  const entry = causes.get(key);
  if (entry) entry.count++;
  else causes.set(key, { count: 1, example: message });
}

/**
 * The error of a source whose every download failed: says so and names the commonest cause,
 * e.g. `every download failed (4 of 4); commonest cause: HTTP 404 (3)`.
 */
export function everyDownloadFailedError(causes: FailureCauses): string {
  let total = 0;
  let commonest = { count: 0, example: '' };
  for (const entry of causes.values()) {
    total += entry.count;
    if (entry.count > commonest.count) commonest = entry;
  }
  return `every download failed (${total} of ${total}); commonest cause: ${commonest.example} (${commonest.count})`;
}

/** completed when every source is ok; failed when none is ok or partial; otherwise partial. */
export function jobStatusOf(stats: readonly SourceStats[]): Extract<JobStatus, 'completed' | 'partial' | 'failed'> {
  if (stats.length > 0 && stats.every((s) => s.status === 'ok')) return 'completed';
  if (!stats.some((s) => s.status === 'ok' || s.status === 'partial')) return 'failed';
  return 'partial';
}
