// Runs one source of a job: its own deadline over its searches and its downloads,
// a bounded download pool fed from the source's iterator only as needed, the media-type
// filter, de-duplication (within the job and against the download archive), and the source's
// stats, events and health record.
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sourceTimeoutMs, type Config } from '../core/config.ts';
import { CancelledError, CoolingDownError, SourceTimeoutError, errorMessage, sourceErrorCodeOf } from '../core/errors.ts';
import type { JobSourceName, JobSpec, MediaCandidate, MediaKind, SavedFile, SourceStats } from '../core/types.ts';
import { URLS_SOURCE } from '../core/types.ts';
import { downloadFile, localDirectorySink, type MediaSink } from '../download/index.ts';
import { mediaFileName, safeJoin } from '../download/naming.ts';
import { bindSourceHttp } from '../http/index.ts';
import type { HttpClient, SourceHttp } from '../http/types.ts';
import type { SearchQuery, SourceContext } from '../sources/source.ts';
import type { Store } from '../store/store.ts';
import { fileExists, nextFileNumber } from './file-numbering.ts';
import type { Emit } from './job-events.ts';
import { CANCELLED_ERROR, countFailure, everyDownloadFailedError, settleSourceStats, skipSourceStats, type FailureCauses, type SourceFailure } from '../core/job-results.ts';
import { createCachedSourceHttp } from './search-cache.ts';
import { afterAbort, raceSignal, sourceDeadline } from './signals.ts';

/** How long a source's in-flight work may take to wind down after its deadline or a cancel, ms. */
const ABORT_GRACE_MS = 1000;
/** Most search pages any source may request in one job. */
const MAX_PAGES = 20;
/** Candidates a small search page holds; sets the page cap with some slack for duplicates and failures. */
const SMALL_PAGE = 10;
/** Earlier jobs named in `existing_jobs`: enough to point at, small enough for every document. */
const EXISTING_JOBS_MAX = 20;

/** A source as the runner sees it: a registry source or the pseudo-source `urls`. */
export interface RunnableSource {
  id: JobSourceName;
  search(query: SearchQuery, ctx: SourceContext): AsyncIterable<MediaCandidate>;
  onSaved?(candidate: MediaCandidate, ctx: SourceContext): Promise<void>;
  /** The origin its requests go to ('' for `urls`). */
  origin: string;
  /** Why it cannot run with this configuration, or null. */
  notConfigured: string | null;
  /** Whether source health (cool-down, outcomes) and the search cache apply: not for `urls`. */
  tracked: boolean;
}

/** What every source of one job shares. */
export interface JobRunShared {
  jobId: string;
  spec: JobSpec;
  config: Config;
  store: Store;
  http: HttpClient;
  /** The job's cancel; its reason ends the sources it cuts with error `Cancelled`. */
  signal: AbortSignal;
  emit: Emit;
  /** Writes a warning that is not a runner event (download log, structured log). */
  warn(message: string): void;
  /** Candidate ids seen in this run of the job (within-job de-duplication). */
  seenIds: Set<string>;
  /** Candidate ids of files saved by earlier runs of this job (resume, retry): already counted. */
  savedIds: ReadonlySet<string>;
  /** Content hashes of every file of the job. */
  seenSha: Set<string>;
  /** Every file of the job, in the order recorded (the job document's `results.files`). */
  files: SavedFile[];
}

/** Which query a source run searches, and what earlier runs of the job left of it. */
export interface QueryRun {
  /** The query's text. */
  query: string;
  /** The folder of the query under DOWNLOAD_DIR (`querySlug(query)`). */
  slug: string;
  /** Files of this source and query saved by earlier runs of the job (resume, retry). */
  savedBefore: number;
}

/** The page cap of a source: enough small pages for `limit` plus slack, never more than MAX_PAGES. */
export function maxPagesFor(limit: number): number {
  return Math.min(MAX_PAGES, Math.ceil(limit / SMALL_PAGE) + 2);
}

/**
 * Runs `source` and leaves its final stats in `stats` (which may hold an earlier run's figures:
 * a resumed or retried source continues towards the same limit). Never throws.
 */
