// SQLite event history: each job's events by `seq`, for SSE replay and resumed numbering.
import type { RunnerEvent } from '../core/events.ts';
import type { SqliteConnection } from './sqlite-connection.ts';
import type { EventRepository } from './store.ts';

export class SqliteEvents implements EventRepository {
  constructor(private readonly c: SqliteConnection) {}

  append(event: RunnerEvent): Promise<void> {
    return this.c.write(() => {
      this.c
        .stmt(`INSERT INTO events (job_id, seq, type, data) VALUES (?, ?, ?, ?)`)
        .run(event.job_id, event.seq, event.type, JSON.stringify(event));
    });
  }

  list(jobId: string, afterSeq = 0): Promise<RunnerEvent[]> {
    return this.c.read(() => {
      const rows = this.c
        .stmt(`SELECT data FROM events WHERE job_id = ? AND seq > ? ORDER BY seq`)
        .all(jobId, afterSeq) as { data: string }[];
      return rows.map((r) => JSON.parse(r.data) as RunnerEvent);
    });
  }

  prune(before: Date): Promise<number> {
    return this.c.write(
      () =>
        this.c
          .stmt(
            `DELETE FROM events WHERE job_id IN
               (SELECT job_id FROM jobs WHERE created_at < ? AND status NOT IN ('queued', 'running'))`,
          )
          .run(before.toISOString()).changes,
    );
  }

  lastSeq(jobId: string): Promise<number> {
    return this.c.read(() => {
      const row = this.c.stmt(`SELECT MAX(seq) AS seq FROM events WHERE job_id = ?`).get(jobId) as {
        seq: number | null;
      };
      return row.seq ?? 0;
    });
  }
}
