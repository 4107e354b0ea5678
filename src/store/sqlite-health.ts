// SQLite source health: each source's record (as the health rules computed it), its latest
// check, and the history of run outcomes.
import type { JobSourceName, SourceCheck } from '../core/types.ts';
import type { SqliteConnection } from './sqlite-connection.ts';
import { checkOf, outcomeLimit, outcomeOf, outcomeValues, type CheckRow, type OutcomeRow } from './store-rows.ts';
import {
  emptyHealthRecord,
  type SourceHealthRecord,
  type SourceHealthRepository,
  type SourceOutcome,
} from './store.ts';

export class SqliteSourceHealth implements SourceHealthRepository {
  constructor(private readonly c: SqliteConnection) {}

  recordOutcome(
    outcome: SourceOutcome,
    next: (current: SourceHealthRecord) => SourceHealthRecord,
  ): Promise<SourceHealthRecord> {
    return this.c.writeAtomic(() => {
      this.c
        .stmt(
          `INSERT INTO source_outcomes (source, ok, error, duration_ms, downloaded, download_ms, at, at_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(...outcomeValues(outcome));
      const current = this.record(outcome.source);
      if (outcome.skipped) return current;
      // Inside the batch's BEGIN IMMEDIATE: no other process can change the row in between.
      const updated = { ...next(current), source: outcome.source };
      this.c
        .stmt(
          `INSERT OR REPLACE INTO source_health (source, runs, successes, downloaded, download_ms, consecutive_failures,
             last_error, last_error_at, last_run_at, cooling_until)
           VALUES (@source, @runs, @successes, @downloaded, @download_ms, @consecutive_failures,
             @last_error, @last_error_at, @last_run_at, @cooling_until)`,
        )
        .run(updated);
      return updated;
    });
  }

  get(source: string): Promise<{ record: SourceHealthRecord; lastCheck: SourceCheck | null }> {
    return this.c.read(() => ({ record: this.record(source), lastCheck: this.lastCheck(source) }));
  }

  list(): Promise<{ record: SourceHealthRecord; lastCheck: SourceCheck | null }[]> {
    return this.c.read(() => {
      const rows = this.c
        .stmt(`SELECT source FROM source_health UNION SELECT source FROM source_checks ORDER BY source`)
        .all() as { source: string }[];
      return rows.map(({ source }) => ({ record: this.record(source), lastCheck: this.lastCheck(source) }));
    });
  }

  recordCheck(check: SourceCheck): Promise<void> {
    return this.c.write(() => {
      this.c
        .stmt(
          `INSERT OR REPLACE INTO source_checks (source, status, found, duration_ms, detail, checked_at) VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(check.id, check.status, check.found, Math.round(check.duration_ms), check.detail, check.checked_at);
    });
  }

  listOutcomes(options: { since?: Date; source?: JobSourceName; limit?: number } = {}): Promise<SourceOutcome[]> {
    return this.c.read(() => {
      const rows = this.c
        .stmt(
          `SELECT * FROM source_outcomes
           WHERE (@since IS NULL OR at_ms >= @since) AND (@source IS NULL OR source = @source)
           ORDER BY id DESC LIMIT @limit`,
        )
        .all({
          since: options.since?.getTime() ?? null,
          source: options.source ?? null,
          limit: outcomeLimit(options.limit),
        }) as OutcomeRow[];
      return rows.reverse().map(outcomeOf);
    });
  }

  pruneOutcomes(before: Date): Promise<number> {
    return this.c.write(() => this.c.stmt(`DELETE FROM source_outcomes WHERE at_ms < ?`).run(before.getTime()).changes);
  }

  private record(source: string): SourceHealthRecord {
    return (
      (this.c.stmt(`SELECT * FROM source_health WHERE source = ?`).get(source) as SourceHealthRecord | undefined) ??
      emptyHealthRecord(source)
    );
  }

  private lastCheck(source: string): SourceCheck | null {
    const row = this.c.stmt(`SELECT * FROM source_checks WHERE source = ?`).get(source) as CheckRow | undefined;
    return row === undefined ? null : checkOf(row);
  }
}