export async function runSource(
  job: JobRunShared,
  source: RunnableSource,
  stats: SourceStats,
  queryRun: QueryRun,
  /** Records `stats` (the run's, and what they add up to) in the store. */
  save: () => Promise<void>,
): Promise<void> {
  const saveStats = (): Promise<void> =>
    save().catch((error: unknown) => {
      job.warn(`${source.id}: cannot record source stats: ${errorMessage(error)}`);
    });
  const { config, store, spec } = job;
  const id = source.id;
  const finishSkipped = async (reason: SourceFailure, retryAfter: string | null): Promise<void> => {
    skipSourceStats(stats, reason, retryAfter);
    stats.finished_at = new Date().toISOString();
    if (source.tracked) {
      await store
        .recordSourceOutcome({ source: id, ok: false, error: reason.error, durationMs: 0, downloaded: 0, downloadMs: 0, at: new Date(), skipped: true })
        .catch((error: unknown) => job.warn(`${id}: cannot record source health: ${errorMessage(error)}`));
    }
    await saveStats();
    job.emit({ type: 'source_finished', source: id, ...queryField(job, queryRun), stats: { ...stats } });
  };

  if (source.notConfigured !== null) return finishSkipped({ error: source.notConfigured, code: 'not_configured' }, null);
  if (source.tracked && !spec.options?.force) {
    try {
      const health = await store.getSourceHealth(id);
      if (health.cooling_until !== null && Date.parse(health.cooling_until) > Date.now()) {
        const until = new Date(health.cooling_until);
        const cooling = new CoolingDownError(id, until, health.consecutive_failures);
        return finishSkipped({ error: cooling.message, code: cooling.errorCode }, until.toISOString());
      }
    } catch (error) {
      job.warn(`${id}: cannot read source health: ${errorMessage(error)}`);
    }
  }

  const timeoutMs = sourceTimeoutMs(config, id);
  const startedMs = performance.now();
  const priorDurationMs = stats.duration_ms;
  stats.status = 'running';
  stats.error = null;
  stats.error_code = null;
  stats.success = false;
  stats.retry_after = null;
  stats.started_at ??= new Date().toISOString();
  stats.finished_at = null;
  await saveStats();
  job.emit({ type: 'source_started', source: id, ...queryField(job, queryRun), timeout_ms: timeoutMs });

  const deadline = sourceDeadline(job.signal, timeoutMs);
  let run: SourceRun | undefined;
  let crash: unknown = null;
  try {
    run = new SourceRun(job, source, stats, deadline.signal, queryRun);
    await run.execute();
  } catch (error) {
    // Only a bug gets here (everything expected is caught inside); it ends this source, not the job.
    crash = error;
  } finally {
    deadline.clear();
  }

  const signal = deadline.signal;
  let failure: SourceFailure | null = null;
  let cancelled = false;
  if (run?.abortedEarly) {
    cancelled = !(signal.reason instanceof SourceTimeoutError);
    failure = cancelled ? { error: CANCELLED_ERROR, code: 'cancelled' } : { error: errorMessage(signal.reason), code: 'timeout' };
  } else if (crash !== null || run?.sourceError) {
    const cause = crash ?? run!.sourceError;
    failure = { error: errorMessage(cause), code: sourceErrorCodeOf(cause) };
  } else if (run !== undefined && run.failures.size > 0 && stats.downloaded === 0) {
    failure = { error: everyDownloadFailedError(run.failures), code: 'downloads_failed' };
  }
  const error = failure?.error ?? null;
  const runMs = performance.now() - startedMs;
  stats.duration_ms = Math.round(priorDurationMs + runMs);
  stats.finished_at = new Date().toISOString();
  settleSourceStats(stats, failure);

  // A cancel is not the source's doing: it neither counts against nor for its health.
  if (source.tracked && !cancelled) {
    await store
      .recordSourceOutcome({
        source: id,
        ok: error === null,
        error,
        durationMs: runMs,
        downloaded: run?.savedThisRun ?? 0,
        downloadMs: run?.downloadMsThisRun ?? 0,
        at: new Date(),
      })
      .catch((e: unknown) => job.warn(`${id}: cannot record source health: ${errorMessage(e)}`));
  }
  await saveStats();
  job.emit({ type: 'source_finished', source: id, ...queryField(job, queryRun), stats: { ...stats } });
}

/** Events of a several-query job say which query a run searches. */
function queryField(job: JobRunShared, queryRun: QueryRun): { query?: string } {
  return job.spec.queries !== undefined && job.spec.queries.length > 1 ? { query: queryRun.query } : {};
}

