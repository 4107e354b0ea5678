// Rows ↔ documents, the same for every Store implementation (SQLite and PostgreSQL keep the same
// tables and columns): how a job document, a summary, a run, a cached page, a check and a source
// outcome are read back from their rows. Only the SQL differs between implementations.
import type { RunnerEvent } from '../core/events.ts';
import { jobResults, queryStatsOf, singleQueryRuns, type FileCounts, type RunStats } from '../core/job-results.ts';
import {
  emptySourceStats,
  type JobDocument,
  type JobSourceName,
  type JobStatus,
  type JobSummary,
  type SavedFile,
  type SourceCheck,
  type SourceStats,
} from '../core/types.ts';
import type { CachedPage, JobListFilter, SourceOutcome } from './store.ts';

/** Statuses of a job that a live process owns (it heartbeats them; markInterrupted may take them). */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running'];

/** The columns of a job row a document is built from. */
export interface JobRow {
  job_id: string;
  status: JobStatus;
  query: string;
  sources: string;
  limit_per_source: number;
  media_type: JobDocument['type'];
  queries: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

export interface StatsRow {
  source: string;
  stats: string;
}

export interface RunRow {
  query_index: number;
  source: string;
  stats: string;
}

/** The `queries` column: every query of a several-query job, null for a one-query job. */
export function queriesColumn(job: JobDocument): string | null {
  return (job.queries?.length ?? 0) > 1 ? JSON.stringify(job.queries) : null;
}

function parseStats(json: string): SourceStats {
  return { ...emptySourceStats(), ...(JSON.parse(json) as Partial<SourceStats>) };
}

export function runStatsOf(rows: readonly RunRow[]): RunStats[] {
  return rows.map((r) => ({ query: r.query_index, source: r.source, stats: parseStats(r.stats) }));
}

/** Whether a job's document needs its query_runs rows (a one-query job's runs are its source stats). */
export function hasSeveralQueries(row: Pick<JobRow, 'queries'>): boolean {
  return row.queries !== null && (JSON.parse(row.queries) as string[]).length > 1;
}

/**
 * The job document from its row, its source stats rows, its files (in saving order) and, for a
 * several-query job, its run rows. With `counts`, `files` is the first page of the job's files and
 * `counts` counts all of them. Results come from the shared rules.
 */
export function jobDocumentOf(
  row: JobRow,
  statsRows: readonly StatsRow[],
  files: SavedFile[],
  runRows: readonly RunRow[],
  counts?: FileCounts,
): JobDocument {
  const sources = JSON.parse(row.sources) as JobSourceName[];
  const recorded = new Map(statsRows.map((r) => [r.source, parseStats(r.stats)]));
  const names = [...sources, ...[...recorded.keys()].filter((s) => !sources.includes(s as JobSourceName))];
  const sourceStats: Record<string, SourceStats> = {};
  for (const name of names) sourceStats[name] = recorded.get(name) ?? emptySourceStats();
  const queries = row.queries === null ? [row.query] : (JSON.parse(row.queries) as string[]);
  const runs = queries.length > 1 ? runStatsOf(runRows) : singleQueryRuns(sourceStats);
  return {
    job_id: row.job_id,
    status: row.status,
    query: row.query,
    sources,
    queries,
    limit: row.limit_per_source,
    type: row.media_type,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    duration_ms: row.duration_ms,
    results: jobResults(sourceStats, names, files, queryStatsOf(queries, runs), counts),
  };
}

/** The columns of a file row a saved file is read back from (`bytes` as a number). */
export interface FileRow {
  path: string;
  source: string;
  kind: string;
  candidate_id: string;
  sha256: string;
  bytes: number;
  saved_at: string;
  /** The rest of the file entry (JSON, null fields left out); rows recorded before v5 hold the whole entry. */
  doc: string;
  query: string | null;
  phash: string | null;
}

/** The file columns every file read selects (the `doc` of a row holds only the rest). */
export const FILE_COLUMNS = 'path, source, kind, candidate_id, sha256, bytes, saved_at, doc, query, phash';

/**
 * The fields of a file entry kept in `doc` (the others are columns), in the order of the stored
 * array: `[url, mime, duration_ms, width, height, title, page_url, thumbnail_url, author,
 * license, license_url]`, trailing nulls left out.
 */
const DOC_FIELDS = [
  'url',
  'mime',
  'duration_ms',
  'width',
  'height',
  'title',
  'page_url',
  'thumbnail_url',
  'author',
  'license',
  'license_url',
] as const;

/**
 * A saved file from its row, its fields in the order the runner builds them. `doc` is the array
 * `fileDoc` wrote or, in rows recorded before v5, the whole entry as an object. Files recorded
 * before jobs had several queries belong to the job's one query (`jobQuery`, asked only for them).
 */
export function savedFileOf(row: FileRow, jobQuery: () => string): SavedFile {
  const parsed = JSON.parse(row.doc) as unknown[] | Partial<SavedFile>;
  const d: Partial<SavedFile> = Array.isArray(parsed)
    ? Object.fromEntries(DOC_FIELDS.map((key, i) => [key, parsed[i] ?? null]))
    : parsed;
  return {
    path: row.path,
    query: row.query ?? d.query ?? jobQuery(),
    source: row.source as JobSourceName,
    kind: row.kind as SavedFile['kind'],
    url: d.url!,
    candidate_id: row.candidate_id,
    bytes: Number(row.bytes),
    sha256: row.sha256,
    mime: d.mime!,
    width: d.width ?? null,
    height: d.height ?? null,
    title: d.title ?? null,
    page_url: d.page_url ?? null,
    thumbnail_url: d.thumbnail_url ?? null,
    author: d.author ?? null,
    license: d.license ?? null,
    license_url: d.license_url ?? null,
    phash: row.phash ?? d.phash ?? null,
    duration_ms: d.duration_ms!,
    saved_at: row.saved_at,
  };
}

/** `doc` of a file row: the fields that are not columns, by position (no names), trailing nulls left out. */
function fileDoc(f: SavedFile): string {
  const values: unknown[] = DOC_FIELDS.map((key) => f[key] ?? null);
  while (values.length > 0 && values.at(-1) === null) values.pop();
  return JSON.stringify(values);
}

export type SummaryRow = Omit<JobSummary, 'sources'> & { sources: string };

export function jobSummaryOf(r: SummaryRow): JobSummary {
  return {
    job_id: r.job_id,
    status: r.status,
    query: r.query,
    sources: JSON.parse(r.sources) as JobSourceName[],
    created_at: r.created_at,
    finished_at: r.finished_at,
    downloaded: r.downloaded,
  };
}

/** One page of a job list: limit 1–10000 (default 50), offset ≥ 0. */
export function listPage(filter: JobListFilter): { limit: number; offset: number } {
  return {
    limit: clampInt(filter.limit ?? 50, 1, 10_000),
    offset: clampInt(filter.offset ?? 0, 0, Number.MAX_SAFE_INTEGER),
  };
}

/** How many outcomes `listOutcomes` returns: 1–100000 (default 1000). */
export function outcomeLimit(limit: number | undefined): number {
  return clampInt(limit ?? 1000, 1, 100_000);
}

function clampInt(n: number, min: number, max: number): number {
  if (!Number.isFinite(n)) return min;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}

/**
 * The values of a source_outcomes row, in column order: source, ok (1 ok, 0 failed, -1 skipped:
 * recorded, never counted), error, duration_ms, downloaded, download_ms, at, at_ms.
 */
export function outcomeValues(outcome: SourceOutcome): unknown[] {
  return [
    outcome.source,
    outcome.skipped ? -1 : outcome.ok ? 1 : 0,
    outcome.error,
    Math.round(outcome.durationMs),
    outcome.downloaded,
    Math.round(outcome.downloadMs),
    outcome.at.toISOString(),
    outcome.at.getTime(),
  ];
}

export interface OutcomeRow {
  source: string;
  ok: number;
  error: string | null;
  duration_ms: number;
  downloaded: number;
  download_ms: number;
  at: string;
}

export function outcomeOf(r: OutcomeRow): SourceOutcome {
  const outcome: SourceOutcome = {
    source: r.source as JobSourceName,
    ok: r.ok === 1,
    error: r.error,
    durationMs: r.duration_ms,
    downloaded: r.downloaded,
    downloadMs: r.download_ms,
    at: new Date(r.at),
  };
  if (r.ok === -1) outcome.skipped = true;
  return outcome;
}

export interface CheckRow {
  source: string;
  status: SourceCheck['status'];
  found: number;
  duration_ms: number;
  detail: string;
  checked_at: string;
}

export function checkOf(row: CheckRow): SourceCheck {
  return {
    id: row.source as SourceCheck['id'],
    status: row.status,
    found: row.found,
    duration_ms: row.duration_ms,
    detail: row.detail,
    checked_at: row.checked_at,
  };
}

export type CacheRow = Omit<CachedPage, 'headers' | 'source'> & { headers: string; source: string | null };

export function cachedPageOf(row: CacheRow): CachedPage {
  const page: CachedPage = {
    status: row.status,
    url: row.url,
    headers: JSON.parse(row.headers) as Record<string, string>,
    text: row.text,
    stored_at: row.stored_at,
  };
  if (row.source !== null) page.source = row.source;
  return page;
}

/**
 * The values of a search_cache row, in column order: key, status, url, headers, text, stored_at,
 * stored_ms (its `stored_at`, or now when that does not parse), source.
 */
export function cacheValues(key: string, page: CachedPage, nowMs: number): unknown[] {
  const ms = Date.parse(page.stored_at);
  return [
    key,
    page.status,
    page.url,
    JSON.stringify(page.headers),
    page.text,
    page.stored_at,
    Number.isFinite(ms) ? ms : nowMs,
    page.source ?? null,
  ];
}

/** The columns of a file row: each field once, `doc` holding those that are not columns. */
export function fileColumns(f: SavedFile): FileRow {
  return {
    path: f.path,
    source: f.source,
    kind: f.kind,
    candidate_id: f.candidate_id,
    sha256: f.sha256,
    bytes: f.bytes,
    saved_at: f.saved_at,
    doc: fileDoc(f),
    query: f.query ?? null,
    phash: f.phash ?? null,
  };
}

/** `a/b/name.jpg` → `a/b/name` (a pending row may name a file before its extension is known). */
export function withoutExtension(path: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? path.slice(0, dot) : path;
}

/**
 * An event row, with the columns of the file a `file_saved` event references (`file_id`, null
 * when the event holds its file itself or is of another type).
 */
export interface EventRow extends Partial<Omit<FileRow, 'doc'>> {
  job_id: string;
  seq: number;
  type: string;
  data: string;
  file_id: number | string | null;
  /** The referenced file's `doc` (null when there is none). */
  file_doc?: string | null;
}

/** `candidate_found` fields in their order; those that may be null are left out of the stored `data`. */
const CANDIDATE_FIELDS = [
  'source',
  'candidate_id',
  'url',
  'kind',
  'title',
  'page_url',
  'thumbnail_url',
  'width',
  'height',
];
const CANDIDATE_NULLABLE = new Set(['title', 'page_url', 'thumbnail_url', 'width', 'height']);

/**
 * The `data` of an event row: the event without what its columns hold (`job_id`, `seq`, `type`),
 * without its file when the row references the file's row (`referencesFile`), a
 * `candidate_found` without its null fields, its time in ms since the epoch and its run left out
 * when it is the first. `eventOf` gives back the event as it was.
 */
export function eventData(event: RunnerEvent, referencesFile: boolean): string {
  const { type, job_id: _job, seq: _seq, ...fields } = event;
  const rest = fields as Record<string, unknown>;
  if (referencesFile && type === 'file_saved') delete rest.file;
  if (type === 'candidate_found') for (const key of CANDIDATE_NULLABLE) if (rest[key] === null) delete rest[key];
  // The time as a number when that number gives back the same text (the runner's `toISOString()`).
  const ms = Date.parse(event.ts);
  if (Number.isFinite(ms) && new Date(ms).toISOString() === event.ts) rest.ts = ms;
  if (rest.run === 1) delete rest.run;
  return JSON.stringify(rest);
}

/** The event of a row written by `eventData` (or, from before v5, holding the whole event). */
export function eventOf(row: EventRow): RunnerEvent {
  const data = JSON.parse(row.data) as Record<string, unknown>;
  if (typeof data.job_id === 'string') return data as unknown as RunnerEvent;
  const { ts, run, ...fields } = data;
  const event: Record<string, unknown> = { type: row.type };
  if (row.type === 'candidate_found') {
    for (const key of CANDIDATE_FIELDS) event[key] = fields[key] ?? (CANDIDATE_NULLABLE.has(key) ? null : undefined);
  } else if (row.file_id !== null && row.file_doc != null) {
    event.source = fields.source;
    event.file = savedFileOf({ ...(row as unknown as FileRow), doc: row.file_doc }, () => '');
  }
  Object.assign(event, fields, {
    job_id: row.job_id,
    ts: typeof ts === 'number' ? new Date(ts).toISOString() : ts,
    seq: Number(row.seq),
  });
  event.run = run ?? 1;
  return event as unknown as RunnerEvent;
}
