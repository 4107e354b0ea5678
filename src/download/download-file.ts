// The streaming downloader (issue 2 §4): one media URL to one file, never held in memory.
// Bytes go to `<random>.part` through the file sink while being hashed and counted; the first
// bytes are sniffed (an HTML page is refused however it is served); Content-Length and a
// running byte count enforce the size cap; one shared ticker aborts stalled transfers; every
// attempt fits inside one DOWNLOAD_TIMEOUT; the partial file is removed on every failure.
import { createHash } from 'node:crypto';
import {
  ContentError,
  HarvesterError,
  HttpStatusError,
  NetworkError,
  StalledError,
  TimeoutError,
  TooLargeError,
  TruncatedError,
  shouldRetry,
} from '../core/errors.ts';
import type { MediaKind } from '../core/types.ts';
import { linkAbort, sleep } from '../http/abort.ts';
import { abortReason } from '../http/map-error.ts';
import { retryDelayMs } from '../http/retry-delay.ts';
import type { HttpClient, HttpResponse, RetryInfo } from '../http/types.ts';
import { localDirectorySink, type MediaSink, type PartWriter } from './file-sink.ts';
import { HEAD_BYTES, SNIFF_BYTES, mediaDimensions, sniffMedia, type SniffedMedia } from './sniff.ts';
import { watchStall } from './stall-ticker.ts';

export interface CommitInfo {
  sha256: string;
  ext: string;
  mime: string;
  kind: MediaKind;
  bytes: number;
  width: number | null;
  height: number | null;
}

export interface DownloadOptions {
  url: string;
  headers?: Record<string, string>;
  /** Absolute directory to write into (created if missing). */
  directory: string;
  /** Called once the bytes are complete and verified, before the rename: returns the final file
   *  name (no directory) for the sniffed extension, or null to discard the file (a duplicate).
   *  The downloader then renames `<tmp>.part` to that name (never overwriting an existing file). */
  commit(info: CommitInfo): string | null | Promise<string | null>;
  /** Expected kind ('image' | 'video'); content of another kind is a ContentError. Omit to accept both. */
  kind?: MediaKind;
  /** The source deadline + job cancel. */
  signal: AbortSignal;
  /** DOWNLOAD_TIMEOUT: the whole transfer INCLUDING its retries, ms. */
  timeoutMs: number;
  /** STALL_TIMEOUT, ms. */
  stallTimeoutMs: number;
  /** MIN_DOWNLOAD_SPEED, bytes per second. */
  minBytesPerSecond: number;
  /** MAX_FILE_SIZE_MB in bytes. */
  maxBytes: number;
  /** MAX_RETRIES_PER_DOWNLOAD. */
  retries: number;
  onRetry?: (info: RetryInfo) => void;
  /** Where the bytes go (default: the local `directory`). The DESIGN §8 file-output seam. */
  sink?: MediaSink;
  /** First retry backoff, ms (default 250; the cap is 4 s, all within timeoutMs). */
  retryBaseMs?: number;
}

export type DownloadOutcome =
  | { status: 'saved'; path: string; fileName: string; bytes: number; sha256: string; mime: string; ext: string; kind: MediaKind; width: number | null; height: number | null; durationMs: number; attempts: number }
  | { status: 'duplicate'; sha256: string; bytes: number; durationMs: number };

/** Wraps an error thrown by the caller's `commit`, so it is never retried as a transfer error. */
class CommitFailure {
  constructor(readonly error: unknown) {}
}

function seconds(ms: number): string {
  const s = ms / 1000;
  return Number.isInteger(s) ? String(s) : s.toFixed(1);
}

function megabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return Number.isInteger(mb) ? String(mb) : mb.toFixed(2);
}

