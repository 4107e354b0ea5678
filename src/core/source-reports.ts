// What Harvester reports about its sources: each one's health (`harvester sources`, GET
// /api/sources), the API's entry for a source, and the statistics over time of GET /api/stats
// (built by src/server/source-stats.ts). Shared by the store's readers, the server and the web UI.
import type { JobSourceName, SourceCheck } from './types.ts';

/** Health of one source, for `harvester sources` and GET /api/sources. */
export interface SourceHealth {
  source: JobSourceName;
  runs: number;
  successes: number;
  /** successes / runs, or null with no runs. */
  success_rate: number | null;
  /** Average time per saved file, ms, or null. */
  avg_download_ms: number | null;
  consecutive_failures: number;
  /** The most recent error (kept after later successes, with its time, for debugging). */
  last_error: string | null;
  last_error_at: string | null;
  last_run_at: string | null;
  /** ISO time until which the source is skipped, or null. */
  cooling_until: string | null;
  /** The last `sources --check` of the source, or null when it was never checked. */
  last_check: SourceCheck | null;
}

export interface SourceInfo {
  id: string;
  name: string;
  kinds: string[];
  example: string;
  key_variable: string | null;
  configured: boolean;
  reason: string | null;
  state: 'ready' | 'needs_key' | 'cooling_down';
  origin: string;
  origin_overridden: boolean;
  /** The source's health as the API sends it. */
  health: Omit<SourceHealth, 'source' | 'last_error_at'>;
}

/** The ranges GET /api/stats offers, each cut into equal buckets. */
export const STATS_RANGES = {
  '1h': { spanMs: 3_600_000, bucketMs: 60_000 },
  '24h': { spanMs: 86_400_000, bucketMs: 3_600_000 },
  '7d': { spanMs: 7 * 86_400_000, bucketMs: 6 * 3_600_000 },
  '30d': { spanMs: 30 * 86_400_000, bucketMs: 86_400_000 },
} as const;
export type StatsRange = keyof typeof STATS_RANGES;

export interface StatsTotals {
  runs: number;
  successes: number;
  failures: number;
  /** successes / runs, or null without runs. */
  success_rate: number | null;
  downloaded: number;
  /** Average time per saved file, ms, or null without saved files. */
  avg_download_ms: number | null;
}

export interface StatsBucket extends StatsTotals {
  /** Start of the bucket, ISO-8601. */
  start: string;
}

export interface SourceSeries extends StatsTotals {
  source: string;
  /** The most recent error in the range (a later success does not clear it). */
  last_error: string | null;
  buckets: StatsBucket[];
}

export interface StatsReport {
  range: StatsRange;
  from: string;
  to: string;
  bucket_ms: number;
  sources: SourceSeries[];
}
