// The bounds of a job spec, in one pure module: the engine's validation, the server's request
// schema, the CLI's flag checks and the web form all read them from here (and the CLI can
// check flags before it loads the engine).
import type { MediaType } from './types.ts';

export const MAX_QUERY_LENGTH = 200;
export const MIN_LIMIT = 1;
export const MAX_LIMIT = 500;
/** Files per source when a spec names no limit. */
export const DEFAULT_LIMIT = 10;
export const MEDIA_TYPES: readonly MediaType[] = ['image', 'video', 'any'];
/** Queries one job may hold. */
export const MAX_QUERIES = 1000;
/** Largest min_width / min_height a filter may ask for, pixels. */
export const MAX_DIMENSION = 100_000;

/** The queries in order, each once (the first occurrence stays). */
export function uniqueQueries(queries: readonly string[]): string[] {
  return [...new Set(queries)];
}

/**
 * The queries of a queries file: one a line; blank lines and lines starting with `#` are
 * skipped; surrounding blanks trimmed; duplicates dropped.
 */
export function parseQueriesFile(text: string): string[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim());
  return uniqueQueries(lines.filter((l) => l !== '' && !l.startsWith('#')));
}
