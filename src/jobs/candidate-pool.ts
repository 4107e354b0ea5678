// The candidate pool of one source run: pulls from the source's iterator only as needed, keeps
// at most MAX_DOWNLOADS_PER_SOURCE downloads in flight and never more than the limit saved,
// applies the media-type filter and de-duplicates (within the job and against the download
// archive). Each candidate that passes is saved by ./save-candidate.ts.
import { errorMessage } from '../core/errors.ts';
import { countFailure, type FailureCauses } from '../core/job-results.ts';
import type { FilterReason, MediaCandidate, MediaKind, SourceStats } from '../core/types.ts';
import { URLS_SOURCE } from '../core/types.ts';
import { bindSourceHttp } from '../http/index.ts';
import type { SourceHttp } from '../http/types.ts';
import type { SourceContext } from '../sources/source.ts';
import { candidateFailure } from './filters.ts';
import { saveCandidate, type SaveOutcome, type SaveTarget } from './save-candidate.ts';
import { createCachedSourceHttp } from './search-cache.ts';
import { afterAbort, raceSignal, type Deadline } from './signals.ts';
import type { JobRunShared, QueryRun, RunnableSource } from './source-run-context.ts';

/** How long a source's in-flight work may take to wind down after its deadline or a cancel, ms. */
const ABORT_GRACE_MS = 1000;
/** Most search pages any source may request in one job. */
const MAX_PAGES = 20;
/** Candidates a small search page holds; sets the page cap with some slack for duplicates and failures. */
const SMALL_PAGE = 10;
/** Earlier jobs named in `existing_jobs`: enough to point at, small enough for every document. */
const EXISTING_JOBS_MAX = 20;

/** The page cap of a source: enough small pages for `limit` plus slack, never more than MAX_PAGES. */
export function maxPagesFor(limit: number): number {
  return Math.min(MAX_PAGES, Math.ceil(limit / SMALL_PAGE) + 2);
}

/** Pulls a source run's candidates and saves them, a bounded number at a time. */
export class CandidatePool {
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
  private readonly signal: AbortSignal;
  private readonly target: SaveTarget;
  private iterator: AsyncIterator<MediaCandidate> | null = null;
  private pullChain: Promise<unknown> = Promise.resolve();
  private exhausted = false;
  /** Files saved (this run and earlier ones) plus downloads in flight: never above `limit`. */
  private saved: number;
  private reserved = 0;
  private readonly onSavedCalls: Promise<void>[] = [];

