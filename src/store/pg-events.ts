// PostgreSQL event history: each job's events by `seq`, for SSE replay and resumed numbering. A
// `file_saved` event references its file's row (`file_id`) instead of holding the file a second
// time (see `eventData` in ./store-rows.ts).
// The (job_id, seq) key means two writers can never both record one place in a job's history;
// `appendNext` takes the next free place, trying again when another writer took it first.
import { StoreError } from '../core/errors.ts';
import type { RunnerEvent } from '../core/events.ts';
import { isUniqueViolation, type PgConnection, type Queryable } from './pg-connection.ts';
import type { EventRepository } from './store.ts';
import { eventData, eventOf, type EventRow } from './store-rows.ts';

/** Event rows with the columns of the file a `file_saved` references. */
const SELECT_EVENTS = `SELECT e.job_id, e.seq, e.type, e.data, e.file_id, f.path, f.source, f.kind, f.candidate_id,
    f.sha256, f.bytes, f.saved_at, f.doc AS file_doc, f.query, f.phash
  FROM events e LEFT JOIN files f ON f.id = e.file_id`;

/** Attempts of `appendNext` before it gives up (each lost race means another writer progressed). */
const APPEND_ATTEMPTS = 50;

export class PgEvents implements EventRepository {
  constructor(private readonly c: PgConnection) {}

  append(event: RunnerEvent): Promise<void> {
    return this.c.write(async (db) => {
      await insertEvent(db, event);
    });
  }

  appendNext(event: RunnerEvent): Promise<RunnerEvent> {
    return this.c.write(async (db) => {
      for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
        const numbered = { ...event, seq: (await lastSeq(db, event.job_id)) + 1 };
        try {
          await insertEvent(db, numbered);
          return numbered;
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
        }
      }
      throw new StoreError(`cannot append an event to job ${event.job_id}: ${APPEND_ATTEMPTS} writers were faster`);
    });
  }

  list(jobId: string, afterSeq = 0): Promise<RunnerEvent[]> {
    return this.c.read(async (db) => {
      const { rows } = await db.query<EventRow>(`${SELECT_EVENTS} WHERE e.job_id = $1 AND e.seq > $2 ORDER BY e.seq`, [
        jobId,
        afterSeq,
      ]);
      return rows.map(eventOf);
    });
  }

  prune(before: Date): Promise<number> {
    return this.c.write(async (db) => {
      const { rowCount } = await db.query(
        `DELETE FROM events WHERE job_id IN
           (SELECT job_id FROM jobs WHERE created_at < $1 AND status NOT IN ('queued', 'running'))`,
        [before.toISOString()],
      );
      return rowCount ?? 0;
    });
  }

  lastSeq(jobId: string): Promise<number> {
    return this.c.read((db) => lastSeq(db, jobId));
  }
}

async function insertEvent(db: Queryable, event: RunnerEvent): Promise<void> {
  if (event.type !== 'file_saved') {
    await db.query(`INSERT INTO events (job_id, seq, type, data) VALUES ($1, $2, $3, $4)`, [
      event.job_id,
      event.seq,
      event.type,
      eventData(event, false),
    ]);
    return;
  }
  // The file's row is recorded before its event (the runner records, then emits): referenced when found.
  await db.query(
    `INSERT INTO events (job_id, seq, type, data, file_id)
     SELECT $1, $2, $3, CASE WHEN f.id IS NULL THEN $5 ELSE $4 END, f.id
     FROM (SELECT 1) AS one LEFT JOIN files f ON f.job_id = $1 AND f.path = $6`,
    [event.job_id, event.seq, event.type, eventData(event, true), eventData(event, false), event.file.path],
  );
}

/**
 * Puts the files of `paths` (rows of `jobId` about to be removed) back into the events that
 * reference them, so the history keeps saying what was saved.
 */
export async function inlineFileEvents(db: Queryable, jobId: string, paths: readonly string[]): Promise<void> {
  const { rows } = await db.query<EventRow>(
    `${SELECT_EVENTS} WHERE e.job_id = $1 AND e.file_id IN (SELECT id FROM files WHERE job_id = $1 AND path = ANY($2::text[]))`,
    [jobId, paths],
  );
  for (const row of rows) {
    await db.query(`UPDATE events SET data = $1, file_id = NULL WHERE job_id = $2 AND seq = $3`, [
      eventData(eventOf(row), false),
      jobId,
      row.seq,
    ]);
  }
}

async function lastSeq(db: Queryable, jobId: string): Promise<number> {
  const { rows } = await db.query<{ seq: number }>(
    `SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE job_id = $1`,
    [jobId],
  );
  return rows[0]?.seq ?? 0;
}
