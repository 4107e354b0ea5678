// Validation of a job spec, once, before anything is created (bad input gets a clear
// error naming the field and changes nothing). Returns a normalised copy.
import { findControlChar } from '../core/control-chars.ts';
import type { Config } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import {
  LICENSE_FILTERS,
  ORIENTATIONS,
  URLS_SOURCE,
  type JobFilters,
  type JobOptions,
  type JobSourceName,
  type JobSpec,
  type MediaType,
} from '../core/types.ts';
import { SOURCES, isSourceId } from '../sources/index.ts';
import {
  DEFAULT_LIMIT,
  MAX_DIMENSION,
  MAX_LIMIT,
  MAX_QUERIES,
  MAX_QUERY_LENGTH,
  MEDIA_TYPES,
  MIN_LIMIT,
  uniqueQueries,
} from '../core/spec-rules.ts';
import { validateUrls } from './urls-source.ts';

const SPEC_FIELDS: readonly string[] = [
  'query',
  'queries',
  'sources',
  'limit',
  'type',
  'urls',
  'options',
  'filters',
  'keepNearDuplicates',
];
/** The switches a caller may set (`downloadDir` is the job service's own record, not input). */
type OptionName = 'noArchive' | 'noCache' | 'force' | 'writeMetadata';
const OPTION_NAMES: readonly OptionName[] = ['noArchive', 'noCache', 'force', 'writeMetadata'];

/** The sources a job gets when it names none: every configured one, in registry order. */
export function defaultSources(config: Config): JobSourceName[] {
  return SOURCES.filter((s) => s.configured(config).ok).map((s) => s.id);
}

export function validateSpec(input: unknown, config: Config): JobSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ConfigError('a job spec must be an object');
  const spec = input as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!SPEC_FIELDS.includes(key)) throw new ConfigError(`unknown field ${JSON.stringify(key)} in job spec`);
  }

  let queries: string[] | undefined;
  if (spec.queries !== undefined) {
    if (!Array.isArray(spec.queries) || spec.queries.length === 0)
      throw new ConfigError(`queries must be a list of 1 to ${MAX_QUERIES} queries`);
    const given = spec.queries.map((q, i) => checkQuery(q, `queries[${i}]`));
    queries = uniqueQueries(given);
    if (queries.length > MAX_QUERIES)
      throw new ConfigError(`queries must hold at most ${MAX_QUERIES} queries (got ${queries.length})`);
    if (spec.query !== undefined && checkQuery(spec.query, 'query') !== queries[0]) {
      throw new ConfigError('query must be the first of queries when both are given');
    }
  }
  const query = queries?.[0] ?? checkQuery(spec.query, 'query');
  const filters = checkFilters(spec.filters);
  if (spec.keepNearDuplicates !== undefined && typeof spec.keepNearDuplicates !== 'boolean') {
    throw new ConfigError(`keepNearDuplicates must be true or false (got ${JSON.stringify(spec.keepNearDuplicates)})`);
  }
  const dataset: Pick<JobSpec, 'queries' | 'filters' | 'keepNearDuplicates'> = {};
  if (queries !== undefined && queries.length > 1) dataset.queries = queries;
  if (filters !== undefined) dataset.filters = filters;
  if (spec.keepNearDuplicates === true) dataset.keepNearDuplicates = true;

  const type = spec.type ?? 'image';
  if (typeof type !== 'string' || !MEDIA_TYPES.includes(type as MediaType)) {
    throw new ConfigError(`type must be one of ${MEDIA_TYPES.join(', ')} (got ${JSON.stringify(spec.type)})`);
  }

  const options: JobOptions = {};
  if (spec.options !== undefined) {
    if (typeof spec.options !== 'object' || spec.options === null) throw new ConfigError('options must be an object');
    for (const [key, value] of Object.entries(spec.options)) {
      if (!OPTION_NAMES.includes(key as OptionName)) throw new ConfigError(`unknown option ${JSON.stringify(key)}`);
      if (value === undefined) continue;
      if (typeof value !== 'boolean')
        throw new ConfigError(`option ${key} must be true or false (got ${JSON.stringify(value)})`);
      options[key as OptionName] = value;
    }
  }

  if (spec.urls !== undefined) {
    if (!Array.isArray(spec.urls) || !spec.urls.every((u) => typeof u === 'string'))
      throw new ConfigError('urls must be a list of strings');
    const urls = spec.urls as string[];
    validateUrls(urls);
    if (spec.sources !== undefined && !(Array.isArray(spec.sources) && spec.sources.every((s) => s === URLS_SOURCE))) {
      throw new ConfigError(`a job with urls has the one source ${JSON.stringify(URLS_SOURCE)}`);
    }
    // `limit` is per source: the pseudo-source takes every URL it was given.
    if (queries !== undefined && queries.length > 1) throw new ConfigError('a job with urls has one query (its name)');
    return {
      query,
      sources: [URLS_SOURCE],
      limit: urls.length,
      type: type as MediaType,
      urls: [...urls],
      options,
      ...dataset,
    };
  }

  const limit = spec.limit ?? DEFAULT_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < MIN_LIMIT || limit > MAX_LIMIT) {
    throw new ConfigError(
      `limit must be an integer from ${MIN_LIMIT} to ${MAX_LIMIT} (got ${JSON.stringify(spec.limit)})`,
    );
  }

  let sources: JobSourceName[];
  if (spec.sources === undefined || (Array.isArray(spec.sources) && spec.sources.length === 0)) {
    sources = defaultSources(config);
    if (sources.length === 0) throw new ConfigError('no source is configured');
  } else {
    if (!Array.isArray(spec.sources) || !spec.sources.every((s) => typeof s === 'string')) {
      throw new ConfigError('sources must be a list of source ids');
    }
    const unknown = (spec.sources as string[]).filter((s) => !isSourceId(s));
    if (unknown.length > 0) {
      throw new ConfigError(
        `unknown source${unknown.length > 1 ? 's' : ''} ${unknown.map((s) => JSON.stringify(s)).join(', ')} ` +
          `(known: ${SOURCES.map((s) => s.id).join(', ')})`,
      );
    }
    // The same source twice would run twice into one folder: keep the first.
    sources = [...new Set(spec.sources as JobSourceName[])];
  }
  return { query, sources, limit, type: type as MediaType, options, ...dataset };
}

