// Source health as the jobs layer uses it: records a run's outcome by the health rules
// (./source-health-rules.ts) and reads health back as callers show it — every known source,
// in registry order, then any other source the store has a record of.
import { SOURCE_IDS, type JobSourceName } from '../core/types.ts';
import type { SourceHealth } from '../core/source-reports.ts';
import type { SourceOutcome, Store } from '../store/store.ts';
import { emptyHealthRecord } from '../store/store.ts';
import { cachePurgeSinceMs, nextHealthRecord, sourceHealthAt } from './source-health-rules.ts';

/**
 * Records how a source run ended and updates the source's cool-down; a failed run also drops the
 * search-cache answers of that source stored or served during it. Returns the health as of the
 * run's end.
 */
export async function recordSourceOutcome(
  store: Pick<Store, 'health' | 'cache'>,
  outcome: SourceOutcome,
): Promise<SourceHealth> {
  const purgeSinceMs = cachePurgeSinceMs(outcome);
  if (purgeSinceMs !== null) await store.cache.deleteSource(outcome.source, purgeSinceMs);
  const record = await store.health.recordOutcome(outcome, (prev) => nextHealthRecord(prev, outcome));
  return sourceHealthAt(record, (await store.health.get(outcome.source)).lastCheck, outcome.at.getTime());
}

export async function getSourceHealth(
  health: Store['health'],
  source: JobSourceName,
  nowMs = Date.now(),
): Promise<SourceHealth> {
  const { record, lastCheck } = await health.get(source);
  return sourceHealthAt(record, lastCheck, nowMs);
}

export async function listSourceHealth(health: Store['health'], nowMs = Date.now()): Promise<SourceHealth[]> {
  const stored = new Map((await health.list()).map((h) => [h.record.source, h]));
  const known = SOURCE_IDS as readonly string[];
  const ids = [...known, ...[...stored.keys()].filter((s) => !known.includes(s)).sort()];
  return ids.map((id) => {
    const h = stored.get(id);
    return sourceHealthAt(h?.record ?? emptyHealthRecord(id), h?.lastCheck ?? null, nowMs);
  });
}
