// Validation of a job spec, once, before anything is created (DESIGN §6: bad input gets a
// clear error naming the field and changes nothing). Returns a normalised copy.
import { findControlChar } from '../core/control-chars.ts';
import type { Config } from '../core/config.ts';
import { ConfigError } from '../core/errors.ts';
import { URLS_SOURCE, type JobOptions, type JobSourceName, type JobSpec, type MediaType } from '../core/types.ts';
import { SOURCES, isSourceId } from '../sources/index.ts';
import { DEFAULT_LIMIT, MAX_LIMIT, MAX_QUERY_LENGTH, MEDIA_TYPES, MIN_LIMIT } from './spec-rules.ts';
import { validateUrls } from './urls-source.ts';

const SPEC_FIELDS: readonly string[] = ['query', 'sources', 'limit', 'type', 'urls', 'options'];
/** The switches a caller may set (`downloadDir` is the job service's own record, not input). */
type OptionName = 'noArchive' | 'noCache' | 'force' | 'writeMetadata';
const OPTION_NAMES: readonly OptionName[] = ['noArchive', 'noCache', 'force', 'writeMetadata'];

/** The sources a job gets when it names none: every configured one, in registry order. */
export function defaultSources(config: Config): JobSourceName[] {
  return SOURCES.filter((s) => s.configured(config).ok).map((s) => s.id);
}

export function validateSpec(input: unknown, config: Config): JobSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new ConfigError('a job spec must be an object');
  const spec = input as Record<string, unknown>;
  for (const key of Object.keys(spec)) {
    if (!SPEC_FIELDS.includes(key)) throw new ConfigError(`unknown field ${JSON.stringify(key)} in job spec`);
  }

  if (typeof spec.query !== 'string' || spec.query.trim() === '') throw new ConfigError('query must be a non-empty string');
  const control = findControlChar(spec.query);
  if (control !== null) throw new ConfigError(`query must not contain control characters: found ${control}`);
  const query = spec.query.trim();
  if (query.length > MAX_QUERY_LENGTH) {
    throw new ConfigError(`query must be at most ${MAX_QUERY_LENGTH} characters (got ${query.length})`);
  }

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
      if (typeof value !== 'boolean') throw new ConfigError(`option ${key} must be true or false (got ${JSON.stringify(value)})`);
      options[key as OptionName] = value;
    }
  }

  if (spec.urls !== undefined) {
    if (!Array.isArray(spec.urls) || !spec.urls.every((u) => typeof u === 'string')) throw new ConfigError('urls must be a list of strings');
    const urls = spec.urls as string[];
    validateUrls(urls);
    if (spec.sources !== undefined && !(Array.isArray(spec.sources) && spec.sources.every((s) => s === URLS_SOURCE))) {
      throw new ConfigError(`a job with urls has the one source ${JSON.stringify(URLS_SOURCE)}`);
    }
    // `limit` is per source: the pseudo-source takes every URL it was given.
    return { query, sources: [URLS_SOURCE], limit: urls.length, type: type as MediaType, urls: [...urls], options };
  }

  const limit = spec.limit ?? DEFAULT_LIMIT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < MIN_LIMIT || limit > MAX_LIMIT) {
    throw new ConfigError(`limit must be an integer from ${MIN_LIMIT} to ${MAX_LIMIT} (got ${JSON.stringify(spec.limit)})`);
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
  return { query, sources, limit, type: type as MediaType, options };
}
