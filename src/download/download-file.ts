// The streaming downloader: one media URL to one file, never held in memory.
// Bytes go to a partial file of the caller's sink (the file-output seam, docs/ARCHITECTURE.md)
// while being hashed and counted: the downloader never names a path itself. The first
// bytes are sniffed (an HTML page is refused however it is served); Content-Length and a
// running byte count enforce the size cap; one shared ticker aborts stalled transfers; every
// attempt fits inside one DOWNLOAD_TIMEOUT; the partial file is removed on every failure.
import { createHash, type Hash } from 'node:crypto';
import {
  ContentError,
  HarvesterError,
  NameTakenError,
  NetworkError,
  StalledError,
  TimeoutError,
  TooLargeError,
  TruncatedError,
} from '../core/errors.ts';
import type { MediaKind } from '../core/types.ts';
import {
  DOWNLOAD_RETRY_DELAYS,
  abortReason,
  linkAbort,
  withRetries,
  type HttpClient,
  type HttpResponse,
  type RetryInfo,
} from '../http/index.ts';
import type { MediaSink, PartWriter } from '../output/file-output.ts';
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
  /** Where the bytes go: a partial file per attempt, moved to its final name on commit. */
  sink: MediaSink;
  /** Called once the bytes are complete and verified, before the rename: returns the final file
   *  name (no directory) for the sniffed extension, or null to discard the file (a duplicate).
   *  The downloader then commits the partial file under that name (never overwriting an existing file). */
  commit(info: CommitInfo): string | null | Promise<string | null>;
  /** Called when the name `commit` returned exists by the time of the rename (another process
   *  wrote it): returns another name to commit under. Without it, such a download fails. */
  renamed?(taken: string): string | Promise<string>;
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
  /** First retry backoff, ms (default DOWNLOAD_RETRY_DELAYS; all retries stay within timeoutMs). */
  retryBaseMs?: number;
}

/** A file one attempt saved: where it is and what it holds. */
interface SavedMedia {
  status: 'saved';
  path: string;
  fileName: string;
  bytes: number;
  sha256: string;
  mime: string;
  ext: string;
  kind: MediaKind;
  width: number | null;
  height: number | null;
}

export type DownloadOutcome =
  | (SavedMedia & { durationMs: number; attempts: number })
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
    if (!(typeof value === 'number' && value > 0))
      throw new HarvesterError(`downloadFile: ${name} must be a positive number, got ${value}`);
  };
  positive('timeoutMs', options.timeoutMs);
  positive('stallTimeoutMs', options.stallTimeoutMs);
  positive('maxBytes', options.maxBytes);
  if (!(options.minBytesPerSecond >= 0)) throw new HarvesterError(`downloadFile: minBytesPerSecond must be >= 0`);
  if (!(Number.isInteger(options.retries) && options.retries >= 0))
    throw new HarvesterError(`downloadFile: retries must be an integer >= 0`);
  if (typeof options.url !== 'string' || options.url === '')
    throw new HarvesterError('downloadFile: url must be a non-empty string');
  if (typeof options.commit !== 'function') throw new HarvesterError('downloadFile: commit must be a function');
  if (typeof options.sink?.open !== 'function') throw new HarvesterError('downloadFile: sink must be a MediaSink');
}

/** Downloads `options.url` into `options.sink`; see DownloadOptions. */
export async function downloadFile(http: HttpClient, options: DownloadOptions): Promise<DownloadOutcome> {
  validate(options);
  const startedMs = performance.now();
  const deadlineAt = Date.now() + options.timeoutMs;
  // One controller for the whole download: the caller's signal or DOWNLOAD_TIMEOUT, whichever first.
  const deadline = new AbortController();
  const unlink = linkAbort(deadline, [options.signal]);
  const timer = setTimeout(
    () => {
      deadline.abort(
        new TimeoutError('download', options.timeoutMs, `Download timeout after ${seconds(options.timeoutMs)}s`),
      );
    },
    Math.min(options.timeoutMs, 2 ** 31 - 1),
  );
  let resume: Resumable | null = null;
  try {
    return await withRetries(
      async (attemptNumber) => {
        try {
          const from = resume;
          resume = null;
          const result = await attemptDownload(http, options, options.sink, deadline.signal, from, (state) => {
            resume = state;
          });
          const durationMs = Math.round(performance.now() - startedMs);
          return result.status === 'saved'
            ? { ...result, durationMs, attempts: attemptNumber }
            : { ...result, durationMs };
        } catch (caught) {
          // A CommitFailure is no HarvesterError, so the retry loop passes it through untouched.
          if (caught instanceof CommitFailure) throw caught;
          // Once the deadline fired, its reason is what happened, whatever the transfer saw.
          throw deadline.signal.aborted ? abortReason(deadline.signal) : asHarvesterError(caught);
        }
      },
      {
        ...DOWNLOAD_RETRY_DELAYS,
        ...(options.retryBaseMs !== undefined ? { baseMs: options.retryBaseMs } : {}),
        retries: options.retries,
        signal: deadline.signal,
        deadlineAt,
        onRetry: ({ attempt, delayMs, error }) => options.onRetry?.({ url: options.url, attempt, delayMs, error }),
      },
    );
  } catch (error) {
    throw error instanceof CommitFailure ? error.error : error;
  } finally {
    clearTimeout(timer);
    unlink();
    // A partial kept for a retry that never came (no retries left, deadline, cancel).
    await (resume as Resumable | null)?.part.discard();
  }
}

