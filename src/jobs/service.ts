// The runner's intake (docs/ARCHITECTURE.md, "Seams"): how a job reaches a runner. The CLI and the server both
// go through a JobService; a queue consumer can later hand jobs to one the same way.
import type { EventListener, RunnerEvent } from '../core/events.ts';
import type { JobDocument, JobSpec, JobSummary, SavedFile } from '../core/types.ts';
import type { JobListFilter } from '../store/store.ts';

export interface JobService {
  /** Validates and records a job, queues it (at most MAX_CONCURRENT_JOBS run at once) and returns its document (status `queued` or `running`). */
  submit(spec: JobSpec): Promise<JobDocument>;
  /**
   * Resolves with the final document when the job ends (completed, partial, failed, cancelled).
   * Every file is listed unless `files` caps the list, as for `get`.
   */
  wait(jobId: string, options?: { files?: number }): Promise<JobDocument>;
  /** Cancels a queued or running job: in-flight work is aborted, completed files are kept. Returns false when the job is not active. */
  cancel(jobId: string): Promise<boolean>;
  /** Resumes an `interrupted` (or cancelled) job: sources that had not ended run again; files already saved are kept and not downloaded again. */
  resume(jobId: string): Promise<JobDocument>;
  /** Reruns only the sources of an ended job whose `error` was set. */
  retry(jobId: string): Promise<JobDocument>;
  /**
   * The job document, or null. Every file is listed unless `files` caps the list (the API's
   * document): then only the first `files`, with `results.files_total`.
   */
  get(jobId: string, options?: { files?: number }): Promise<JobDocument | null>;
  /** One page of a job's files in the order saved, and how many it has now; null for an unknown job. */
  files(jobId: string, page: { offset: number; limit: number }): Promise<{ total: number; files: SavedFile[] } | null>;
  list(filter?: JobListFilter): Promise<JobSummary[]>;
  /** The job's past events after `afterSeq` (from the store). */
  history(jobId: string, afterSeq?: number): Promise<RunnerEvent[]>;
  /** Live events of every job; returns an unsubscribe function. */
  subscribe(listener: EventListener): () => void;
  /** Stops accepting jobs, cancels running ones within `drainMs`, marks them interrupted, and closes. */
  shutdown(options?: { drainMs?: number }): Promise<void>;
}
