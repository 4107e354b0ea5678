// PostgreSQL source health: each source's record (as the health rules computed it), its latest
// check, and the history of run outcomes. Recording an outcome locks the source's row for the
// read-compute-write, so runs finishing at once on several machines lose no count.
import type { JobSourceName, SourceCheck } from '../core/types.ts';
import type { PgConnection, Queryable } from './pg-connection.ts';
import {
  emptyHealthRecord,
  type SourceHealthRecord,
  type SourceHealthRepository,
  type SourceOutcome,
} from './store.ts';
import { checkOf, outcomeLimit, outcomeOf, outcomeValues, type CheckRow, type OutcomeRow } from './store-rows.ts';

const HEALTH_COLUMNS = `source, runs, successes, downloaded, download_ms, consecutive_failures,
  last_error, last_error_at, last_run_at, cooling_until`;
const CHECK_COLUMNS = 'source, status, found, duration_ms, detail, checked_at';

export class PgSourceHealth implements SourceHealthRepository {
  constructor(private readonly c: PgConnection) {}

  recordOutcome(
    outcome: SourceOutcome,
    next: (current: SourceHealthRecord) => SourceHealthRecord,
  ): Promise<SourceHealthRecord> {
    return this.c.writeAtomic(async (db) => {
      await db.query(
        `INSERT INTO source_outcomes (source, ok, error, duration_ms, downloaded, download_ms, at, at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        outcomeValues(outcome),
      );
      if (outcome.skipped) return record(db, outcome.source);
      const empty = emptyHealthRecord(outcome.source);
      // The row exists before it is locked, so that two first runs of a source also wait on each other.
      await db.query(
        `INSERT INTO source_health (${HEALTH_COLUMNS}) VALUES ($1, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL)
         ON CONFLICT (source) DO NOTHING`,
        [empty.source],
      );
      const current = await record(db, outcome.source, 'FOR UPDATE');
      const u = { ...next(current), source: outcome.source };
      await db.query(
        `UPDATE source_health SET runs = $2, successes = $3, downloaded = $4, download_ms = $5,
           consecutive_failures = $6, last_error = $7, last_error_at = $8, last_run_at = $9, cooling_until = $10
         WHERE source = $1`,
        [
          u.source,
          u.runs,
          u.successes,
          u.downloaded,
          u.download_ms,
          u.consecutive_failures,
          u.last_error,
          u.last_error_at,
          u.last_run_at,
          u.cooling_until,
        ],
      );
      return u;
    });
  }

  get(source: string): Promise<{ record: SourceHealthRecord; lastCheck: SourceCheck | null }> {
    return this.c.read(async (db) => {
      const [current, check] = await Promise.all([
        record(db, source),
        db.query<CheckRow>(`SELECT ${CHECK_COLUMNS} FROM source_checks WHERE source = $1`, [source]),
      ]);
      return { record: current, lastCheck: check.rows[0] === undefined ? null : checkOf(check.rows[0]) };
    });
  }

  list(): Promise<{ record: SourceHealthRecord; lastCheck: SourceCheck | null }[]> {
    return this.c.read(async (db) => {
      const [health, checks] = await Promise.all([
        db.query<SourceHealthRecord>(`SELECT ${HEALTH_COLUMNS} FROM source_health`),
        db.query<CheckRow>(`SELECT ${CHECK_COLUMNS} FROM source_checks`),
      ]);
      const records = new Map(health.rows.map((r) => [r.source, r]));
      const lastChecks = new Map(checks.rows.map((r) => [r.source, checkOf(r)]));
      const sources = [...new Set([...records.keys(), ...lastChecks.keys()])].sort();
      return sources.map((source) => ({
        record: records.get(source) ?? emptyHealthRecord(source),
        lastCheck: lastChecks.get(source) ?? null,
      }));
    });
  }

  recordCheck(check: SourceCheck): Promise<void> {
    return this.c.write(async (db) => {
      await db.query(
        `INSERT INTO source_checks (${CHECK_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (source) DO UPDATE SET status = EXCLUDED.status, found = EXCLUDED.found,
           duration_ms = EXCLUDED.duration_ms, detail = EXCLUDED.detail, checked_at = EXCLUDED.checked_at`,
        [check.id, check.status, check.found, Math.round(check.duration_ms), check.detail, check.checked_at],
      );
    });
  }

  pruneOutcomes(before: Date): Promise<number> {
    return this.c.write(async (db) => {
      const { rowCount } = await db.query(`DELETE FROM source_outcomes WHERE at_ms < $1`, [before.getTime()]);
      return rowCount ?? 0;
    });
  }

  listOutcomes(options: { since?: Date; source?: JobSourceName; limit?: number } = {}): Promise<SourceOutcome[]> {
    return this.c.read(async (db) => {
      const { rows } = await db.query<OutcomeRow>(
        `SELECT source, ok, error, duration_ms, downloaded, download_ms, at FROM source_outcomes
         WHERE ($1::bigint IS NULL OR at_ms >= $1) AND ($2::text IS NULL OR source = $2)
         ORDER BY id DESC LIMIT $3`,
        [options.since?.getTime() ?? null, options.source ?? null, outcomeLimit(options.limit)],
      );
      return rows.reverse().map(outcomeOf);
    });
  }
}

async function record(db: Queryable, source: string, lock: '' | 'FOR UPDATE' = ''): Promise<SourceHealthRecord> {
  const { rows } = await db.query<SourceHealthRecord>(
    `SELECT ${HEALTH_COLUMNS} FROM source_health WHERE source = $1 ${lock}`,
    [source],
  );
  return rows[0] ?? emptyHealthRecord(source);
}
