// Generated answers (SimulationOptions.generated, for benchmarks): a simulated source answers
// every query with `perQuery` distinct pictures instead of its few recorded ones. Each generated
// item is a copy of one of the source's recorded items — the same shape, the same fields — with
// its own id and its own media files, paged the way the source pages.
import type { SimHelpers } from './types.ts';
import { mapJsonStrings } from './json-media-urls.ts';

export interface GeneratedResults {
  /** The simulated source: part of every generated picture's name, so no two sources share one. */
  source: string;
  /** Distinct pictures every query finds. */
  perQuery: number;
  /** A positive integer naming picture `n` (0-based) of `query`: distinct per (query, n) on one server. */
  id(query: string, n: number): number;
}

/** Most pictures a query may be given: far beyond what a job's page cap lets a source fetch. */
export const MAX_GENERATED_PER_QUERY = 100_000;

/** The generated results of one simulated server; queries are numbered as they first arrive. */
export function generatedResults(source: string, perQuery: number): GeneratedResults {
  if (!Number.isSafeInteger(perQuery) || perQuery < 1 || perQuery > MAX_GENERATED_PER_QUERY)
    throw new RangeError(`generated: an integer from 1 to ${MAX_GENERATED_PER_QUERY} (got ${perQuery})`);
  const queries = new Map<string, number>();
  return {
    source,
    perQuery,
    id(query, n) {
      let index = queries.get(query);
      if (index === undefined) {
        index = queries.size;
        queries.set(query, index);
      }
      return index * MAX_GENERATED_PER_QUERY + n + 1;
    },
  };
}

/** The 0-based items [from, to) of 1-based page `page` of `perPage` items, out of `total`. */
export function pageRange(total: number, page: number, perPage: number): { from: number; to: number } {
  const from = Math.min(total, (page - 1) * perPage);
  return { from, to: Math.min(total, from + perPage) };
}

/**
 * Helpers whose media URLs are picture `id`'s own: a generated item's files (and thumbnails)
 * differ from every other item's, of this source or another, though it copies a recorded item's
 * URLs (two sources' recordings may name the same file).
 */
export function pictureHelpers(sim: SimHelpers, id: number): SimHelpers {
  return { ...sim, mediaUrl: (key, kind) => sim.mediaUrl(`${sim.generated!.source}-${id}-${key}`, kind) };
}

/**
 * A copy of a recorded item with every occurrence of its own id inside its strings (page URLs,
 * media paths) replaced by the generated one.
 */
export function withId(value: unknown, from: string, to: string): unknown {
  return mapJsonStrings(value, (text) => text.split(from).join(to));
}

/** Generated picture `n` of `query`: recorded item `n` modulo their count, and its id. */
export function templateFor<T>(
  templates: readonly T[],
  query: string,
  n: number,
  sim: SimHelpers,
): { item: T; id: number } {
  if (templates.length === 0) throw new Error('no recorded item to copy');
  return { item: templates[n % templates.length]!, id: sim.generated!.id(query, n) };
}