/** The head chunks as one buffer, copying only when there is more than one. */
function joinHead(head: Buffer[], headBytes: number): Buffer {
  return head.length === 1 ? head[0]! : Buffer.concat(head, headBytes);
}

function asHarvesterError(error: unknown): HarvesterError {
  if (error instanceof HarvesterError) return error;
  return new HarvesterError(`download failed: ${(error as Error | undefined)?.message ?? String(error)}`, {
    cause: error,
  });
}

type AttemptResult = SavedMedia | { status: 'duplicate'; sha256: string; bytes: number };

/**
 * What a failed attempt leaves for the next one to resume from: the open `.part`,
 * the running hash, and the validator the server gave, so the next request can ask for the
 * rest with `Range` + `If-Range`. Only kept when the server said it serves byte ranges.
 */
interface Resumable {
  part: PartWriter;
  hash: Hash;
  bytes: number;
  totalBytes: number;
  head: Buffer[];
  headBytes: number;
  sniffed: SniffedMedia | undefined;
  claimedType: string | undefined;
  /** A strong ETag, or else Last-Modified, for If-Range. */
  validator: string;
}

/** The validator If-Range may carry: a strong ETag, else Last-Modified; null when neither. */
function rangeValidator(headers: Record<string, string>): string | null {
  if (!/(^|,)\s*bytes\s*(,|$)/i.test(headers['accept-ranges'] ?? '')) return null;
  const etag = headers.etag?.trim();
  if (etag && !etag.startsWith('W/')) return etag;
  return headers['last-modified']?.trim() || null;
}

