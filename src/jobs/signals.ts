// Deadlines and cancellation as AbortSignals (every timeout is a signal passed down, so one abort
// reaches every request and download under it; see docs/ARCHITECTURE.md, "Deadlines").
import { SourceTimeoutError } from '../core/errors.ts';

/** One source run's deadline, built once and passed down to everything the run does. */
export interface Deadline {
  /** Aborts with `SourceTimeoutError` when the deadline fires, or with the parent's reason. */
  signal: AbortSignal;
  /** When the deadline fires, ms since the epoch: HTTP requests cap their own timeouts by it. */
  deadlineAt: number;
  /** Stops the timer; call it when the work ends so nothing keeps the process alive. */
  clear(): void;
}

/**
 * A source's deadline combined with the job's cancel. AbortSignal.timeout() cannot carry our
 * reason ("Timeout after 30s"), so the timer is ours and is cleared when the source ends.
 */
export function sourceDeadline(parent: AbortSignal, timeoutMs: number): Deadline {
  const own = new AbortController();
  const deadlineAt = Date.now() + timeoutMs;
  const timer = setTimeout(() => own.abort(new SourceTimeoutError(timeoutMs)), timeoutMs);
  return { signal: AbortSignal.any([parent, own.signal]), deadlineAt, clear: () => clearTimeout(timer) };
}

/**
 * Settles with `promise`, or rejects with the signal's reason as soon as it aborts: a guard
 * for code that might ignore the signal (a source's iterator), so a deadline always ends it.
 */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Resolves `graceMs` after the signal aborts (never, while it does not). Returns a disposer. */
export function afterAbort(signal: AbortSignal, graceMs: number): { promise: Promise<void>; dispose(): void } {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const promise = new Promise<void>((resolve) => {
    onAbort = () => {
      timer = setTimeout(resolve, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return {
    promise,
    dispose() {
      if (onAbort) signal.removeEventListener('abort', onAbort);
      clearTimeout(timer);
    },
  };
}
