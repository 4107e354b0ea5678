// The one retry loop, shared by source searches and media downloads. What is retryable is
// decided by core's `shouldRetry`, how long to wait by the pure `retryDelayMs`; a policy only
// says how many retries, which delays, and the deadline they must fit in. The two policies'
// delay values live here, side by side, so they are tuned in one place.
import { HarvesterError, HttpStatusError, shouldRetry } from '../core/errors.ts';
import { sleep } from './abort.ts';
import { retryDelayMs } from './retry-delay.ts';

/** The delays of a retry policy, ms: the first backoff and the longest. */
export interface RetryDelays {
  baseMs: number;
  capMs: number;
}

/**
 * Source searches: a page request is cheap and a source's deadline is long, so back off
 * generously (a rate-limited API recovers in seconds).
 */
export const SEARCH_RETRY_DELAYS: RetryDelays = { baseMs: 500, capMs: 10_000 };

/**
 * Media downloads: every retry must fit inside one DOWNLOAD_TIMEOUT together with the
 * transfer itself, so the backoff starts short and stays short.
 */
export const DOWNLOAD_RETRY_DELAYS: RetryDelays = { baseMs: 250, capMs: 4_000 };

export interface RetryPolicy extends RetryDelays {
  /** Retries after the first attempt (0: no retry). */
  retries: number;
  /** Aborting it ends the waiting at once; no retry starts once it has fired. */
  signal?: AbortSignal;
  /** Wall-clock instant (Date.now() ms) every retry must fit before; a longer delay gives up. */
  deadlineAt?: number;
  /** Told before each retry's delay; `attempt` is the attempt about to be made, from 2. */
  onRetry?: (info: { attempt: number; delayMs: number; error: HarvesterError }) => void;
}

/**
 * Runs `attempt` (given the attempt number, from 1) until it succeeds or fails in a way not
 * worth another try. Only HarvesterErrors are retried: anything else (a caller's own error
 * passing through) is thrown as it is, at once.
 */
export async function withRetries<T>(attempt: (attemptNumber: number) => Promise<T>, policy: RetryPolicy): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(retry + 1);
    } catch (error) {
      if (!(error instanceof HarvesterError)) throw error;
      if (policy.signal?.aborted || !shouldRetry(error, retry, policy.retries)) throw error;
      const delayMs = retryDelayMs(retry + 1, {
        baseMs: policy.baseMs,
        capMs: policy.capMs,
        retryAfterMs: error instanceof HttpStatusError ? error.retryAfterMs : undefined,
        remainingMs: policy.deadlineAt !== undefined ? policy.deadlineAt - Date.now() : undefined,
      });
      if (delayMs === null) throw error;
      policy.onRetry?.({ attempt: retry + 2, delayMs, error });
      await sleep(delayMs, policy.signal);
    }
  }
}
