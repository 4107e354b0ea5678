// The response body as the caller gets it: undici's own stream, adopted rather than wrapped.
import type { Readable } from 'node:stream';
import type { HarvesterError } from '../core/errors.ts';

/**
 * Hands undici's own body stream to the caller (no wrapper stream, no copy: this is the hot
 * path of every download) with two additions: every error it ends with is mapped to
 * core/errors.ts, and the request's timers and abort listeners are released as soon as it
 * closes (ended, failed or destroyed). Errors are mapped where they enter the stream:
 * `destroy(error)` (how undici and Node's stream internals fail a body, so `errored` and the
 * 'error' event both carry the mapped error) and `_destroy` (where undici creates its own
 * abort error). A no-op 'error' listener keeps a body destroyed by a caller who never
 * listens from crashing the process.
 */
export function adoptBody(body: Readable, mapError: (error: unknown) => HarvesterError, release: () => void): Readable {
  const destroy = body.destroy;
  body.destroy = function mappedDestroy(this: Readable, error?: Error) {
    return destroy.call(this, error ? mapError(error) : error);
  };
  const destroyImpl = body._destroy;
  body._destroy = function mappedDestroyImpl(
    this: Readable,
    error: Error | null,
    callback: (error?: Error | null) => void,
  ): void {
    destroyImpl.call(this, error, (finalError?: Error | null) =>
      callback(finalError ? mapError(finalError) : finalError),
    );
  };
  body.once('close', release);
  body.on('error', () => {});
  return body;
}
