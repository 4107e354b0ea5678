// Small signal helpers: link a controller to caller signals with listeners that are removed
// when the work ends (AbortSignal.any keeps its sources' listeners for the life of the
// longest-lived signal, which a process-wide job signal would turn into a leak), and an
// abortable sleep for retry delays.
import { defaultMaxListeners, getMaxListeners, setMaxListeners } from 'node:events';
import { abortReason } from './map-error.ts';

/**
 * A source's deadline signal legitimately carries one listener per request and download in
 * flight (32 at MAX_DOWNLOADS_PER_SOURCE=32); Node warns of a leak past 10. Raise the limit of
 * a signal still at the default, as undici's fetch does for the signals it is given.
 */
export function allowManyListeners(signal: AbortSignal): void {
  if (getMaxListeners(signal) === defaultMaxListeners) setMaxListeners(1500, signal);
}

/** Aborts `controller` when any of `signals` aborts (with that signal's reason); returns the unlink. */
export function linkAbort(controller: AbortController, signals: ReadonlyArray<AbortSignal | undefined>): () => void {
  const links: Array<[AbortSignal, () => void]> = [];
  const unlink = (): void => {
    for (const [signal, listener] of links) signal.removeEventListener('abort', listener);
    links.length = 0;
  };
  for (const signal of signals) {
    if (!signal) continue;
    if (signal.aborted) {
      unlink();
      controller.abort(abortReason(signal));
      return unlink;
    }
    const listener = (): void => {
      unlink();
      controller.abort(abortReason(signal));
    };
    allowManyListeners(signal);
    signal.addEventListener('abort', listener, { once: true });
    links.push([signal, listener]);
  }
  return unlink;
}

/** A signal that aborts when any of `signals` does, and a `dispose` that detaches it. */
export function anySignal(signals: ReadonlyArray<AbortSignal | undefined>): {
  signal: AbortSignal;
  dispose: () => void;
} {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length === 1) return { signal: present[0]!, dispose: () => {} };
  const controller = new AbortController();
  const dispose = linkAbort(controller, present);
  return { signal: controller.signal, dispose };
}

/** Resolves after `ms`, or rejects with the signal's reason (as a HarvesterError) when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** setTimeout's largest delay; longer ones fire at once (Node clamps them to 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
