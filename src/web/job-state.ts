// The live job view's model: the job as its runner events describe it, folded one event at a
// time. Pure (no DOM), so the view can re-render only what an event changed.
import type { JobDocument, JobStatus, QueryStats, RunnerEvent, SavedFile, SourceStats } from './types.ts';

export type SourcePhase = 'pending' | 'running' | 'ok' | 'partial' | 'failed' | 'skipped' | 'timeout' | 'cancelled';

export interface SourceView {
  id: string;
  phase: SourcePhase;
  found: number;
  downloaded: number;
  failed: number;
  retries: number;
  error: string | null;
  /** When the source started (ms since epoch), for its deadline bar. */
  startedAtMs: number | null;
  timeoutMs: number | null;
  stats: SourceStats | null;
}

export interface ActivityItem {
  seq: number;
  ts: string;
  source: string;
  kind: 'failed' | 'retry' | 'source_error' | 'source_done';
  text: string;
  url: string | null;
}

export interface JobState {
  jobId: string;
  query: string;
  /** Every query of the job, in order (one for a one-query job). */
  queries: string[];
  /** Per-query results, as the last document fetched gave them. */
  queryStats: Record<string, QueryStats>;
  status: JobStatus;
  limit: number;
  mediaType: string;
  sources: Map<string, SourceView>;
  /** Saved files by their index in the job document. */
  files: Map<number, SavedFile>;
  activity: ActivityItem[];
  lastSeq: number;
  startedAt: string | null;
  finishedAt: string | null;
  finished: boolean;
}

/** What one event changed, so the view redraws only that. */
export interface Change {
  header?: boolean;
  source?: string;
  allSources?: boolean;
  files?: number[];
  activity?: boolean;
  finished?: boolean;
}

const ACTIVITY_MAX = 40;

function emptySource(id: string): SourceView {
  return {
    id,
    phase: 'pending',
    found: 0,
    downloaded: 0,
    failed: 0,
    retries: 0,
    error: null,
    startedAtMs: null,
    timeoutMs: null,
    stats: null,
  };
}

export function phaseOf(stats: SourceStats): SourcePhase {
  if (stats.error_code === 'timeout') return 'timeout';
  if (stats.error_code === 'cancelled') return 'cancelled';
  return stats.status;
}

/** The state of a job known only by its document (before or without events). */
export function stateFromDocument(doc: JobDocument): JobState {
  const state: JobState = {
    jobId: doc.job_id,
    query: doc.query,
    queries: doc.queries ?? [doc.query],
    queryStats: doc.results.query_stats ?? {},
    status: doc.status,
    limit: doc.limit,
    mediaType: doc.type,
    sources: new Map(),
    files: new Map(),
    activity: [],
    lastSeq: 0,
    startedAt: doc.started_at,
    finishedAt: doc.finished_at,
    finished: false,
  };
  for (const id of doc.sources) state.sources.set(id, emptySource(id));
  return state;
}

/** Takes one page of the job's files, listed from `offset`; returns the indexes new to the state. */
export function applyFiles(state: JobState, offset: number, files: readonly SavedFile[]): number[] {
  const added: number[] = [];
  files.forEach((file, i) => {
    if (!state.files.has(offset + i)) added.push(offset + i);
    state.files.set(offset + i, file);
  });
  return added;
}

/** Takes every figure from a job document (a `job_finished` carries the final one). */
export function applyDocument(state: JobState, doc: JobDocument): Change {
  state.status = doc.status;
  state.queryStats = doc.results.query_stats ?? state.queryStats;
  state.startedAt = doc.started_at;
  state.finishedAt = doc.finished_at;
  const added = applyFiles(state, 0, doc.results.files);
  for (const id of doc.sources) {
    const view = state.sources.get(id) ?? emptySource(id);
    const stats = doc.results.source_stats[id];
    if (stats) {
      view.stats = stats;
      if (stats.status !== 'pending' && stats.status !== 'running') view.phase = phaseOf(stats);
      view.downloaded = stats.downloaded;
      view.found = Math.max(view.found, stats.found);
      view.failed = stats.failed_downloads;
      view.retries = stats.retries;
      view.error = stats.error;
    }
    state.sources.set(id, view);
  }
  return { header: true, allSources: true, files: added };
}

function note(state: JobState, item: ActivityItem): void {
  state.activity.unshift(item);
  if (state.activity.length > ACTIVITY_MAX) state.activity.length = ACTIVITY_MAX;
}

function sourceView(state: JobState, id: string): SourceView {
  let view = state.sources.get(id);
  if (!view) {
    view = emptySource(id);
    state.sources.set(id, view);
  }
  return view;
}

/** Folds one event into `state`; events at or below `lastSeq` are ignored (a replay). */
export function applyEvent(state: JobState, event: RunnerEvent): Change | null {
  if (event.seq <= state.lastSeq) return null;
  state.lastSeq = event.seq;
  switch (event.type) {
    case 'job_started':
      // A retry or resume appends a new run after an earlier `job_finished`.
      state.finished = false;
      state.status = 'running';
      state.query = event.query;
      state.limit = event.limit;
      state.mediaType = event.media_type;
      state.startedAt ??= event.ts;
      for (const id of event.sources) sourceView(state, id);
      return { header: true, allSources: true };
    case 'source_started': {
      const view = sourceView(state, event.source);
      view.phase = 'running';
      view.error = null;
      view.startedAtMs = Date.parse(event.ts);
      view.timeoutMs = event.timeout_ms;
      return { source: event.source };
    }
    case 'candidate_found':
      sourceView(state, event.source).found += 1;
      return { source: event.source };
    case 'file_saved': {
      const view = sourceView(state, event.source);
      view.downloaded += 1;
      state.files.set(event.index, event.file);
      return { source: event.source, files: [event.index], header: true };
    }
    case 'file_failed':
      sourceView(state, event.source).failed += 1;
      note(state, {
        seq: event.seq,
        ts: event.ts,
        source: event.source,
        kind: 'failed',
        text: event.error,
        url: event.url,
      });
      return { source: event.source, activity: true };
    case 'retry':
      sourceView(state, event.source).retries += 1;
      note(state, {
        seq: event.seq,
        ts: event.ts,
        source: event.source,
        kind: 'retry',
        text: `${event.phase} attempt ${event.attempt} after ${event.error}`,
        url: event.url,
      });
      return { source: event.source, activity: true };
    case 'source_finished': {
      const view = sourceView(state, event.source);
      view.stats = event.stats;
      view.phase = phaseOf(event.stats);
      view.downloaded = event.stats.downloaded;
      view.found = Math.max(view.found, event.stats.found);
      view.failed = event.stats.failed_downloads;
      view.retries = event.stats.retries;
      view.error = event.stats.error;
      note(state, {
        seq: event.seq,
        ts: event.ts,
        source: event.source,
        kind: event.stats.error ? 'source_error' : 'source_done',
        text: event.stats.error ?? `finished: ${event.stats.downloaded} saved`,
        url: null,
      });
      return { source: event.source, activity: true, header: true };
    }
    case 'job_finished': {
      const change = applyDocument(state, event.job);
      state.status = event.status;
      state.finished = true;
      return { ...change, finished: true };
    }
    default:
      return null;
  }
}

export { isActiveStatus as isActive } from '../core/job-actions.ts';
