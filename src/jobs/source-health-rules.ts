// The source-health rules, as pure functions (no clock, no database) so they are testable alone:
// how a run's outcome changes a source's record, the cool-down schedule of failing sources (the
// seed's "skip known-bad sources temporarily" and "exponential backoff for failing sources"),
// which cached search answers a failed run must drop, and what "cooling now" means when reading
// health. The store only records what these decide (./source-health.ts applies them).
import type { SourceHealth } from '../core/source-reports.ts';
import type { SourceHealthRecord, SourceOutcome } from '../store/store.ts';
import type { SourceCheck } from '../core/types.ts';

/** Consecutive failed runs after which a source starts cooling down. */
export const COOLDOWN_THRESHOLD = 3;
/** Cool-down after the THRESHOLD-th consecutive failure, ms (5 min). */
export const COOLDOWN_BASE_MS = 5 * 60_000;
/** Longest cool-down, ms (6 h). */
export const COOLDOWN_MAX_MS = 6 * 60 * 60_000;

/**
 * How long a source cools down after `consecutiveFailures` failed runs in a row: 0 below the
 * threshold, then BASE, doubling with each further failure, capped at MAX.
 * 3 → 5 min, 4 → 10 min, 5 → 20 min, … 10 → 6 h (capped).
 */
export function cooldownMs(consecutiveFailures: number): number {
  if (!Number.isFinite(consecutiveFailures) || consecutiveFailures < COOLDOWN_THRESHOLD) return 0;
  const doublings = Math.floor(consecutiveFailures) - COOLDOWN_THRESHOLD;
  // 2**doublings overflows to Infinity long after the cap; Math.min keeps it finite.
  return Math.min(COOLDOWN_MAX_MS, COOLDOWN_BASE_MS * 2 ** Math.min(doublings, 52));
}

/**
 * A source's record after a run that happened (a skipped run changes nothing): counts, the
 * failure streak, the most recent error (kept after later successes, for debugging) and the
 * cool-down the streak earns, counted from the run's end.
 */
export function nextHealthRecord(prev: SourceHealthRecord, outcome: SourceOutcome): SourceHealthRecord {
  if (outcome.skipped) return prev;
  const at = outcome.at.toISOString();
  const failures = outcome.ok ? 0 : prev.consecutive_failures + 1;
  const coolMs = cooldownMs(failures);
  return {
    source: outcome.source,
    runs: prev.runs + 1,
    successes: prev.successes + (outcome.ok ? 1 : 0),
    downloaded: prev.downloaded + outcome.downloaded,
    download_ms: prev.download_ms + Math.round(outcome.downloadMs),
    consecutive_failures: failures,
    last_error: outcome.error ?? prev.last_error,
    last_error_at: outcome.error !== null ? at : prev.last_error_at,
    last_run_at: at,
    cooling_until: coolMs > 0 ? new Date(outcome.at.getTime() + coolMs).toISOString() : null,
  };
}

/**
 * From when a failed (not skipped) run's source must lose its cached search answers — those
 * stored or served during the run, since a page the source could not use must not be served
 * again — or null when nothing is dropped. A second of slack: both clocks are this process's,
 * but durations are rounded.
 */
export function cachePurgeSinceMs(outcome: SourceOutcome): number | null {
  if (outcome.skipped || outcome.ok) return null;
  // Whole ms: a duration measured with performance.now() has a fraction, which PostgreSQL's
  // BIGINT refuses (and the whole outcome would go unrecorded).
  return Math.floor(outcome.at.getTime() - outcome.durationMs - 1000);
}

/** What a source's health reads as at `nowMs`: rates derived, a cool-down that has passed shown as none. */
export function sourceHealthAt(record: SourceHealthRecord, lastCheck: SourceCheck | null, nowMs: number): SourceHealth {
  const cooling =
    record.cooling_until !== null && Date.parse(record.cooling_until) > nowMs ? record.cooling_until : null;
  return {
    source: record.source as SourceHealth['source'],
    runs: record.runs,
    successes: record.successes,
    success_rate: record.runs > 0 ? record.successes / record.runs : null,
    avg_download_ms: record.downloaded > 0 ? record.download_ms / record.downloaded : null,
    consecutive_failures: record.consecutive_failures,
    last_error: record.last_error,
    last_error_at: record.last_error_at,
    last_run_at: record.last_run_at,
    cooling_until: cooling,
    last_check: lastCheck,
  };
}