function validate(options: DownloadOptions): void {
  const positive = (name: string, value: number): void => {
    if (!(typeof value === 'number' && value > 0)) throw new HarvesterError(`downloadFile: ${name} must be a positive number, got ${value}`);
  };
  positive('timeoutMs', options.timeoutMs);
  positive('stallTimeoutMs', options.stallTimeoutMs);
  positive('maxBytes', options.maxBytes);
  if (!(options.minBytesPerSecond >= 0)) throw new HarvesterError(`downloadFile: minBytesPerSecond must be >= 0`);
  if (!(Number.isInteger(options.retries) && options.retries >= 0)) throw new HarvesterError(`downloadFile: retries must be an integer >= 0`);
  if (typeof options.directory !== 'string' || !options.directory.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(options.directory)) {
    throw new HarvesterError(`downloadFile: directory must be absolute, got ${JSON.stringify(options.directory)}`);
  }
}

/** Downloads `options.url` into `options.directory`; see DownloadOptions. */
export async function downloadFile(http: HttpClient, options: DownloadOptions): Promise<DownloadOutcome> {
  validate(options);
  const startedMs = performance.now();
  const deadlineAt = Date.now() + options.timeoutMs;
  // One controller for the whole download: the caller's signal or DOWNLOAD_TIMEOUT, whichever first.
  const deadline = new AbortController();
  const unlink = linkAbort(deadline, [options.signal]);
  const timer = setTimeout(() => {
    deadline.abort(new TimeoutError('download', options.timeoutMs, `Download timeout after ${seconds(options.timeoutMs)}s`));
  }, Math.min(options.timeoutMs, 2 ** 31 - 1));
  const sink = options.sink ?? localDirectorySink(options.directory);
  try {
    for (let retry = 0; ; retry++) {
      try {
        const result = await attemptDownload(http, options, sink, deadline.signal);
        const durationMs = Math.round(performance.now() - startedMs);
        return result.status === 'saved'
          ? { ...result, durationMs, attempts: retry + 1 }
          : { ...result, durationMs };
      } catch (caught) {
        if (caught instanceof CommitFailure) throw caught.error;
        // Once the deadline fired, its reason is what happened, whatever the transfer saw.
        const error = deadline.signal.aborted ? abortReason(deadline.signal) : asHarvesterError(caught);
        if (deadline.signal.aborted || !shouldRetry(error, retry, options.retries)) throw error;
        const delayMs = retryDelayMs(retry + 1, {
          baseMs: options.retryBaseMs ?? 250,
          capMs: 4_000,
          retryAfterMs: error instanceof HttpStatusError ? error.retryAfterMs : undefined,
          remainingMs: deadlineAt - Date.now(),
        });
        if (delayMs === null) throw error;
        options.onRetry?.({ url: options.url, attempt: retry + 2, delayMs, error });
        await sleep(delayMs, deadline.signal);
      }
    }
  } finally {
    clearTimeout(timer);
    unlink();
  }
}

/** The head chunks as one buffer, copying only when there is more than one. */
function joinHead(head: Buffer[], headBytes: number): Buffer {
  return head.length === 1 ? head[0]! : Buffer.concat(head, headBytes);
}

function asHarvesterError(error: unknown): HarvesterError {
  if (error instanceof HarvesterError) return error;
  return new HarvesterError(`download failed: ${(error as Error | undefined)?.message ?? String(error)}`, { cause: error });
}

type AttemptResult =
  | { status: 'saved'; path: string; fileName: string; bytes: number; sha256: string; mime: string; ext: string; kind: MediaKind; width: number | null; height: number | null }
  | { status: 'duplicate'; sha256: string; bytes: number };

