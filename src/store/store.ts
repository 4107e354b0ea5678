// The Store seam: persistence as five narrow repositories — jobs, events, files (with the
// download archive and the in-flight list), the search cache and source health — so each caller
// depends on the one or two it uses. The store records what it is told and decides nothing: the
// cool-down schedule and which cached answers to drop are rules in src/jobs/source-health-rules.ts.
// SQLite (./sqlite-store.ts) and PostgreSQL (./pg-store.ts) implement it, one module per repository; every
// implementation must pass test/store/store-contract.test.ts (docs/ARCHITECTURE.md, "Seams").
import type { RunnerEvent } from '../core/events.ts';
import type { RunStats } from '../core/job-results.ts';
import type {
  JobDocument,
  JobSourceName,
  JobSpec,
  JobStatus,
  JobSummary,
  SavedFile,
  SourceCheck,
  SourceStats,
} from '../core/types.ts';

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

/**
 * What the store keeps about one source, exactly as the health rules computed it (the store
 * derives nothing from it). `cooling_until` may lie in the past.
 */
export interface SourceHealthRecord {
  source: string;
  runs: number;
  successes: number;
  /** Files saved over all runs, and the sum of their download times (ms). */
  downloaded: number;
  download_ms: number;
  consecutive_failures: number;
  last_error: string | null;
  last_error_at: string | null;
  last_run_at: string | null;
  cooling_until: string | null;
}

export interface JobRepository {
  /** Records a new job (status `queued` or `running`) with the spec it was asked with; this process becomes its owner. */
  create(job: JobDocument, spec: JobSpec): Promise<void>;
  /**
   * Updates a job's status and times (result totals are derived from its source stats and files).
   * Setting status `running` or `queued` makes this process the job's owner (resume, retry).
   * Rejects with NotFoundError for an unknown job.
   */
  update(
    jobId: string,
    patch: Partial<Pick<JobDocument, 'status' | 'started_at' | 'finished_at' | 'duration_ms'>>,
  ): Promise<void>;
  /**
   * Moves a job to `to` only if its status is one of `from`, atomically (across processes), and
   * makes this process its owner when `to` is `queued` or `running`. False when the job's status
   * was not one of `from` — e.g. two processes resuming the same job: exactly one gets true.
   * Rejects with NotFoundError for an unknown job.
   */
  transition(jobId: string, from: readonly JobStatus[], to: JobStatus): Promise<boolean>;
  /** Records (inserts or replaces) one source's stats in a job, as they change. */
  saveSourceStats(jobId: string, source: JobSourceName, stats: SourceStats): Promise<void>;
  /** Records (inserts or replaces) the stats of one source run (one source on one query) of a several-query job. */
  saveRunStats(jobId: string, run: RunStats): Promise<void>;
  /** Every recorded source run of a job, by query index then source. */
  listRunStats(jobId: string): Promise<RunStats[]>;
  /**
   * The job document (results derived by src/core/job-results.ts), or null. Every file is listed
   * unless `files` caps the list: then it lists the first `files` of them and carries
   * `results.files_total` (the totals still count every file).
   */
  get(jobId: string, options?: { files?: number }): Promise<JobDocument | null>;
  /** The spec a job was created with, or null. */
  getSpec(jobId: string): Promise<JobSpec | null>;
  /** Newest first (creation time, then insertion order), one page. */
  list(filter?: JobListFilter): Promise<JobSummary[]>;
  /**
   * Marks every `running` and `queued` job whose owning process is gone `interrupted` (a job owned
   * by a live process — another CLI, the server — is left alone); returns their ids. Called at
   * start-up. A queued job of a dead process can never start, so it is included unless
   * `includeQueued: false` (default true; a process killed between recording a job and starting
   * it leaves one).
   */
  markInterrupted(options?: { includeQueued?: boolean }): Promise<string[]>;
}

export interface EventRepository {
  /** Appends an event to the job's history (for SSE replay); a `seq` the job already has is a StoreError. */
  append(event: RunnerEvent): Promise<void>;
  /**
   * Appends an event at the next free `seq` of its job (the event's own `seq` is ignored) and
   * returns it as recorded: several writers of one job's history (processes of a cluster) never
   * get the same `seq`, and each job's history stays ordered without gaps they could cause.
   */
  appendNext(event: RunnerEvent): Promise<RunnerEvent>;
  /** The job's events with `seq` greater than `afterSeq`, in `seq` order. */
  list(jobId: string, afterSeq?: number): Promise<RunnerEvent[]>;
  /**
   * Deletes the events of every job created before `before` that is no longer queued or running
   * (history pruning: the job, its files and the archive stay). Returns the events deleted.
   */
  prune(before: Date): Promise<number>;
  /** The highest `seq` recorded for the job (0 when none), so a resumed run continues the numbering. */
  lastSeq(jobId: string): Promise<number>;
}