  constructor(
    private readonly job: JobRunShared,
    private readonly source: RunnableSource,
    private readonly stats: SourceStats,
    deadline: Deadline,
    private readonly queryRun: QueryRun,
  ) {
    const { config, spec } = job;
    const signal = deadline.signal;
    this.signal = signal;
    this.limit = spec.limit;
    this.saved = queryRun.savedBefore;
    const relativeDir = `${queryRun.slug}/${source.id}`;
    this.target = {
      job,
      sourceId: source.id,
      queryRun,
      signal,
      relativeDir,
      sink: job.output.sink(relativeDir),
      archived: (query) => this.archived(query),
      onRetry: (info) => this.onRetry('download', info),
    };
    const direct: SourceHttp = bindSourceHttp(job.http, {
      signal,
      timeoutMs: config.requestTimeoutMs,
      retries: config.maxRetriesPerSource,
      onRetry: (info) => this.onRetry('search', info),
      sourceId: source.id,
      deadlineAt: deadline.deadlineAt,
    });
    let http = direct;
    if (source.tracked && !spec.options?.noCache) {
      http = createCachedSourceHttp(http, job.store.cache, {
        sourceId: source.id,
        ttlMs: config.searchCacheTtlMs,
        signal,
      });
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
    const found = this.source.search(
      { text: this.queryRun.query, type: this.job.spec.type, limit: this.limit },
      this.ctx,
    );
    this.iterator = found[Symbol.asyncIterator]();
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
    // What the candidate claims (licence, sizes) is checked before anything is downloaded.
    const failed = job.filters === null ? null : candidateFailure(job.filters, candidate);
    if (failed !== null) {
      countFiltered(stats, failed);
      return;
    }
    if (await this.archived({ candidateId: candidate.id })) {
      stats.skipped_existing++;
      return;
    }
    if (this.signal.aborted) return;
    // Thumbnail first: a copy of a picture the job has is not downloaded, and of the copies
    // known before download the best one is (./near-duplicates.ts).
    const copy = await job.nearDuplicates.enter(job.http, candidate, this.signal);
    if (copy === 'near_duplicate') {
      stats.near_duplicates++;
      return;
    }
    if (this.signal.aborted) return;
    if (copy === null) {
      await this.save(candidate, this.target);
      return;
    }
    try {
      for (;;) {
        const turn = await copy.turn(this.signal);
        if (turn === 'near_duplicate') stats.near_duplicates++;
        if (turn !== 'download') return;
        const status = await this.save(candidate, {
          ...this.target,
          signal: AbortSignal.any([this.signal, copy.signal]),
        });
        if (status === 'cut' && copy.superseded && !this.signal.aborted) {
          copy.settle('superseded');
          continue;
        }
        copy.settle(
          status === 'saved' || status === 'duplicate' || status === 'near_duplicate' ? 'has_picture' : 'not_saved',
        );
        return;
      }
    } finally {
      copy.drop();
    }
  }

  /**
   * Whether another job already saved this (download archive), unless the job opted out. That
   * job is noted in the stats so the UI can say where the files already are.
   */
  private async archived(query: { candidateId?: string; sha256?: string }): Promise<boolean> {
    if (this.job.spec.options?.noArchive) return false;
    try {
      const earlier = await this.job.store.files.findArchived({ ...query, excludeJobId: this.job.jobId });
      if (earlier === null) return false;
      const jobs = this.stats.existing_jobs;
      if (!jobs.includes(earlier.job_id) && jobs.length < EXISTING_JOBS_MAX) jobs.push(earlier.job_id);
      return true;
    } catch (error) {
      this.job.warn(`${this.source.id}: cannot read the download archive: ${errorMessage(error)}`);
      return false;
    }
  }

  /** Saves one candidate under `target` and counts how it ended; returns how. */
  private async save(candidate: MediaCandidate, target: SaveTarget): Promise<SaveOutcome['status']> {
    const outcome = await saveCandidate(target, candidate);
    this.count(candidate, outcome);
    return outcome.status;
  }

  private count(candidate: MediaCandidate, outcome: SaveOutcome): void {
    const { job, stats } = this;
    switch (outcome.status) {
      case 'saved': {
        const { file, index } = outcome;
        this.saved++;
        this.savedThisRun++;
        this.downloadMsThisRun += file.duration_ms;
        stats.downloaded++;
        if (file.kind === 'video') stats.videos++;
        else stats.images++;
        stats.bytes += file.bytes;
        job.emit({ type: 'file_saved', source: this.source.id, file, index });
        if (this.source.onSaved) this.onSavedCalls.push(this.callOnSaved(candidate));
        return;
      }
      case 'duplicate':
        stats.skipped_duplicates++;
        return;
      case 'existing':
        stats.skipped_existing++;
        return;
      case 'filtered':
        countFiltered(stats, outcome.reason);
        return;
      case 'near_duplicate':
        stats.near_duplicates++;
        return;
      case 'cut':
        return;
      case 'failed':
        countFailure(this.failures, outcome.error);
        stats.failed_downloads++;
        job.emit({
          type: 'file_failed',
          source: this.source.id,
          candidate_id: candidate.id,
          url: candidate.url,
          error: outcome.error,
        });
        return;
    }
  }

  private async callOnSaved(candidate: MediaCandidate): Promise<void> {
    try {
      await this.source.onSaved!(candidate, this.savedCtx);
    } catch (error) {
      if (!this.signal.aborted)
        this.job.warn(`${this.source.id}: after-save call failed for ${candidate.id}: ${errorMessage(error)}`);
    }
  }

  private onRetry(
    phase: 'search' | 'download',
    info: { url: string; attempt: number; delayMs: number; error: Error },
  ): void {
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

function countFiltered(stats: SourceStats, reason: FilterReason): void {
  stats.filtered++;
  stats.filtered_reasons[reason]++;
}
