// History pruning: the events and source outcomes of jobs older than HISTORY_RETENTION_DAYS are
// deleted (at start-up, and hourly in a long-running server); the jobs, their files and the
// download archive stay, so old jobs still list their files and are still de-duplicated against.
import type { Config } from '../core/config.ts';
import type { Store } from '../store/store.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
/** How often a long-running process prunes again. */
export const HISTORY_PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Prunes what is older than the configured retention; nothing with 0. Returns the rows deleted. */
export async function pruneHistory(
  store: Pick<Store, 'events' | 'health'>,
  config: Pick<Config, 'historyRetentionDays'>,
  nowMs: number = Date.now(),
): Promise<{ events: number; outcomes: number }> {
  if (config.historyRetentionDays === 0) return { events: 0, outcomes: 0 };
  const before = new Date(nowMs - config.historyRetentionDays * DAY_MS);
  return { events: await store.events.prune(before), outcomes: await store.health.pruneOutcomes(before) };
}
