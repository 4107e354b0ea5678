// Runner events: plain JSON objects, the same in the CLI, the API's event
// stream and (later) across processes. Every event has `type`, `job_id`, `ts`, `seq` and `run`.
import type { JobDocument, JobSourceName, MediaKind, MediaType, SavedFile, SourceStats } from './types.ts';

interface EventBase {
  job_id: string;
  /** ISO-8601 time the event happened. */
  ts: string;
  /** Position in the job's event history, from 1; stable across reconnects (SSE `id:`). */
  seq: number;
  /**
   * The run of the job this event belongs to: 1 for its first, then 2, 3… for each resume or
   * retry (each run ends with its own `job_finished`).
   */
  run: number;
}

export interface JobStartedEvent extends EventBase {
  type: 'job_started';
  query: string;
  /** Every query of the job, `query` first. */
  queries?: string[];
  sources: JobSourceName[];
  limit: number;
  media_type: MediaType;
  /** True when this run resumes or retries an earlier one of the same job. */
  resumed: boolean;
}
export interface SourceStartedEvent extends EventBase {
  type: 'source_started';
  source: JobSourceName;
  /** The query this run of the source searches (a job may have several). */
  query?: string;
  timeout_ms: number;
  /** The process running this run, `<host>:<pid>`. */
  worker?: string;
}
export interface CandidateFoundEvent extends EventBase {
  type: 'candidate_found';
  source: JobSourceName;
  candidate_id: string;
  url: string;
  kind: MediaKind;
  title: string | null;
  page_url: string | null;
  thumbnail_url: string | null;
  width: number | null;
  height: number | null;
}
export interface FileSavedEvent extends EventBase {
  type: 'file_saved';
  source: JobSourceName;
  file: SavedFile;
  /** Index of the file in the job document's `results.files`. */
  index: number;
}
export interface FileFailedEvent extends EventBase {
  type: 'file_failed';
  source: JobSourceName;
  candidate_id: string;
  url: string;
  error: string;
}
export interface RetryEvent extends EventBase {
  type: 'retry';
  source: JobSourceName;
  /** What was retried. */
  phase: 'search' | 'download';
  url: string;
  /** The attempt about to be made, from 2. */
  attempt: number;
  delay_ms: number;
  error: string;
}
export interface SourceFinishedEvent extends EventBase {
  type: 'source_finished';
  source: JobSourceName;
  /** The query of this run; `stats` are this run's (one source on one query). */
  query?: string;
  stats: SourceStats;
  /** The process that finished this run, `<host>:<pid>`. */
  worker?: string;
}
export interface JobFinishedEvent extends EventBase {
  type: 'job_finished';
  status: JobDocument['status'];
  job: JobDocument;
}

export type RunnerEvent =
  | JobStartedEvent
  | SourceStartedEvent
  | CandidateFoundEvent
  | FileSavedEvent
  | FileFailedEvent
  | RetryEvent
  | SourceFinishedEvent
  | JobFinishedEvent;

export type RunnerEventType = RunnerEvent['type'];

export const RUNNER_EVENT_TYPES: readonly RunnerEventType[] = [
  'job_started',
  'source_started',
  'candidate_found',
  'file_saved',
  'file_failed',
  'retry',
  'source_finished',
  'job_finished',
];

/** An event before the runner stamps it with `job_id`, `ts`, `seq` and `run`. */
export type EventInput = RunnerEvent extends infer E
  ? E extends RunnerEvent
    ? Omit<E, 'job_id' | 'ts' | 'seq' | 'run'>
    : never
  : never;

/** The run an event belongs to; events recorded before runs were numbered count as the first. */
export function runOf(event: Pick<RunnerEvent, 'run'> | { run?: number }): number {
  return typeof event.run === 'number' && event.run >= 1 ? event.run : 1;
}

export type EventListener = (event: RunnerEvent) => void;
