// How long a worker's hold on a queue entry lasts, how often it is renewed, how often workers look
// for entries whose holder died, and how often a worker says it is alive — derived from the source
// deadline in one place (docs/ARCHITECTURE.md, "The distributed mode").
//
// A live worker never loses a lock however long its run's deadline: BullMQ renews the lock every
// `renewMs` while the run goes on, so the lock only has to outlast a busy event loop, not the run.
// A dead worker stops renewing: its run is free after at most `lockMs` and is moved back to the
// queue by the next stalled check, so a death costs at most `lockMs + stalledCheckMs` —
// a fifth of the deadline plus a tenth, kept between 6 s and 15 s: seconds, not minutes, and a
// bounded addition to a job's wall-time bound (⌈runs / concurrency⌉ × the deadline).

/** The lock never lasts less: a renewal may be late by the lock minus `renewMs` (an event loop busy hashing). */
const MIN_LOCK_MS = 4_000;
/** Nor more: a dead worker costs seconds even with a deadline of many minutes. */
const MAX_LOCK_MS = 10_000;

export interface LockTimings {
  /** How long a lock lasts without renewal, ms. */
  lockMs: number;
  /** How often a worker renews the locks of the entries it runs, ms (three times per lock). */
  renewMs: number;
  /** How often workers look for entries whose lock expired and put them back in the queue, ms. */
  stalledCheckMs: number;
  /** How often a worker records that it is alive (/api/health, /metrics), ms. */
  heartbeatMs: number;
  /** How long after its last heartbeat a worker still counts as live, ms. */
  liveMs: number;
  /** The longest a dead worker's run waits before another worker can take it, ms. */
  deadWorkerCostMs: number;
}

/** The timings of a worker whose source runs have `sourceDeadlineMs` (SOURCE_TIMEOUT). */
export function lockTimings(sourceDeadlineMs: number): LockTimings {
  const lockMs = Math.min(MAX_LOCK_MS, Math.max(MIN_LOCK_MS, Math.round(sourceDeadlineMs / 5)));
  const renewMs = Math.round(lockMs / 3);
  const stalledCheckMs = Math.round(lockMs / 2);
  return {
    lockMs,
    renewMs,
    stalledCheckMs,
    heartbeatMs: renewMs,
    liveMs: 3 * renewMs,
    deadWorkerCostMs: lockMs + stalledCheckMs,
  };
}

/** The longest a worker's heartbeat may count as live, whatever its deadline (the intake's look-back). */
export const MAX_WORKER_LIVE_MS = lockTimings(Number.MAX_SAFE_INTEGER).liveMs;