/** A query: a non-empty string of at most MAX_QUERY_LENGTH characters once trimmed, without control characters. */
function checkQuery(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${field} must be a non-empty string`);
  const control = findControlChar(value);
  if (control !== null) throw new ConfigError(`${field} must not contain control characters: found ${control}`);
  const query = value.trim();
  if (query.length > MAX_QUERY_LENGTH)
    throw new ConfigError(`${field} must be at most ${MAX_QUERY_LENGTH} characters (got ${query.length})`);
  return query;
}

function checkFilters(value: unknown): JobFilters | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new ConfigError('filters must be an object');
  const out: JobFilters = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    switch (key) {
      case 'min_width':
      case 'min_height':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_DIMENSION) {
          throw new ConfigError(
            `filters.${key} must be an integer from 1 to ${MAX_DIMENSION} (got ${JSON.stringify(v)})`,
          );
        }
        out[key] = v;
        break;
      case 'orientation':
        if (!ORIENTATIONS.includes(v as never))
          throw new ConfigError(
            `filters.orientation must be one of ${ORIENTATIONS.join(', ')} (got ${JSON.stringify(v)})`,
          );
        out.orientation = v as JobFilters['orientation'];
        break;
      case 'license':
        if (!LICENSE_FILTERS.includes(v as never))
          throw new ConfigError(
            `filters.license must be one of ${LICENSE_FILTERS.join(', ')} (got ${JSON.stringify(v)})`,
          );
        if (v !== 'any') out.license = v as JobFilters['license'];
        break;
      default:
        throw new ConfigError(
          `unknown filter ${JSON.stringify(key)} (known: min_width, min_height, orientation, license)`,
        );
    }
  }
  // `license: any` alone filters nothing: the spec then carries no filters.
  return Object.keys(out).length > 0 ? out : undefined;
}