export interface FileRepository {
  /**
   * Records one saved file. The runner records it just BEFORE the downloader renames its `.part`
   * into place, so a crash in between leaves a record without its file, which
   * `reconcileJobFiles` (src/jobs/reconcile.ts) drops before a resume. Clears the file's pending row.
   */
  record(jobId: string, file: SavedFile): Promise<void>;
  /** Removes recorded files of a job (reconcile: rows whose file is gone). Returns rows removed. */
  remove(jobId: string, paths: string[]): Promise<number>;
  /** One page of a job's files, in the order recorded (the job document's `results.files`). */
  list(jobId: string, page: { offset: number; limit: number }): Promise<SavedFile[]>;
  /** How many files a job has recorded. */
  count(jobId: string): Promise<number>;
  /** Which of `paths` (relative to DOWNLOAD_DIR) any job has recorded. */
  recordedPaths(paths: string[]): Promise<string[]>;
  /**
   * Download archive: the newest recorded file with this candidate id or content hash (either
   * matches), or null. `excludeJobId` leaves out that job's own files (a job de-duplicates within
   * itself). The archive is what the store recorded (like gallery-dl's --download-archive): a
   * file deleted by hand stays archived until its job's rows are removed.
   */
  findArchived(query: { candidateId?: string; sha256?: string; excludeJobId?: string }): Promise<ArchivedFile | null>;
  /**
   * In-flight files (the crash window between download and record). Call `addPending` before
   * a download starts, with the path the file will get relative to DOWNLOAD_DIR — or that path
   * without its extension while the extension is still unknown (`nature/bing_images/nature_007`);
   * `record` of that file (same path, or same path minus extension) clears it, and
   * `removePending` clears it when the download is abandoned (its `.part` removed). After a
   * crash, `reconcileJobFiles` deletes whatever a job's pending rows name (`<path>`, `<path>.*`).
   */
  addPending(jobId: string, path: string): Promise<void>;
  removePending(jobId: string, path: string): Promise<void>;
  /** Pending files of one job, or of every job. */
  listPending(jobId?: string): Promise<PendingFile[]>;
}

export interface SearchCacheRepository {
  /** A cached answer for `key` stored at most `maxAgeMs` ago, or null. A hit is remembered (see `deleteSource`). */
  get(key: string, maxAgeMs: number): Promise<CachedPage | null>;
  put(key: string, page: CachedPage): Promise<void>;
  /** Drops a cached answer (one that no longer parses). */
  delete(key: string): Promise<void>;
  /** Drops the answers `source` stored, or that were served, at or after `sinceMs`; returns how many. */
  deleteSource(source: string, sinceMs: number): Promise<number>;
  /** Drops answers stored more than `maxAgeMs` ago; returns how many. */
  prune(maxAgeMs: number): Promise<number>;
}

export interface SourceHealthRepository {
  /**
   * Appends `outcome` to the history and, unless it was skipped, replaces the source's record
   * with `next(current)` — read and write in one transaction, so concurrent runs cannot lose a
   * count. `next` is the health rule (src/jobs/source-health-rules.ts); it must be pure.
   * Returns the record as stored.
   */
  recordOutcome(
    outcome: SourceOutcome,
    next: (current: SourceHealthRecord) => SourceHealthRecord,
  ): Promise<SourceHealthRecord>;
  /** The source's record (all zero when it never ran) with its last check. */
  get(source: string): Promise<{ record: SourceHealthRecord; lastCheck: SourceCheck | null }>;
  /** Every source with a record or a check, by source id. */
  list(): Promise<{ record: SourceHealthRecord; lastCheck: SourceCheck | null }[]>;
  /** Keeps a source's latest check (replacing the previous one). */
  recordCheck(check: SourceCheck): Promise<void>;
  /** Per-source outcomes over time (for /api/stats charts), newest last. */
  listOutcomes(options?: { since?: Date; source?: JobSourceName; limit?: number }): Promise<SourceOutcome[]>;
  /** Deletes the outcomes recorded before `before` (history pruning; the health records stay). Returns how many. */
  pruneOutcomes(before: Date): Promise<number>;
}

export interface Store {
  readonly jobs: JobRepository;
  readonly events: EventRepository;
  readonly files: FileRepository;
  readonly cache: SearchCacheRepository;
  readonly health: SourceHealthRepository;
  /** Flushes pending writes and closes the database. */
  close(): Promise<void>;
}

/** A health record of a source that never ran. */
export function emptyHealthRecord(source: string): SourceHealthRecord {
  return {
    source,
    runs: 0,
    successes: 0,
    downloaded: 0,
    download_ms: 0,
    consecutive_failures: 0,
    last_error: null,
    last_error_at: null,
    last_run_at: null,
    cooling_until: null,
  };
}
