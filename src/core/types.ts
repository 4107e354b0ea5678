// Shared data types: what sources yield, what jobs produce, what faces show.
import type { SourceErrorCode } from './errors.ts';

/** Source ids are part of the API; the seed's five come first. */
export const SOURCE_IDS = [
  'google_images',
  'bing_images',
  'yandex_images',
  'unsplash',
  'pexels',
  'duckduckgo_images',
  'openverse',
  'wikimedia_commons',
  'pixabay',
  'nasa_images',
] as const;
export type SourceId = (typeof SOURCE_IDS)[number];

/** The pseudo-source of `harvester get`: a list of media URLs run through the same engine. */
export const URLS_SOURCE = 'urls';
/** Any name a job may list as a source. */
export type JobSourceName = SourceId | typeof URLS_SOURCE;

export type MediaKind = 'image' | 'video';
/** What a job asks for. */
export type MediaType = MediaKind | 'any';

/** One thing a source found: everything the runner needs to download and attribute it. */
export interface MediaCandidate {
  /** Stable id for de-duplication: `<source>:<native id>`. */
  id: string;
  source: JobSourceName;
  kind: MediaKind;
  /** The media file itself (absolute http(s) URL). */
  url: string;
  width?: number;
  height?: number;
  title?: string;
  /** The page the media is shown on (for attribution). */
  pageUrl?: string;
  thumbnailUrl?: string;
  author?: string;
  license?: string;
  licenseUrl?: string;
  /** MIME type the source claims, if any (the downloader still sniffs). */
  mime?: string;
  /** Size in bytes the source claims, if any. */
  bytes?: number;
  /** Headers the media host needs (e.g. a Referer). */
  headers?: Record<string, string>;
  /**
   * A URL the source's terms ask to be called once the file is saved (Unsplash's
   * `download_location`). The runner calls it through the source's `onSaved`.
   */
  trackUrl?: string;
}

