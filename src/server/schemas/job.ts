// JSON Schemas of the job resources: the request of POST /api/jobs and the job document,
// summaries and links in answers. Response schemas list the contract's fields
// (src/core/types.ts) and let further fields through, so a field the runner adds later is
// serialised rather than silently dropped.
import { SOURCE_ERROR_CODES } from '../../core/errors.ts';
import {
  DEFAULT_LIMIT,
  MAX_DIMENSION,
  MAX_LIMIT,
  MAX_QUERIES,
  MAX_QUERY_LENGTH,
  MEDIA_TYPES,
  MIN_LIMIT,
} from '../../core/spec-rules.ts';
import { JOB_STATUSES, LICENSE_FILTERS, ORIENTATIONS, SOURCE_IDS, SOURCE_STATUSES } from '../../core/types.ts';

const queryText = {
  type: 'string',
  minLength: 1,
  maxLength: MAX_QUERY_LENGTH,
  // At least one non-space character: a query of blanks is no query.
  pattern: '\\S',
} as const;

export const createJobBody = {
  type: 'object',
  additionalProperties: false,
  description: 'Give `query` or `queries` (or both, `query` then being the first of `queries`).',
  properties: {
    query: { ...queryText, description: `What to search for, 1–${MAX_QUERY_LENGTH} characters (trimmed)` },
    queries: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_QUERIES,
      items: queryText,
      description: `Several queries (1–${MAX_QUERIES}) in one job: every source runs each; duplicates are dropped`,
    },
    filters: {
      type: 'object',
      additionalProperties: false,
      properties: {
        min_width: { type: 'integer', minimum: 1, maximum: MAX_DIMENSION, description: 'Pixels' },
        min_height: { type: 'integer', minimum: 1, maximum: MAX_DIMENSION, description: 'Pixels' },
        orientation: {
          type: 'string',
          enum: [...ORIENTATIONS],
          description: 'square: the sides differ by at most 1% of the longer one',
        },
        license: {
          type: 'string',
          enum: [...LICENSE_FILTERS],
          description: 'open: Creative Commons or public domain; commercial: allows commercial use',
        },
      },
      description:
        "What a saved picture must satisfy: checked on the candidate's claims before download, then on an image file's real dimensions (a file that fails is deleted and counted filtered). A video's size is known only from the source's claim. open and commercial exclude candidates without licence information",
    },
    keep_near_duplicates: {
      type: 'boolean',
      description:
        'Keep images that look the same as one already kept (by default an image within NEAR_DUPLICATE_DISTANCE of a kept one is deleted and counted near_duplicates)',
    },
    sources: {
      type: 'array',
      minItems: 1,
      maxItems: SOURCE_IDS.length,
      uniqueItems: true,
      items: { type: 'string', enum: [...SOURCE_IDS] },
      description: 'Source ids; default: every configured source',
    },
    limit: {
      type: 'integer',
      minimum: MIN_LIMIT,
      maximum: MAX_LIMIT,
      default: DEFAULT_LIMIT,
      description: 'Files saved per source',
    },
    type: { type: 'string', enum: [...MEDIA_TYPES], default: 'image', description: 'Media type wanted' },
  },
} as const;

const nullableString = { type: ['string', 'null'] } as const;
const nullableInteger = { type: ['integer', 'null'] } as const;

export const savedFileSchema = {
  $id: 'SavedFile',
  type: 'object',
  additionalProperties: true,
  // Every field of SavedFile, in the contract's order (the serializer writes required fields first).
  required: [
    'path',
    'query',
    'source',
    'kind',
    'url',
    'candidate_id',
    'bytes',
    'sha256',
    'mime',
    'width',
    'height',
    'title',
    'page_url',
    'thumbnail_url',
    'author',
    'license',
    'license_url',
    'phash',
    'duration_ms',
    'saved_at',
  ],
  properties: {
    path: { type: 'string', description: 'Relative to DOWNLOAD_DIR' },
    query: { type: 'string', description: 'The query that found it' },
    source: { type: 'string' },
    kind: { type: 'string', enum: ['image', 'video'] },
    url: { type: 'string' },
    candidate_id: { type: 'string' },
    bytes: { type: 'integer' },
    sha256: { type: 'string' },
    mime: { type: 'string' },
    width: nullableInteger,
    height: nullableInteger,
    title: nullableString,
    page_url: nullableString,
    thumbnail_url: nullableString,
    author: nullableString,
    license: nullableString,
    license_url: nullableString,
    phash: { type: ['string', 'null'], description: '64-bit perceptual hash of an image, 16 hex digits' },
    duration_ms: { type: 'number' },
    saved_at: { type: 'string' },
  },
} as const;

