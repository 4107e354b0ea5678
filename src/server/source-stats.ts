// Per-source statistics over time for GET /api/stats and the dashboard: success rate, average
// download time and failures, in equal time buckets, from the store's recorded source outcomes.
import { STATS_RANGES, type StatsRange, type StatsReport, type StatsTotals } from '../core/source-reports.ts';
import type { SourceOutcome } from '../store/store.ts';

interface Accumulator {
  runs: number;
  successes: number;
  downloaded: number;
  downloadMs: number;
}

function totals(a: Accumulator): StatsTotals {
  return {
    runs: a.runs,
    successes: a.successes,
    failures: a.runs - a.successes,
    success_rate: a.runs === 0 ? null : a.successes / a.runs,
    downloaded: a.downloaded,
    avg_download_ms: a.downloaded === 0 ? null : Math.round(a.downloadMs / a.downloaded),
  };
}

const empty = (): Accumulator => ({ runs: 0, successes: 0, downloaded: 0, downloadMs: 0 });

/** Buckets `outcomes` (any order) for the window ending at `now`; sources listed in `sourceOrder` come first. */
export function buildStats(
  outcomes: readonly SourceOutcome[],
  range: StatsRange,
  now: Date,
  sourceOrder: readonly string[] = [],
): StatsReport {
  const { spanMs, bucketMs } = STATS_RANGES[range];
  // Align buckets to whole bucket lengths so that two requests a moment apart agree.
  const end = Math.ceil(now.getTime() / bucketMs) * bucketMs;
  const start = end - spanMs;
  const count = Math.round(spanMs / bucketMs);
  // `lastErrorAt` keeps the most recent error whatever order the outcomes come in.
  const bySource = new Map<
    string,
    { all: Accumulator; buckets: Accumulator[]; lastError: string | null; lastErrorAt: number }
  >();
  for (const o of outcomes) {
    const at = o.at.getTime();
    if (at < start || at >= end) continue;
    let entry = bySource.get(o.source);
    if (!entry) {
      entry = { all: empty(), buckets: Array.from({ length: count }, empty), lastError: null, lastErrorAt: -Infinity };
      bySource.set(o.source, entry);
    }
    const bucket = entry.buckets[Math.min(count - 1, Math.floor((at - start) / bucketMs))]!;
    for (const acc of [entry.all, bucket]) {
      acc.runs += 1;
      if (o.ok) acc.successes += 1;
      acc.downloaded += o.downloaded;
      acc.downloadMs += o.downloadMs;
    }
    if (!o.ok && at >= entry.lastErrorAt) {
      entry.lastErrorAt = at;
      entry.lastError = o.error;
    }
  }
  const rank = (s: string): number => {
    const i = sourceOrder.indexOf(s);
    return i < 0 ? sourceOrder.length : i;
  };
  const sources = [...bySource.entries()]
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([source, entry]) => ({
      source,
      ...totals(entry.all),
      last_error: entry.lastError,
      buckets: entry.buckets.map((b, i) => ({ start: new Date(start + i * bucketMs).toISOString(), ...totals(b) })),
    }));
  return { range, from: new Date(start).toISOString(), to: new Date(end).toISOString(), bucket_ms: bucketMs, sources };
}
