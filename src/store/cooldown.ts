// The cool-down schedule of failing sources (the seed's "skip known-bad sources
// temporarily" and "exponential backoff for failing sources"). A pure function, like
// retryDelayMs, so the schedule is testable without a clock or a database.

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
