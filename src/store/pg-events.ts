// PostgreSQL event history: each job's events by `seq`, for SSE replay and resumed numbering.
// The (job_id, seq) key means two writers can never both record one place in a job's history;
// `appendNext` takes the next free place, trying again when another writer took it first.
import { StoreError } from '../core/errors.ts';
import type { RunnerEvent } from '../core/events.ts';
import { isUniqueViolation, type PgConnection, type Queryable } from './pg-connection.ts';
import type { EventRepository } from './store.ts';

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
      const { rows } = await db.query<{ data: string }>(
        `SELECT data FROM events WHERE job_id = $1 AND seq > $2 ORDER BY seq`,
        [jobId, afterSeq],
      );
      return rows.map((r) => JSON.parse(r.data) as RunnerEvent);
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
  await db.query(`INSERT INTO events (job_id, seq, type, data) VALUES ($1, $2, $3, $4)`, [
    event.job_id,
    event.seq,
    event.type,
    JSON.stringify(event),
  ]);
}

async function lastSeq(db: Queryable, jobId: string): Promise<number> {
  const { rows } = await db.query<{ seq: number }>(
    `SELECT COALESCE(MAX(seq), 0) AS seq FROM events WHERE job_id = $1`,
    [jobId],
  );
  return rows[0]?.seq ?? 0;
}
