// Error classes. Each says, with `code` and `retryable`, what the runner does with it;
// `shouldRetry` is the one decision point for retries, `exitCodeFor`/`httpStatusFor` the one for faces.

/**
 * The stable, machine-readable kind of a source's error (`error_code` beside `error` in a
 * source's stats). Set by the class that is raised, so no consumer ever reads it from a message.
 */
export const SOURCE_ERROR_CODES = [
  'timeout',
  'blocked',
  'layout_changed',
  'not_configured',
  'cooling_down',
  'http_error',
  'network',
  'downloads_failed',
  'cancelled',
] as const;
export type SourceErrorCode = (typeof SOURCE_ERROR_CODES)[number];

/** Base of every error Harvester raises on purpose. */
export class HarvesterError extends Error {
  readonly code: string = 'HARVESTER_ERROR';
  readonly retryable: boolean = false;
  /** What a source that ends with this error reports as its `error_code`. */
  readonly errorCode: SourceErrorCode = 'http_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad configuration value, CLI flag or input: usage error, exit code 2. */
export class ConfigError extends HarvesterError {
  override readonly code = 'CONFIG_INVALID';
}

/** A timeout of one phase of a request or of a whole deadline; the message names the phase. */
export class TimeoutError extends HarvesterError {
  override readonly code = 'TIMEOUT';
  override readonly errorCode: SourceErrorCode = 'timeout';
  override readonly retryable: boolean;
  constructor(
    readonly phase: 'connect' | 'headers' | 'idle' | 'request' | 'download' | 'stall' | 'source',
    readonly timeoutMs: number,
    message?: string,
  ) {
    super(message ?? `Timeout awaiting '${phase}' for ${timeoutMs}ms`);
    // A source deadline is final; a request-level timeout may be retried if time is left.
    this.retryable = phase !== 'source';
  }
}

/** A source's whole budget ran out: "Timeout after 30s" (the seed's wording). */
export class SourceTimeoutError extends TimeoutError {
  constructor(timeoutMs: number) {
    super('source', timeoutMs, `Timeout after ${formatSeconds(timeoutMs)}s`);
  }
}

/** A download moved slower than MIN_DOWNLOAD_SPEED for STALL_TIMEOUT. */
export class StalledError extends HarvesterError {
  override readonly code = 'STALLED';
  override readonly errorCode: SourceErrorCode = 'timeout';
  override readonly retryable = true;
}

/** Connection-level failure (refused, reset, DNS…); `cause` keeps the system error. */
export class NetworkError extends HarvesterError {
  override readonly code: string = 'NETWORK';
  override readonly errorCode: SourceErrorCode = 'network';
  override readonly retryable: boolean;
  constructor(
    message: string,
    readonly sysCode?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // A name that does not resolve will not resolve on the next try either.
    this.retryable = sysCode !== 'ENOTFOUND';
  }
}

/** A response with a status the caller did not want. 408, 429 and 5xx are transient. */
export class HttpStatusError extends HarvesterError {
  override readonly code = 'HTTP_STATUS';
  override readonly retryable: boolean;
  constructor(
    readonly status: number,
    readonly url: string,
    /** Delay the server asked for (Retry-After), in ms, if any. */
    readonly retryAfterMs?: number,
  ) {
    super(`HTTP ${status}`);
    this.retryable = status === 408 || status === 429 || status >= 500;
  }
}

/** A request or redirect to a loopback/private/link-local address with the guard on. */
export class PrivateNetworkError extends HarvesterError {
  override readonly code = 'PRIVATE_NETWORK';
  override readonly errorCode: SourceErrorCode = 'network';
}

/** Too many redirects, or a redirect loop. */
export class RedirectError extends HarvesterError {
  override readonly code = 'REDIRECT';
}

/** A body larger than allowed (MAX_FILE_SIZE_MB or a page cap). */
export class TooLargeError extends HarvesterError {
  override readonly code = 'TOO_LARGE';
}

/** A body shorter than its Content-Length, or a connection closed mid-body. */
export class TruncatedError extends HarvesterError {
  override readonly code = 'TRUNCATED';
  override readonly errorCode: SourceErrorCode = 'network';
  override readonly retryable = true;
}

/** Content that is not the media it should be (an HTML error page served as image/jpeg…). */
export class ContentError extends HarvesterError {
  override readonly code = 'NOT_MEDIA';
}

/** The disk is full (ENOSPC) or another write failed. */
export class DiskError extends HarvesterError {
  override readonly code = 'DISK';
}

/** A file's final name exists already (another process took it): nothing was overwritten. */
export class NameTakenError extends DiskError {}

/** A source's page had no recognisable result markup: the layout changed. */
export class ParseError extends HarvesterError {
  override readonly code = 'PARSE';
  override readonly errorCode: SourceErrorCode = 'layout_changed';
  constructor(
    readonly source: string,
    what: string,
  ) {
    super(`${source}: layout changed: ${what}`);
  }
}

/** A source refused us: captcha, block page, 403 on a token. */
export class BlockedError extends HarvesterError {
  override readonly code = 'BLOCKED';
  override readonly errorCode: SourceErrorCode = 'blocked';
  constructor(
    readonly source: string,
    reason: string,
  ) {
    super(`${source}: blocked: ${reason}`);
  }
}

/** A key-based source without its key: "pexels: needs PEXELS_API_KEY". */
export class NotConfiguredError extends HarvesterError {
  override readonly code = 'NOT_CONFIGURED';
  override readonly errorCode: SourceErrorCode = 'not_configured';
  constructor(
    readonly source: string,
    readonly variable: string,
  ) {
    super(`${source}: needs ${variable}`);
  }
}

/** The source is cooling down after repeated failures. */
export class CoolingDownError extends HarvesterError {
  override readonly code = 'COOLING_DOWN';
  override readonly errorCode: SourceErrorCode = 'cooling_down';
  constructor(
    readonly source: string,
    readonly until: Date,
    failures: number,
  ) {
    super(`cooling down after ${failures} consecutive failures; retry after ${until.toISOString()}`);
  }
}

/** The user or the server cancelled. */
export class CancelledError extends HarvesterError {
  override readonly code = 'CANCELLED';
  override readonly errorCode: SourceErrorCode = 'cancelled';
}

/** Not found (a job id, a file). */
export class NotFoundError extends HarvesterError {
  override readonly code = 'NOT_FOUND';
}

/** The request conflicts with the resource's state (cancelling a job that has ended): HTTP 409. */
export class ConflictError extends HarvesterError {
  override readonly code = 'CONFLICT';
}

/** Redis (REDIS_URL) cannot be reached when a face of the distributed mode starts: like the store, it stops the program (exit 2). */
export class QueueUnreachableError extends HarvesterError {
  override readonly code = 'QUEUE_UNREACHABLE';
}

/** The job queue is full (MAX_QUEUED_JOBS): HTTP 503 with Retry-After; the client should come back later. */
export class QueueFullError extends HarvesterError {
  override readonly code = 'QUEUE_FULL';
  constructor(
    message: string,
    /** Seconds after which a retry may find room. */
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}

/** The store cannot be used (corrupt file, newer schema): exit code 2. */
export class StoreError extends HarvesterError {
  override readonly code = 'STORE';
}

/**
 * The shared store's server cannot be reached (refused, reset, timed out, shutting down): the
 * database is fine, the connection is not. At start-up it stops the program like any StoreError;
 * in a running job it ends the work that needs the store (docs/ARCHITECTURE.md, "PostgreSQL lost").
 */
export class StoreUnreachableError extends StoreError {
  override readonly errorCode: SourceErrorCode = 'network';
}

/** The one retry decision: transient errors only, and only while attempts remain. */
export function shouldRetry(error: unknown, attempt: number, maxRetries: number): boolean {
  if (attempt >= maxRetries) return false;
  return error instanceof HarvesterError && error.retryable;
}

/** Exit codes of the CLI. */
export const EXIT = { completed: 0, failed: 1, usage: 2, partial: 3, interrupted: 130 } as const;

/** Maps an error that ends a command to its exit code. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ConfigError || error instanceof StoreError || error instanceof QueueUnreachableError)
    return EXIT.usage;
  if (error instanceof CancelledError) return EXIT.interrupted;
  return EXIT.failed;
}

/** Maps an error that ends an API request to its HTTP status. */
export function httpStatusFor(error: unknown): number {
  if (error instanceof ConfigError) return 400;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError) return 409;
  if (error instanceof StoreError || error instanceof QueueFullError || error instanceof QueueUnreachableError)
    return 503;
  return 500;
}

/**
 * The `error_code` of what ended a source. Anything not raised on purpose (a bug in a parser
 * meeting an answer it did not foresee) is reported as `layout_changed`: the answer was not
 * what the source understands, and a loud alarm beats a silent one.
 */
export function sourceErrorCodeOf(error: unknown): SourceErrorCode {
  return error instanceof HarvesterError ? error.errorCode : 'layout_changed';
}

/** A short, single-line description of any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message.replace(/\s+/g, ' ').trim() || error.name;
  return String(error);
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}