/** The moving parts of one source's run. */
class SourceRun {
  sourceError: unknown = null;
  abortedEarly = false;
  /** Failed downloads of this run by cause (for "every download failed" and its commonest cause). */
  readonly failures: FailureCauses = new Map();
  savedThisRun = 0;
  downloadMsThisRun = 0;

  private readonly ctx: SourceContext;
  /** `ctx` without the search cache: after-save calls (Unsplash's download_location) must reach the service every time. */
  private readonly savedCtx: SourceContext;
  private readonly limit: number;
  private readonly directory: string;
  private readonly relativeDir: string;
  private iterator: AsyncIterator<MediaCandidate> | null = null;
  private pullChain: Promise<unknown> = Promise.resolve();
  private exhausted = false;
  /** Files saved (this run and earlier ones) plus downloads in flight: never above `limit`. */
  private saved: number;
  private reserved = 0;
  private readonly sink: MediaSink;
  private readonly onSavedCalls: Promise<void>[] = [];

  constructor(
    private readonly job: JobRunShared,
    private readonly source: RunnableSource,
    private readonly stats: SourceStats,
    private readonly signal: AbortSignal,
    private readonly queryRun: QueryRun,
  ) {
    const { config, spec } = job;
    this.limit = spec.limit;
    this.saved = queryRun.savedBefore;
    // Both parts are ours (a slug and a source id), but nothing may leave DOWNLOAD_DIR whatever they hold.
    this.directory = safeJoin(config.downloadDir, queryRun.slug, source.id);
    this.relativeDir = `${queryRun.slug}/${source.id}`;
    this.sink = localDirectorySink(this.directory, config.downloadDir);
    const direct: SourceHttp = bindSourceHttp(job.http, {
      signal,
      timeoutMs: config.requestTimeoutMs,
      retries: config.maxRetriesPerSource,
      onRetry: (info) => this.onRetry('search', info),
      sourceId: source.id,
      deadlineAt: Date.now() + sourceTimeoutMs(config, source.id),
    });
    let http = direct;
    if (source.tracked && !spec.options?.noCache) {
      http = createCachedSourceHttp(http, job.store, { sourceId: source.id, ttlMs: config.searchCacheTtlMs, signal });
    }
    this.ctx = {
      http,
      signal,
      config,
      origin: source.origin,
      maxPages: maxPagesFor(spec.limit),
      reportRateLimit: (remaining) => {
        stats.rate_limit_remaining = remaining;
      },
      reportPage: () => {
        stats.pages++;
      },
    };
    this.savedCtx = { ...this.ctx, http: direct };
  }

  async execute(): Promise<void> {
    const workers = Math.min(this.job.config.maxDownloadsPerSource, this.limit - this.saved);
    if (workers <= 0) return; // earlier runs of the job already saved this source's quota
    this.iterator = this.source.search({ text: this.queryRun.query, type: this.job.spec.type, limit: this.limit }, this.ctx)[
      Symbol.asyncIterator
    ]();
    const all = Promise.all(Array.from({ length: workers }, () => this.worker()));
    // Past the deadline, in-flight work gets a moment to remove its partial files; a source
    // that ignores its signal is then left behind rather than holding up the job.
    const grace = afterAbort(this.signal, ABORT_GRACE_MS);
    try {
      await Promise.race([all, grace.promise]);
      this.abortedEarly = this.signal.aborted;
      if (!this.signal.aborted) await Promise.race([Promise.all(this.onSavedCalls), grace.promise]);
    } finally {
      grace.dispose();
      // Stop the generator (limit reached, deadline): runs its `finally`, releases what it holds.
      this.iterator.return?.().catch(() => {});
    }
  }

  /** Pulls candidates and downloads them, one at a time, while the limit allows. */
  private async worker(): Promise<void> {
    // A slot is reserved before pulling, so saved + in flight never passes the limit. When a
    // download fails its worker frees the slot and pulls again; a worker that finds no free
    // slot ends, because only a failure (handled by its own worker) can free one.
    while (!this.signal.aborted && !this.exhausted && this.saved + this.reserved < this.limit) {
      this.reserved++;
      try {
        const candidate = await this.pull();
        if (candidate === null) return;
        await this.handle(candidate);
      } finally {
        this.reserved--;
      }
    }
  }

