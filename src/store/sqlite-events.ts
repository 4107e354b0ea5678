// SQLite event history: each job's events by `seq`, for SSE replay and resumed numbering. A
// `file_saved` event references its file's row (`file_id`) instead of holding the file a second
// time (see `eventData` in ./store-rows.ts).
import type { RunnerEvent } from '../core/events.ts';
import type { SqliteConnection } from './sqlite-connection.ts';
import type { EventRepository } from './store.ts';
import { eventData, eventOf, type EventRow } from './store-rows.ts';

/** Event rows with the columns of the file a `file_saved` references. */
const SELECT_EVENTS = `SELECT e.job_id, e.seq, e.type, e.data, e.file_id, f.path, f.source, f.kind, f.candidate_id,
    f.sha256, f.bytes, f.saved_at, f.doc AS file_doc, f.query, f.phash
  FROM events e LEFT JOIN files f ON f.id = e.file_id`;

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
        .stmt(`${SELECT_EVENTS} WHERE e.job_id = ? AND e.seq > ? ORDER BY e.seq`)
        .all(jobId, afterSeq) as EventRow[];
      return rows.map(eventOf);
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
    // The file's row is recorded before its event (the runner records, then emits): referenced when found.
    const file =
      event.type === 'file_saved'
        ? (this.c.stmt(`SELECT id FROM files WHERE job_id = ? AND path = ?`).get(event.job_id, event.file.path) as
            { id: number } | undefined)
        : undefined;
    this.c
      .stmt(`INSERT INTO events (job_id, seq, type, data, file_id) VALUES (?, ?, ?, ?, ?)`)
      .run(event.job_id, event.seq, event.type, eventData(event, file !== undefined), file?.id ?? null);
  }

  private last(jobId: string): number {
    const row = this.c.stmt(`SELECT MAX(seq) AS seq FROM events WHERE job_id = ?`).get(jobId) as {
      seq: number | null;
    };
    return row.seq ?? 0;
  }
}

/**
 * Puts the files of `fileIds` (rows of `jobId` about to be removed) back into the events that
 * reference them, so the history keeps saying what was saved (inside a write the caller queued).
 */
export function inlineFileEvents(c: SqliteConnection, jobId: string, fileIds: ReadonlySet<number>): void {
  if (fileIds.size === 0) return;
  const rows = c.stmt(`${SELECT_EVENTS} WHERE e.job_id = ? AND e.file_id IS NOT NULL`).all(jobId) as EventRow[];
  const update = c.stmt(`UPDATE events SET data = ?, file_id = NULL WHERE job_id = ? AND seq = ?`);
  for (const row of rows) {
    if (!fileIds.has(Number(row.file_id))) continue;
    update.run(eventData(eventOf(row), false), jobId, row.seq);
  }
}