export const filterCountsSchema = {
  $id: 'FilterCounts',
  type: 'object',
  additionalProperties: true,
  required: ['min_width', 'min_height', 'orientation', 'license'],
  properties: {
    min_width: { type: 'integer', description: 'Narrower than filters.min_width (claimed or real)' },
    min_height: { type: 'integer', description: 'Lower than filters.min_height (claimed or real)' },
    orientation: { type: 'integer', description: 'Not of filters.orientation' },
    license: { type: 'integer', description: 'Licence not allowed by filters.license, or no licence information' },
  },
  description:
    'Pictures each filter removed, each counted under the first filter it failed (license, min_width, min_height, orientation): they add up to filtered',
} as const;

export const queryStatsSchema = {
  $id: 'QueryStats',
  type: 'object',
  additionalProperties: true,
  required: [
    'downloaded',
    'images',
    'videos',
    'filtered',
    'filtered_reasons',
    'near_duplicates',
    'successful_sources',
    'failed_sources',
  ],
  properties: {
    downloaded: { type: 'integer' },
    images: { type: 'integer' },
    videos: { type: 'integer' },
    filtered: { type: 'integer' },
    filtered_reasons: { $ref: 'FilterCounts#' },
    near_duplicates: { type: 'integer' },
    successful_sources: { type: 'array', items: { type: 'string' } },
    failed_sources: { type: 'array', items: { type: 'string' } },
  },
} as const;

export const sourceStatsSchema = {
  $id: 'SourceStats',
  type: 'object',
  additionalProperties: true,
  required: [
    'status',
    'downloaded',
    'images',
    'videos',
    'success',
    'error',
    'error_code',
    'found',
    'failed_downloads',
    'skipped_duplicates',
    'skipped_existing',
    'existing_jobs',
    'filtered',
    'filtered_reasons',
    'near_duplicates',
    'bytes',
    'duration_ms',
    'retries',
    'pages',
    'started_at',
    'finished_at',
    'rate_limit_remaining',
    'retry_after',
  ],
  properties: {
    status: { type: 'string', enum: [...SOURCE_STATUSES] },
    downloaded: { type: 'integer' },
    images: { type: 'integer' },
    videos: { type: 'integer' },
    success: { type: 'boolean' },
    error: nullableString,
    error_code: {
      type: ['string', 'null'],
      enum: [...SOURCE_ERROR_CODES, null],
      description:
        'Stable kind of `error`: timeout, blocked, layout_changed, not_configured, cooling_down, http_error, network, downloads_failed, cancelled',
    },
    found: { type: 'integer' },
    failed_downloads: { type: 'integer' },
    skipped_duplicates: { type: 'integer' },
    skipped_existing: { type: 'integer' },
    filtered: { type: 'integer' },
    filtered_reasons: { $ref: 'FilterCounts#' },
    near_duplicates: { type: 'integer' },
    existing_jobs: {
      type: 'array',
      items: { type: 'string' },
      description: 'Earlier jobs that had already saved the skipped_existing files (at most 20).',
    },
    bytes: { type: 'integer' },
    duration_ms: { type: 'number' },
    retries: { type: 'integer' },
    pages: { type: 'integer' },
    started_at: nullableString,
    finished_at: nullableString,
    rate_limit_remaining: { type: ['number', 'null'] },
    retry_after: nullableString,
    worker: { ...nullableString, description: 'The process (`<host>:<pid>`) that finished this source' },
    workers: {
      type: 'array',
      items: { type: 'string' },
      description: 'Every process (`<host>:<pid>`) that ran part of this source',
    },
  },
} as const;