/** One attempt: request, stream to a fresh `.part`, verify, commit. The `.part` never survives a failure. */
async function attemptDownload(http: HttpClient, options: DownloadOptions, sink: MediaSink, deadline: AbortSignal): Promise<AttemptResult> {
  const attempt = new AbortController();
  const unlink = linkAbort(attempt, [deadline]);
  const stall = watchStall(options.stallTimeoutMs, options.minBytesPerSecond, (elapsedMs, bytes) => {
    attempt.abort(
      new StalledError(
        `Download stalled: ${bytes} bytes in ${seconds(Math.round(elapsedMs))}s (below ${options.minBytesPerSecond} B/s for ${seconds(options.stallTimeoutMs)}s)`,
      ),
    );
  });
  let response: HttpResponse | undefined;
  let part: PartWriter | undefined;
  let committed = false;
  let bytes = 0;
  let expectedBytes: number | undefined;
  try {
    response = await http.request(options.url, {
      headers: { accept: 'image/*,video/*;q=0.9,*/*;q=0.5', ...options.headers, 'accept-encoding': 'identity' },
      signal: attempt.signal,
      // The stall watch covers silence in every phase, DOWNLOAD_TIMEOUT the total: no timers of the client's own.
      timeoutMs: Infinity,
      headersTimeoutMs: Infinity,
      idleTimeoutMs: Infinity,
      retries: 0,
    });
    // The body can fail (a reset) while the awaits below run, before the loop listens: with no
    // 'error' listener that would crash the process. The loop still throws it (the stream keeps it).
    response.body.on('error', () => {});
    const contentLength = response.headers['content-length'];
    if (contentLength !== undefined && /^\d+$/.test(contentLength.trim())) expectedBytes = Number(contentLength);
    if (expectedBytes !== undefined && expectedBytes > options.maxBytes) {
      throw new TooLargeError(`file is ${expectedBytes} bytes, over MAX_FILE_SIZE_MB (${megabytes(options.maxBytes)} MB)`);
    }
    const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== '') {
      throw new ContentError(`server sent Content-Encoding "${encoding}" for a media file despite Accept-Encoding: identity`);
    }

    const hash = createHash('sha256');
    const head: Buffer[] = [];
    let headBytes = 0;
    let sniffed: SniffedMedia | undefined;
    const claimedType = response.headers['content-type'];
    part = await sink.open();
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      stall.add(chunk.length);
      if (bytes > options.maxBytes) {
        throw new TooLargeError(`file exceeds MAX_FILE_SIZE_MB (${megabytes(options.maxBytes)} MB) while streaming`);
      }
      hash.update(chunk);
      if (headBytes < HEAD_BYTES) {
        head.push(chunk);
        headBytes += chunk.length;
      }
      if (!sniffed && headBytes >= SNIFF_BYTES) sniffed = await sniffMedia(joinHead(head, headBytes), claimedType, options.kind);
      if (!part.write(chunk)) await part.drain();
    }
    if (expectedBytes !== undefined && bytes < expectedBytes) {
      throw new TruncatedError(`body ended after ${bytes} of ${expectedBytes} bytes`);
    }
    sniffed ??= await sniffMedia(joinHead(head, headBytes), claimedType, options.kind);
    await part.finish();
    stall.stop();

    const sha256 = hash.digest('hex');
    // The first chunk holds the size of most formats; only a JPEG with a large EXIF block needs more.
    let { width, height } = mediaDimensions(head[0]!, sniffed.kind);
    if (width === null && head.length > 1) ({ width, height } = mediaDimensions(joinHead(head, headBytes), sniffed.kind));
    let fileName: string | null;
    try {
      fileName = await options.commit({ sha256, ext: sniffed.ext, mime: sniffed.mime, kind: sniffed.kind, bytes, width, height });
    } catch (error) {
      throw new CommitFailure(error);
    }
    if (fileName === null) return { status: 'duplicate', sha256, bytes };
    let path: string;
    try {
      path = await part.commit(fileName);
    } catch (error) {
      throw new CommitFailure(error);
    }
    committed = true;
    return { status: 'saved', path, fileName, bytes, sha256, mime: sniffed.mime, ext: sniffed.ext, kind: sniffed.kind, width, height };
  } catch (error) {
    if (error instanceof CommitFailure) throw error;
    if (attempt.signal.aborted) throw abortReason(attempt.signal);
    // A connection that closed before Content-Length bytes arrived is a truncated body.
    if (error instanceof NetworkError && expectedBytes !== undefined && bytes < expectedBytes) {
      throw new TruncatedError(`body ended after ${bytes} of ${expectedBytes} bytes (${error.message})`, { cause: error });
    }
    throw error;
  } finally {
    stall.stop();
    unlink();
    if (!committed) await part?.discard();
    if (response && !response.body.destroyed) response.body.destroy();
  }
}