/** `Content-Range: bytes <start>-<end>/<total>` → its numbers, or null. */
function parseContentRange(value: string | undefined): { start: number; end: number; total: number } | null {
  const match = /^\s*bytes\s+(\d+)-(\d+)\/(\d+)\s*$/i.exec(value ?? '');
  if (!match) return null;
  return { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
}

/**
 * One attempt: request (the rest only, when `resume` holds a usable partial), stream to the
 * `.part`, verify, commit. On failure the `.part` is removed, unless it can be resumed: then
 * it is handed to `keep` and the caller owns it (and removes it if it does not retry).
 */
async function attemptDownload(
  http: HttpClient,
  options: DownloadOptions,
  sink: MediaSink,
  deadline: AbortSignal,
  resume: Resumable | null,
  keep: (state: Resumable) => void,
): Promise<AttemptResult> {
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
  let state: Resumable | null = null;
  let committed = false;
  let validator: string | null = null;
  let expectedBytes: number | undefined;
  try {
    const headers: Record<string, string> = {
      accept: 'image/*,video/*;q=0.9,*/*;q=0.5',
      ...options.headers,
      'accept-encoding': 'identity',
    };
    if (resume) {
      headers.range = `bytes=${resume.bytes}-`;
      headers['if-range'] = resume.validator;
    }
    response = await http.request(options.url, {
      headers,
      signal: attempt.signal,
      // The stall watch covers silence in every phase, DOWNLOAD_TIMEOUT the total: no timers of the client's own.
      timeoutMs: Infinity,
      headersTimeoutMs: Infinity,
      idleTimeoutMs: Infinity,
      retries: 0,
      acceptStatus: (status) => status === 200 || (resume !== null && status === 206),
    });
    // The body can fail (a reset) while the awaits below run, before the loop listens: with no
    // 'error' listener that would crash the process. The loop still throws it (the stream keeps it).
    response.body.on('error', () => {});
    if (resume && response.status === 206) {
      const range = parseContentRange(response.headers['content-range']);
      if (!range || range.start !== resume.bytes || range.total !== resume.totalBytes) {
        // The server answered another range than asked: the partial cannot be trusted to continue.
        await resume.part.discard();
        throw new TruncatedError(
          `cannot resume: asked for bytes ${resume.bytes}- of ${resume.totalBytes}, got ${response.headers['content-range'] ?? 'no Content-Range'}`,
        );
      }
      state = resume;
      expectedBytes = resume.totalBytes;
    } else {
      // A fresh start, or a server that ignored the range (or whose file changed): start over.
      if (resume) await resume.part.discard();
      const contentLength = response.headers['content-length'];
      if (contentLength !== undefined && /^\d+$/.test(contentLength.trim())) expectedBytes = Number(contentLength);
    }
    resume = null;
    if (expectedBytes !== undefined && expectedBytes > options.maxBytes) {
      throw new TooLargeError(
        `file is ${expectedBytes} bytes, over MAX_FILE_SIZE_MB (${megabytes(options.maxBytes)} MB)`,
      );
    }
    const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity' && encoding !== '') {
      throw new ContentError(
        `server sent Content-Encoding "${encoding}" for a media file despite Accept-Encoding: identity`,
      );
    }
    validator = rangeValidator(response.headers);
    state ??= {
      part: await sink.open(),
      hash: createHash('sha256'),
      bytes: 0,
      totalBytes: expectedBytes ?? -1,
      head: [],
      headBytes: 0,
      sniffed: undefined,
      claimedType: response.headers['content-type'],
      validator: validator ?? '',
    };
    const s = state;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      s.bytes += chunk.length;
      stall.add(chunk.length);
      if (s.bytes > options.maxBytes) {
        throw new TooLargeError(`file exceeds MAX_FILE_SIZE_MB (${megabytes(options.maxBytes)} MB) while streaming`);
      }
      s.hash.update(chunk);
      if (s.headBytes < HEAD_BYTES) {
        s.head.push(chunk);
        s.headBytes += chunk.length;
      }
      if (!s.sniffed && s.headBytes >= SNIFF_BYTES)
        s.sniffed = await sniffMedia(joinHead(s.head, s.headBytes), s.claimedType, options.kind);
      if (!s.part.write(chunk)) await s.part.drain();
    }
    if (expectedBytes !== undefined && s.bytes < expectedBytes) {
      throw new TruncatedError(`body ended after ${s.bytes} of ${expectedBytes} bytes`);
    }
    const sniffed = s.sniffed ?? (await sniffMedia(joinHead(s.head, s.headBytes), s.claimedType, options.kind));
    await s.part.finish();
    stall.stop();

    const bytes = s.bytes;
    const sha256 = s.hash.digest('hex');
    // The first chunk holds the size of most formats; only a JPEG with a large EXIF block needs more.
    let { width, height } = mediaDimensions(s.head[0]!, sniffed.kind);
    if (width === null && s.head.length > 1)
      ({ width, height } = mediaDimensions(joinHead(s.head, s.headBytes), sniffed.kind));
    let fileName: string | null;
    try {
      fileName = await options.commit({
        sha256,
        ext: sniffed.ext,
        mime: sniffed.mime,
        kind: sniffed.kind,
        bytes,
        width,
        height,
      });
    } catch (error) {
      throw new CommitFailure(error);
    }
    if (fileName === null) return { status: 'duplicate', sha256, bytes };
    let path: string;
    for (;;) {
      try {
        path = await s.part.commit(fileName);
        break;
      } catch (error) {
        if (!(error instanceof NameTakenError) || options.renamed === undefined) throw new CommitFailure(error);
      }
      try {
        fileName = await options.renamed(fileName);
      } catch (error) {
        throw new CommitFailure(error);
      }
    }
    committed = true;
    return {
      status: 'saved',
      path,
      fileName,
      bytes,
      sha256,
      mime: sniffed.mime,
      ext: sniffed.ext,
      kind: sniffed.kind,
      width,
      height,
    };
  } catch (caught) {
    let error = caught;
    if (!(error instanceof CommitFailure)) {
      if (attempt.signal.aborted) error = abortReason(attempt.signal);
      // A connection that closed before Content-Length bytes arrived is a truncated body.
      const got = state?.bytes ?? 0;
      if (error instanceof NetworkError && expectedBytes !== undefined && got < expectedBytes) {
        error = new TruncatedError(`body ended after ${got} of ${expectedBytes} bytes (${error.message})`, {
          cause: error,
        });
      }
      // Worth resuming: a transient failure mid-body, from a server that serves byte ranges.
      const transient = error instanceof HarvesterError && error.retryable && !deadline.aborted;
      if (
        state &&
        transient &&
        validator &&
        expectedBytes !== undefined &&
        state.bytes > 0 &&
        state.bytes < expectedBytes
      ) {
        state.validator = validator;
        keep(state);
        state = null;
      }
    }
    throw error;
  } finally {
    stall.stop();
    unlink();
    if (!committed && state) await state.part.discard();
    if (resume) await resume.part.discard();
    if (response && !response.body.destroyed) response.body.destroy();
  }
}
