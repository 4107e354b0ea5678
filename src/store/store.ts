// The Store seam (docs/ARCHITECTURE.md, "Seams"): everything jobs, source runs, files, the download archive, the
// search cache, source health and event history need, as async methods. SQLite implements
// it today (./sqlite-store.ts); PostgreSQL can implement it later without touching callers.
import type { RunnerEvent } from '../core/events.ts';
import type { RunStats } from '../core/job-results.ts';
import type { JobDocument, JobSourceName, JobSpec, JobStatus, JobSummary, SavedFile, SourceCheck, SourceStats } from '../core/types.ts';

export interface JobListFilter {
  status?: JobStatus;
  /** Page size (default 50). */
  limit?: number;
  offset?: number;
}

/** A file some job saved earlier: what the download archive knows. */
export interface ArchivedFile {
  job_id: string;
  path: string;
  candidate_id: string;
  sha256: string;
}

/** A file a job started downloading and has not recorded or abandoned yet. */
export interface PendingFile {
  job_id: string;
  path: string;
  created_at: string;
}

/** A cached search answer (only successful answers are ever stored). */
export interface CachedPage {
  status: number;
  url: string;
  headers: Record<string, string>;
  text: string;
  stored_at: string;
  /** The source that fetched it; lets a failed run of that source drop what it cached or used. */
  source?: string;
}

/** How one source run ended, for source health. */
export interface SourceOutcome {
  source: JobSourceName;
  /** False when the source's `error` was set. */
  ok: boolean;
  error: string | null;
  durationMs: number;
  downloaded: number;
  /** Sum of the saved files' download times, ms. */
  downloadMs: number;
  at: Date;
  /**
   * True for a run that did not happen (not configured, cooling down): recorded for history but
   * never counted as a run or a failure, so a cooling source does not extend its own cool-down.
   */
  skipped?: boolean;
}

/** Health of one source, for `harvester sources`, /api/sources and /api/stats. */
export interface SourceHealth {
  source: JobSourceName;
  runs: number;
  successes: number;
  /** successes / runs, or null with no runs. */
  success_rate: number | null;
  /** Average time per saved file, ms, or null. */
  avg_download_ms: number | null;
  consecutive_failures: number;
  /** The most recent error (kept after later successes, with its time, for debugging). */
  last_error: string | null;
  last_error_at: string | null;
  last_run_at: string | null;
  /** ISO time until which the source is skipped, or null. */
  cooling_until: string | null;
  /** The last `sources --check` of the source, or null when it was never checked. */
  last_check: SourceCheck | null;
}

export interface Store {
  /** Records a new job (status `queued` or `running`) with the spec it was asked with; this process becomes its owner. */
  createJob(job: JobDocument, spec: JobSpec): Promise<void>;
  /**
   * Updates a job's status and times (result totals are derived from its source stats and files).
   * Setting status `running` or `queued` makes this process the job's owner (resume, retry).
   * Rejects with NotFoundError for an unknown job.
   */
  updateJob(
    jobId: string,
    patch: Partial<Pick<JobDocument, 'status' | 'started_at' | 'finished_at' | 'duration_ms'>>,
  ): Promise<void>;
  /**
   * Moves a job to `to` only if its status is one of `from`, atomically (across processes), and
   * makes this process its owner when `to` is `queued` or `running`. False when the job's status
   * was not one of `from` — e.g. two processes resuming the same job: exactly one gets true.
   * Rejects with NotFoundError for an unknown job.
   */
  transitionJob(jobId: string, from: readonly JobStatus[], to: JobStatus): Promise<boolean>;
  /** Records (inserts or replaces) one source's stats in a job, as they change. */
  saveSourceStats(jobId: string, source: JobSourceName, stats: SourceStats): Promise<void>;
  /** Records (inserts or replaces) the stats of one source run (one source on one query) of a several-query job. */
  saveRunStats(jobId: string, run: RunStats): Promise<void>;
  /** Every recorded source run of a job, by query index then source. */
  listRunStats(jobId: string): Promise<RunStats[]>;
  /**
   * Records one saved file. The runner records it just BEFORE the downloader renames its `.part`
   * into place, so a crash in between leaves a record without its file, which
   * `reconcileJobFiles` (src/jobs/reconcile.ts) drops before a resume. Clears the file's pending row.
   */
  recordFile(jobId: string, file: SavedFile): Promise<void>;
  /** The whole job document, files included, or null. */
  getJob(jobId: string): Promise<JobDocument | null>;
  /** The spec a job was created with, or null. */
  getJobSpec(jobId: string): Promise<JobSpec | null>;
  listJobs(filter?: JobListFilter): Promise<JobSummary[]>;
  /**
   * Marks every `running` and `queued` job whose owning process is gone `interrupted` (a job owned
   * by a live process — another CLI, the server — is left alone); returns their ids. Called at
   * start-up. A queued job of a dead process can never start, so it is included unless
   * `includeQueued: false` (default true; a process killed between recording a job and starting
   * it leaves one).
   */
  markInterrupted(options?: { includeQueued?: boolean }): Promise<string[]>;