  /** The next candidate, one pull at a time; null when the source ended, failed or was cut. */
  private pull(): Promise<MediaCandidate | null> {
    const next = this.pullChain.then(async (): Promise<MediaCandidate | null> => {
      if (this.exhausted || this.signal.aborted) return null;
      try {
        const result = await raceSignal(this.iterator!.next(), this.signal);
        if (result.done) {
          this.exhausted = true;
          return null;
        }
        return result.value;
      } catch (error) {
        this.exhausted = true;
        if (!this.signal.aborted) this.sourceError = error;
        return null;
      }
    });
    this.pullChain = next.catch(() => {});
    return next;
  }

  private wants(kind: MediaKind): boolean {
    const type = this.job.spec.type;
    return type === 'any' || this.source.id === URLS_SOURCE || kind === type;
  }

  private async handle(candidate: MediaCandidate): Promise<void> {
    const { job, stats } = this;
    if (!this.wants(candidate.kind)) return;
    // Saved by an earlier run of this job (resume, retry): already counted there.
    if (job.savedIds.has(candidate.id)) return;
    stats.found++;
    job.emit({
      type: 'candidate_found',
      source: this.source.id,
      candidate_id: candidate.id,
      url: candidate.url,
      kind: candidate.kind,
      title: candidate.title ?? null,
      page_url: candidate.pageUrl ?? null,
      thumbnail_url: candidate.thumbnailUrl ?? null,
      width: candidate.width ?? null,
      height: candidate.height ?? null,
    });
    if (job.seenIds.has(candidate.id)) {
      stats.skipped_duplicates++;
      return;
    }
    job.seenIds.add(candidate.id);
    if (await this.archived({ candidateId: candidate.id })) {
      stats.skipped_existing++;
      return;
    }
    if (this.signal.aborted) return;
    await this.download(candidate);
  }

  /**
   * Whether another job already saved this (download archive), unless the job opted out. That
   * job is noted in the stats so the UI can say where the files already are.
   */
  private async archived(query: { candidateId?: string; sha256?: string }): Promise<boolean> {
    if (this.job.spec.options?.noArchive) return false;
    try {
      const earlier = await this.job.store.findArchived({ ...query, excludeJobId: this.job.jobId });
      if (earlier === null) return false;
      const jobs = this.stats.existing_jobs;
      if (!jobs.includes(earlier.job_id) && jobs.length < EXISTING_JOBS_MAX) jobs.push(earlier.job_id);
      return true;
    } catch (error) {
      this.job.warn(`${this.source.id}: cannot read the download archive: ${errorMessage(error)}`);
      return false;
    }
  }

