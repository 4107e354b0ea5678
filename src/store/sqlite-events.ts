// SQLite event history: each job's events by `seq`, for SSE replay and resumed numbering.
import type { RunnerEvent } from '../core/events.ts';
import type { SqliteConnection } from './sqlite-connection.ts';
import type { EventRepository } from './store.ts';

export class SqliteEvents implements EventRepository {
  constructor(private readonly c: SqliteConnection) {}

  append(event: RunnerEvent): Promise<void> {
    return this.c.write(() => this.insert(event));
  }

  appendNext(event: RunnerEvent): Promise<RunnerEvent> {
    // Inside the batch's BEGIN IMMEDIATE: no other process can take the same seq in between.
    return this.c.write(() => {
      const numbered = { ...event, seq: this.last(event.job_id) + 1 };
      this.insert(numbered);
      return numbered;
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
    return this.c.read(() => this.last(jobId));
  }

  private insert(event: RunnerEvent): void {
    this.c
      .stmt(`INSERT INTO events (job_id, seq, type, data) VALUES (?, ?, ?, ?)`)
      .run(event.job_id, event.seq, event.type, JSON.stringify(event));
  }

  private last(jobId: string): number {
    const row = this.c.stmt(`SELECT MAX(seq) AS seq FROM events WHERE job_id = ?`).get(jobId) as {
      seq: number | null;
    };
    return row.seq ?? 0;
  }
}
