// The status rules, in one place: how a source's stats end, how a job's status
// follows from its sources, and the job document's totals.
import type { SourceErrorCode } from '../core/errors.ts';
import type { JobStatus, SourceStats } from '../core/types.ts';

/** The error of a source cut short by a cancel (or a shutdown); `resume` reruns such sources. */
export const CANCELLED_ERROR = 'Cancelled';
/** The error of a source the job never started because it was cancelled first. */
export const CANCELLED_BEFORE_START_ERROR = 'Cancelled before it started';

/** Whether a source had not ended on its own: never finished (a crash) or cut by a cancel. */
export function sourceUnfinished(stats: SourceStats): boolean {
  // Stats recorded before error codes existed still say so in their message.
  const cancelled = stats.error_code === 'cancelled' || (stats.error_code === null && (stats.error?.startsWith(CANCELLED_ERROR) ?? false));
  return stats.status === 'pending' || stats.status === 'running' || cancelled;
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
