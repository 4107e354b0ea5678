// The retry delay policy: a pure function of the attempt number and what the
// server asked for, with no clock of its own, so it is trivially unit-testable. `Retry-After`
// is parsed here and nowhere else.

export interface RetryDelayOptions {
  /** Delay before the first retry, before jitter, ms. */
  baseMs: number;
  /** Largest backoff delay, ms (a server's Retry-After may ask for more; see maxRetryAfterMs). */
  capMs: number;
  /** What the server asked for with `Retry-After`, ms (see parseRetryAfterMs). */
  retryAfterMs?: number;
  /** Time left before the caller's deadline, ms. A delay that would not leave room for another attempt gives up. */
  remainingMs?: number;
  /** Longest Retry-After honoured when no deadline is known, ms (default 60 000). */
  maxRetryAfterMs?: number;
  /** Source of randomness in [0, 1) for the jitter (default Math.random). */
  random?: () => number;
}

/**
 * Delay before retry number `retry` (1 for the first retry), in ms, or `null` to give up.
 *
 * Capped exponential backoff with "equal jitter": half the backoff is fixed, half random, so
 * many clients failing together spread out but none retries at once. A `Retry-After` from
 * the server wins over the backoff (it is never shortened). Gives up when the delay would
 * reach past the caller's deadline (`remainingMs`): sleeping until the deadline only to be
 * aborted helps nobody.
 */
export function retryDelayMs(retry: number, options: RetryDelayOptions): number | null {
  const { baseMs, capMs, retryAfterMs, remainingMs, maxRetryAfterMs = 60_000, random = Math.random } = options;
  if (!(retry >= 1)) throw new RangeError(`retry must be >= 1, got ${retry}`);
  const backoffMs = Math.min(capMs, baseMs * 2 ** (retry - 1));
  const jitter = Math.min(Math.max(random(), 0), 1);
  let delayMs = Math.round(backoffMs / 2 + (backoffMs / 2) * jitter);
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) {
    if (remainingMs === undefined && retryAfterMs > maxRetryAfterMs) return null;
    delayMs = Math.max(delayMs, Math.ceil(retryAfterMs));
  }
  if (remainingMs !== undefined && delayMs >= remainingMs) return null;
  return delayMs;
}

/**
 * `Retry-After` (RFC 9110 §10.2.3) as a delay in ms from `nowMs`: either delay-seconds
 * ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"; a date in the past means 0).
 * Anything else is undefined, as if the header were absent.
 */
export function parseRetryAfterMs(value: string | undefined | null, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const seconds = Number(text);
    return Number.isSafeInteger(seconds) ? seconds * 1000 : undefined;
  }
  // Only the date forms: Date.parse alone would accept "1.5" or "tomorrow"-like strings.
  if (!/[A-Za-z]{3}.*\d{2}:\d{2}:\d{2}/.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