/** Status of one source in one job. */
export const SOURCE_STATUSES = ['pending', 'running', 'ok', 'partial', 'failed', 'skipped'] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];
/** Status of a job. */
export const JOB_STATUSES = [
  'queued',
  'running',
  'completed',
  'partial',
  'failed',
  'cancelled',
  'interrupted',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** What a job asks for. */
export interface JobSpec {
  /** The first query (the only one of a one-query job). */
  query: string;
  /** Every query of the job in order, `query` first; absent on a one-query job. */
  queries?: string[];
  /** What a saved picture must satisfy; absent: no filter. */
  filters?: JobFilters;
  /** Keep images whose perceptual hash is near one already kept (search jobs). */
  keepNearDuplicates?: boolean;
  sources: JobSourceName[];
  /** Files saved per source (images and videos together). */
  limit: number;
  type: MediaType;
  /** For `harvester get`: the URLs of the pseudo-source `urls`. */
  urls?: string[];
  /** Options that change how the job treats history (archive, search cache). */
  options?: JobOptions;
}

/** The queries of a job, in order; `query` is the first. */
export function specQueries(spec: Pick<JobSpec, 'query' | 'queries'>): string[] {
  return spec.queries !== undefined && spec.queries.length > 0 ? spec.queries : [spec.query];
}

export const ORIENTATIONS = ['landscape', 'portrait', 'square'] as const;
export type Orientation = (typeof ORIENTATIONS)[number];
/** `open`: Creative Commons or public domain; `commercial`: licences that allow commercial use. */
export const LICENSE_FILTERS = ['any', 'open', 'commercial'] as const;
export type LicenseFilter = (typeof LICENSE_FILTERS)[number];

/** What a saved picture must satisfy (every field optional; `license` defaults to `any`). */
export interface JobFilters {
  min_width?: number;
  min_height?: number;
  orientation?: Orientation;
  license?: LicenseFilter;
}

/** Why a picture was filtered out: the filter it failed. */
export const FILTER_REASONS = ['min_width', 'min_height', 'orientation', 'license'] as const;
export type FilterReason = (typeof FILTER_REASONS)[number];
export type FilterCounts = Record<FilterReason, number>;

export function emptyFilterCounts(): FilterCounts {
  return { min_width: 0, min_height: 0, orientation: 0, license: 0 };
}

export interface JobOptions {
  /** Skip the download archive (re-download files earlier jobs saved). */
  noArchive?: boolean;
  /** Bypass the search cache. */
  noCache?: boolean;
  /** Ignore source cool-downs. */
  force?: boolean;
  /** Write a JSON sidecar per file. */
  writeMetadata?: boolean;
  /**
   * The absolute DOWNLOAD_DIR the job was started with. Set by the job service, never taken from
   * input: `resume` and `retry` put files back into the job's own folder whatever the current
   * DOWNLOAD_DIR or --out.
   */
  downloadDir?: string;
}

/** One saved file, as listed in the job document. */
export interface SavedFile {
  /** Path relative to DOWNLOAD_DIR, with forward slashes. */
  path: string;
  /** The query that found it. */
  query: string;
  source: JobSourceName;
  kind: MediaKind;
  url: string;
  /** The candidate's stable id (`<source>:<native id>`). */
  candidate_id: string;
  bytes: number;
  sha256: string;
  mime: string;
  width: number | null;
  height: number | null;
  title: string | null;
  page_url: string | null;
  thumbnail_url: string | null;
  author: string | null;
  license: string | null;
  license_url: string | null;
  /** 64-bit perceptual hash of an image, 16 hex digits; null for videos or when hashing is off. */
  phash: string | null;
  duration_ms: number;
  saved_at: string;
}

/** Per-source statistics (the seed's names plus what debugging needs). */
export interface SourceStats {
  status: SourceStatus;
  downloaded: number;
  images: number;
  videos: number;
  success: boolean;
  error: string | null;
  /** The kind of `error` (null when there is none): timeout, blocked, layout_changed, … */
  error_code: SourceErrorCode | null;
  /** Candidates the source yielded (after the media-type filter). */
  found: number;
  failed_downloads: number;
  /** Candidates dropped as duplicates within this job (same id or same content). */
  skipped_duplicates: number;
  /** Candidates skipped because an earlier job already saved them (download archive). */
  skipped_existing: number;
  /** Pictures a filter removed (before or after download), and which filter. */
  filtered: number;
  filtered_reasons: FilterCounts;
  /** Images dropped because the job already kept one within NEAR_DUPLICATE_DISTANCE. */
  near_duplicates: number;
  /** The earlier jobs whose download archive held those files (newest first seen, at most 20), so
   * an empty result can point at where the files already are. */
  existing_jobs: string[];
  bytes: number;
  duration_ms: number;
  retries: number;
  /** Search pages requested. */
  pages: number;
  started_at: string | null;
  finished_at: string | null;
  /** Last `X-Ratelimit-Remaining` the service reported, if any. */
  rate_limit_remaining: number | null;
  /** When a skipped (cooling) source will be tried again. */
  retry_after: string | null;
  /** The process (`<host>:<pid>`) that finished this source (its last run, with several queries). */
  worker: string | null;
  /** Every process that ran part of this source, in the order they started. */
  workers: string[];
}

/** The totals a job and each of its queries report. */
interface ResultTotals {
  downloaded: number;
  images: number;
  videos: number;
  /** Pictures the filters removed, in all (per filter in `filtered_reasons`). */
  filtered: number;
  filtered_reasons: FilterCounts;
  near_duplicates: number;
  /** Sources (of the job, or of this query's runs) that ended without error. */
  successful_sources: string[];
  failed_sources: string[];
}

/** One query's results in a job (`results.query_stats`, keyed by query text). */
export type QueryStats = ResultTotals;

export interface JobResults extends ResultTotals {
  /** Every process (`<host>:<pid>`) that ran part of the job. */
  workers?: string[];
  source_stats: Record<string, SourceStats>;
  query_stats: Record<string, QueryStats>;
  /** The job's files in the order saved; a paged document (the API's) lists only the first of them. */
  files: SavedFile[];
  /** How many files the job has, when `files` lists only the first of them (the API's document, `job_finished`). */
  files_total?: number;
}

/** Files the API's job document and the `job_finished` event list; the rest are paged. */
export const DOCUMENT_FILES_MAX = 100;

/** The job document: API `GET /api/jobs/:id`, CLI `--json`. */
export interface JobDocument {
  job_id: string;
  status: JobStatus;
  query: string;
  queries: string[];
  sources: JobSourceName[];
  limit: number;
  type: MediaType;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  results: JobResults;
}

/** A line of `harvester jobs --json` and `GET /api/jobs`. */
export interface JobSummary {
  job_id: string;
  status: JobStatus;
  query: string;
  sources: JobSourceName[];
  created_at: string;
  finished_at: string | null;
  downloaded: number;
}

/** What `sources --check` found for one source. */
export const SOURCE_CHECK_STATUSES = ['ok', 'layout_changed', 'blocked', 'unreachable', 'not_configured'] as const;
export type SourceCheckStatus = (typeof SOURCE_CHECK_STATUSES)[number];

/** One source's check: one small real search (its example query, one page). */
export interface SourceCheck {
  id: SourceId;
  status: SourceCheckStatus;
  /** Candidates the search yielded. */
  found: number;
  duration_ms: number;
  /** The evidence: what came (the first items), or what was expected and what came instead. */
  detail: string;
  checked_at: string;
}

export function emptySourceStats(): SourceStats {
  return {
    status: 'pending',
    downloaded: 0,
    images: 0,
    videos: 0,
    success: false,
    error: null,
    error_code: null,
    found: 0,
    failed_downloads: 0,
    skipped_duplicates: 0,
    skipped_existing: 0,
    filtered: 0,
    filtered_reasons: emptyFilterCounts(),
    near_duplicates: 0,
    existing_jobs: [],
    bytes: 0,
    duration_ms: 0,
    retries: 0,
    pages: 0,
    started_at: null,
    finished_at: null,
    rate_limit_remaining: null,
    retry_after: null,
    worker: null,
    workers: [],
  };
}