export const jobDocumentSchema = {
  $id: 'JobDocument',
  type: 'object',
  additionalProperties: true,
  required: [
    'job_id',
    'status',
    'query',
    'sources',
    'queries',
    'limit',
    'type',
    'created_at',
    'started_at',
    'finished_at',
    'duration_ms',
    'results',
  ],
  properties: {
    job_id: { type: 'string' },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    query: { type: 'string', description: 'The first query' },
    queries: { type: 'array', items: { type: 'string' }, description: 'Every query of the job' },
    sources: { type: 'array', items: { type: 'string' } },
    limit: { type: 'integer' },
    type: { type: 'string', enum: [...MEDIA_TYPES] },
    created_at: { type: 'string' },
    started_at: nullableString,
    finished_at: nullableString,
    duration_ms: { type: ['number', 'null'] },
    results: {
      type: 'object',
      additionalProperties: true,
      required: [
        'downloaded',
        'images',
        'videos',
        'filtered',
        'filtered_reasons',
        'near_duplicates',
        'source_stats',
        'query_stats',
        'successful_sources',
        'failed_sources',
        'files',
      ],
      properties: {
        downloaded: { type: 'integer' },
        images: { type: 'integer' },
        videos: { type: 'integer' },
        filtered: { type: 'integer', description: 'Pictures the filters removed' },
        filtered_reasons: { $ref: 'FilterCounts#' },
        near_duplicates: { type: 'integer', description: 'Images removed as near-duplicates of one kept' },
        source_stats: { type: 'object', additionalProperties: { $ref: 'SourceStats#' } },
        query_stats: {
          type: 'object',
          additionalProperties: { $ref: 'QueryStats#' },
          description: 'Keyed by query text',
        },
        successful_sources: { type: 'array', items: { type: 'string' } },
        failed_sources: { type: 'array', items: { type: 'string' } },
        files: {
          type: 'array',
          items: { $ref: 'SavedFile#' },
          description: 'The first 100 files at most (`files_total` counts them all; `/api/jobs/{id}/files` pages them)',
        },
        files_total: { type: 'integer', description: 'How many files the job has' },
        workers: {
          type: 'array',
          items: { type: 'string' },
          description: 'Every process (`<host>:<pid>`) that ran part of the job',
        },
      },
    },
  },
} as const;

export const jobSummarySchema = {
  $id: 'JobSummary',
  type: 'object',
  additionalProperties: true,
  required: ['job_id', 'status', 'query', 'sources', 'created_at', 'finished_at', 'downloaded'],
  properties: {
    job_id: { type: 'string' },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    query: { type: 'string' },
    sources: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' },
    finished_at: nullableString,
    downloaded: { type: 'integer' },
  },
} as const;

export const jobLinksSchema = {
  type: 'object',
  required: ['self', 'events', 'cancel', 'retry', 'files', 'archive'],
  properties: {
    self: { type: 'string' },
    events: { type: 'string', description: 'Server-Sent Events of the job' },
    cancel: { type: 'string' },
    retry: { type: 'string' },
    resume: { type: 'string' },
    files: { type: 'string', description: 'URL template of one file: replace {n} with its index in results.files' },
    archive: { type: 'string', description: 'Every file of the job as one streamed ZIP' },
  },
} as const;

/** What POST /api/jobs (and retry, resume) answer with. */
export const jobAcceptedSchema = {
  type: 'object',
  required: ['job_id', 'status', 'links'],
  properties: {
    job_id: { type: 'string' },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    links: jobLinksSchema,
  },
} as const;

export function jobLinks(
  jobId: string,
): Record<'self' | 'events' | 'cancel' | 'retry' | 'resume' | 'files' | 'archive', string> {
  const self = `/api/jobs/${encodeURIComponent(jobId)}`;
  return {
    self,
    events: `${self}/events`,
    cancel: `${self}/cancel`,
    retry: `${self}/retry`,
    resume: `${self}/resume`,
    files: `${self}/files/{n}`,
    archive: `${self}/archive.zip`,
  };
}