  private async download(candidate: MediaCandidate): Promise<void> {
    const { job, stats, signal } = this;
    const { config } = job;
    const startedMs = performance.now();
    // Every `.part` is a pending file of the job until the download settles, so that after a
    // crash reconcile knows which partial files are this job's to delete.
    const pending: string[] = [];
    const sink: MediaSink = {
      open: async () => {
        const part = await this.sink.open();
        const path = `${this.relativeDir}/${basename(part.path)}`;
        try {
          await job.store.addPendingFile(job.jobId, path);
        } catch (error) {
          await part.discard();
          throw error;
        }
        pending.push(path);
        return part;
      },
    };
    // Why `commit` turned the file down (set inside the callback, read after the download).
    const discarded: { as: 'duplicate' | 'existing' } = { as: 'duplicate' };
    let recorded: SavedFile | null = null;
    try {
      const outcome = await downloadFile(job.http, {
        url: candidate.url,
        headers: candidate.headers,
        directory: this.directory,
        sink,
        // `urls` candidates are a guess from the extension: let the bytes decide.
        kind: this.source.id === URLS_SOURCE ? undefined : candidate.kind,
        signal,
        timeoutMs: config.downloadTimeoutMs,
        stallTimeoutMs: config.stallTimeoutMs,
        minBytesPerSecond: config.minDownloadSpeed,
        maxBytes: config.maxFileSizeBytes,
        retries: config.maxRetriesPerDownload,
        onRetry: (info) => this.onRetry('download', info),
        // Durability order: the file is recorded in the store BEFORE the downloader renames
        // `.part` into place. A crash between the two leaves a record whose file is missing
        // (only its `.part`, or nothing): reconcile drops such records and the `.part`, and
        // resume downloads the file again. The other order would leave a complete file on disk
        // that no record knows, which reconcile could only delete or leave unaccounted for.
        commit: async (info) => {
          if (job.seenSha.has(info.sha256)) return null;
          job.seenSha.add(info.sha256);
          if (await this.archived({ sha256: info.sha256 })) {
            discarded.as = 'existing';
            return null;
          }
          // The deadline may have fired while the archive was asked: do not record a file now.
          signal.throwIfAborted();
          const slug = this.queryRun.slug;
          const n = nextFileNumber(this.directory, slug, (k) => fileExists(this.directory, mediaFileName(slug, k, info.ext)));
          const fileName = mediaFileName(slug, n, info.ext);
          recorded = {
            path: `${this.relativeDir}/${fileName}`,
            query: this.queryRun.query,
            source: this.source.id,
            kind: info.kind,
            url: candidate.url,
            candidate_id: candidate.id,
            bytes: info.bytes,
            sha256: info.sha256,
            mime: info.mime,
            width: info.width ?? null,
            height: info.height ?? null,
            title: candidate.title ?? null,
            page_url: candidate.pageUrl ?? null,
            thumbnail_url: candidate.thumbnailUrl ?? null,
            author: candidate.author ?? null,
            license: candidate.license ?? null,
            license_url: candidate.licenseUrl ?? null,
            phash: null,
            duration_ms: Math.round(performance.now() - startedMs),
            saved_at: new Date().toISOString(),
          };
          await job.store.recordFile(job.jobId, recorded);
          // Listed in the order recorded, so the live document, the store's and the numbering agree.
          job.files.push(recorded);
          return fileName;
        },
      });
      if (outcome.status === 'duplicate') {
        if (discarded.as === 'existing') stats.skipped_existing++;
        else stats.skipped_duplicates++;
        return;
      }
      const file = recorded!;
      const index = job.files.indexOf(file);
      this.saved++;
      this.savedThisRun++;
      this.downloadMsThisRun += file.duration_ms;
      stats.downloaded++;
      if (file.kind === 'video') stats.videos++;
      else stats.images++;
      stats.bytes += file.bytes;
      job.emit({ type: 'file_saved', source: this.source.id, file, index });
      if (this.source.onSaved) this.onSavedCalls.push(this.callOnSaved(candidate));
    } catch (error) {
      if (recorded !== null) {
        // Recorded, then the rename failed or was cut: the record must not outlive the file.
        // (Rare: a name taken by another process meanwhile, a disk error. Files listed after
        // this one move up by one.)
        job.files.splice(job.files.indexOf(recorded), 1);
        const path = (recorded as SavedFile).path;
        await job.store.removeFiles(job.jobId, [path]).catch((e: unknown) => job.warn(`cannot unrecord ${path}: ${errorMessage(e)}`));
      }
      // Cut by the source's deadline or a cancel: not a failure of this download.
      if (signal.aborted || error instanceof CancelledError) return;
      const cause = errorMessage(error);
      countFailure(this.failures, cause);
      stats.failed_downloads++;
      job.emit({ type: 'file_failed', source: this.source.id, candidate_id: candidate.id, url: candidate.url, error: cause });
    } finally {
      // The `.part` is gone now (renamed into place or deleted by the downloader).
      for (const path of pending) {
        await job.store.removePendingFile(job.jobId, path).catch((e: unknown) => job.warn(`cannot clear pending ${path}: ${errorMessage(e)}`));
      }
    }
  }

  private async callOnSaved(candidate: MediaCandidate): Promise<void> {
    try {
      await this.source.onSaved!(candidate, this.savedCtx);
    } catch (error) {
      if (!this.signal.aborted) this.job.warn(`${this.source.id}: after-save call failed for ${candidate.id}: ${errorMessage(error)}`);
    }
  }

  private onRetry(phase: 'search' | 'download', info: { url: string; attempt: number; delayMs: number; error: Error }): void {
    this.stats.retries++;
    this.job.emit({
      type: 'retry',
      source: this.source.id,
      phase,
      url: info.url,
      attempt: info.attempt,
      delay_ms: Math.round(info.delayMs),
      error: errorMessage(info.error),
    });
  }
}