  /** Appends an event to the job's history (for SSE replay). */
  appendEvent(event: RunnerEvent): Promise<void>;
  /** The job's events with `seq` greater than `afterSeq`, in order. */
  listEvents(jobId: string, afterSeq?: number): Promise<RunnerEvent[]>;
  /** The highest `seq` recorded for the job (0 when none), so a resumed run continues the numbering. */
  lastEventSeq(jobId: string): Promise<number>;

  /**
   * Download archive: the newest recorded file with this candidate id or content hash (either
   * matches), or null. `excludeJobId` leaves out that job's own files (a job de-duplicates within
   * itself). The archive is what the store recorded (like gallery-dl's --download-archive): a
   * file deleted by hand stays archived until its job's rows are removed.
   */
  findArchived(query: { candidateId?: string; sha256?: string; excludeJobId?: string }): Promise<ArchivedFile | null>;
  /** Removes recorded files of a job (reconcile: rows whose file is gone). Returns rows removed. */
  removeFiles(jobId: string, paths: string[]): Promise<number>;
  /** Which of `paths` (relative to DOWNLOAD_DIR) any job has recorded. */
  recordedPaths(paths: string[]): Promise<string[]>;

  /**
   * In-flight files (the crash window between download and record). Call `addPendingFile` before
   * a download starts, with the path the file will get relative to DOWNLOAD_DIR — or that path
   * without its extension while the extension is still unknown (`nature/bing_images/nature_007`);
   * `recordFile` of that file (same path, or same path minus extension) clears it, and
   * `removePendingFile` clears it when the download is abandoned (its `.part` removed). After a
   * crash, `reconcileJobFiles` deletes whatever a job's pending rows name (`<path>`, `<path>.*`).
   */
  addPendingFile(jobId: string, path: string): Promise<void>;
  removePendingFile(jobId: string, path: string): Promise<void>;
  /** Pending files of one job, or of every job. */
  listPendingFiles(jobId?: string): Promise<PendingFile[]>;

  /** Search cache: a fresh cached answer for `key`, or null. A hit is remembered (see recordSourceOutcome). */
  getCachedPage(key: string, maxAgeMs: number): Promise<CachedPage | null>;
  putCachedPage(key: string, page: CachedPage): Promise<void>;
  /** Drops a cached answer (one that no longer parses). */
  deleteCachedPage(key: string): Promise<void>;

  /**
   * Source health: records how a run ended and updates the cool-down schedule. A failed
   * (not skipped) run also drops the search-cache answers of that source stored or served during
   * the run (`at - durationMs` to `at`): a page the source could not use must not be served again.
   */
  recordSourceOutcome(outcome: SourceOutcome): Promise<SourceHealth>;
  /** Keeps a source's latest check (replacing the previous one); health reads it back as `last_check`. */
  recordSourceCheck(check: SourceCheck): Promise<void>;
  getSourceHealth(source: JobSourceName): Promise<SourceHealth>;
  listSourceHealth(): Promise<SourceHealth[]>;
  /** Per-source outcomes over time (for /api/stats charts), newest last. */
  listOutcomes(options?: { since?: Date; source?: JobSourceName; limit?: number }): Promise<SourceOutcome[]>;

  /** Flushes pending writes and closes the database. */
  close(): Promise<void>;
}
