// SQLite source health: each source's record (as the health rules computed it), its latest
// check, and the history of run outcomes.
import type { JobSourceName, SourceCheck } from '../core/types.ts';
import { clampInt, type SqliteConnection } from './sqlite-connection.ts';
import {
  emptyHealthRecord,
  type SourceHealthRecord,
  type SourceHealthRepository,
  type SourceOutcome,
} from './store.ts';

interface CheckRow {
  source: string;
  status: SourceCheck['status'];
  found: number;
  duration_ms: number;
  detail: string;
  checked_at: string;
}

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
        .run(
          outcome.source,
          outcome.skipped ? -1 : outcome.ok ? 1 : 0,
          outcome.error,
          Math.round(outcome.durationMs),
          outcome.downloaded,
          Math.round(outcome.downloadMs),
          outcome.at.toISOString(),
          outcome.at.getTime(),
        );
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
          limit: clampInt(options.limit ?? 1000, 1, 100_000),
        }) as {
        source: string;
        ok: number;
        error: string | null;
        duration_ms: number;
        downloaded: number;
        download_ms: number;
        at: string;
      }[];
      return rows.reverse().map((r) => {
        const outcome: SourceOutcome = {
          source: r.source as JobSourceName,
          ok: r.ok === 1,
          error: r.error,
          durationMs: r.duration_ms,
          downloaded: r.downloaded,
          downloadMs: r.download_ms,
          at: new Date(r.at),
        };
        if (r.ok === -1) outcome.skipped = true;
        return outcome;
      });
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
    if (row === undefined) return null;
    return {
      id: row.source as SourceCheck['id'],
      status: row.status,
      found: row.found,
      duration_ms: row.duration_ms,
      detail: row.detail,
      checked_at: row.checked_at,
    };
  }
}
