// PostgreSQL jobs: the job row (spec, status, times, owner), per-source and per-run stats, read
// back into documents by ./store-rows.ts. Claims are one conditional UPDATE, and markInterrupted
// locks the rows it judges, so processes on several machines never both take a job.
import { NotFoundError } from '../core/errors.ts';
import type { RunStats } from '../core/job-results.ts';
import type { JobDocument, JobSourceName, JobSpec, JobStatus, JobSummary, SourceStats } from '../core/types.ts';
import { ownerAlive, type OwnerRow } from './job-owner.ts';
import type { PgConnection, Queryable } from './pg-connection.ts';
import { countFiles, insertFiles, listFiles } from './pg-files.ts';
import type { JobListFilter, JobRepository } from './store.ts';
import {
  ACTIVE_STATUSES,
  hasSeveralQueries,
  jobDocumentOf,
  jobSummaryOf,
  listPage,
  queriesColumn,
  runStatsOf,
  type JobRow,
  type RunRow,
  type StatsRow,
  type SummaryRow,
} from './store-rows.ts';

export interface PgJobsOptions {
  /** An owner whose heartbeat is older than this is gone (pid reused, hung, machine lost), ms. @default 60000 */
  ownerStaleMs?: number;
}

const UPSERT_SOURCE_STATS = `INSERT INTO source_stats (job_id, source, stats) VALUES ($1, $2, $3)
  ON CONFLICT (job_id, source) DO UPDATE SET stats = EXCLUDED.stats`;

export class PgJobs implements JobRepository {
  private readonly ownerStaleMs: number;

  constructor(
    private readonly c: PgConnection,
    options: PgJobsOptions = {},
  ) {
    this.ownerStaleMs = options.ownerStaleMs ?? 60_000;
  }

  create(job: JobDocument, spec: JobSpec): Promise<void> {
    return this.c.writeAtomic(async (db) => {
      const { owner } = this.c;
      await db.query(
        `INSERT INTO jobs (job_id, status, query, sources, limit_per_source, media_type, spec, queries, created_at,
           started_at, finished_at, duration_ms, owner_token, owner_pid, owner_host, heartbeat_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          job.job_id,
          job.status,
          job.query,
          JSON.stringify(job.sources),
          job.limit,
          job.type,
          JSON.stringify(spec),
          queriesColumn(job),
          job.created_at,
          job.started_at,
          job.finished_at,
          job.duration_ms,
          owner.token,
          owner.pid,
          owner.host,
          this.c.now(),
        ],
      );
      for (const [source, st] of Object.entries(job.results.source_stats))
        await db.query(UPSERT_SOURCE_STATS, [job.job_id, source, JSON.stringify(st)]);
      await insertFiles(db, job.job_id, job.results.files);
    });
  }

  update(
    jobId: string,
    patch: Partial<Pick<JobDocument, 'status' | 'started_at' | 'finished_at' | 'duration_ms'>>,
  ): Promise<void> {
    return this.c.write(async (db) => {
      const sets: string[] = [];
      const params: unknown[] = [jobId];
      const set = (column: string, value: unknown): void => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      for (const key of ['status', 'started_at', 'finished_at', 'duration_ms'] as const) {
        if (key in patch && patch[key] !== undefined) set(key, patch[key]);
      }
      if (patch.status !== undefined && ACTIVE_STATUSES.includes(patch.status)) this.setOwner(set);
      const result =
        sets.length > 0
          ? await db.query(`UPDATE jobs SET ${sets.join(', ')} WHERE job_id = $1`, params)
          : await db.query(`SELECT 1 FROM jobs WHERE job_id = $1`, params);
      if (result.rowCount === 0) throw new NotFoundError(`no job ${jobId}`);
    });
  }

  transition(jobId: string, from: readonly JobStatus[], to: JobStatus): Promise<boolean> {
    return this.c.write(async (db) => {
      const sets: string[] = [];
      const params: unknown[] = [jobId, [...from]];
      const set = (column: string, value: unknown): void => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      set('status', to);
      if (ACTIVE_STATUSES.includes(to)) this.setOwner(set);
      // One statement: the row lock it takes makes a second claimer re-check the status after
      // the first one commits, so exactly one of them matches.
      const claimed = await db.query(
        `UPDATE jobs SET ${sets.join(', ')} WHERE job_id = $1 AND status = ANY($2::text[])`,
        params,
      );
      if (claimed.rowCount !== 0) return true;
      const exists = await db.query(`SELECT 1 FROM jobs WHERE job_id = $1`, [jobId]);
      if (exists.rowCount === 0) throw new NotFoundError(`no job ${jobId}`);
      return false;
    });
  }

  saveSourceStats(jobId: string, source: JobSourceName, stats: SourceStats): Promise<void> {
    return this.c.write(async (db) => {
      await db.query(UPSERT_SOURCE_STATS, [jobId, source, JSON.stringify(stats)]);
    });
  }

  saveRunStats(jobId: string, run: RunStats): Promise<void> {
    return this.c.write(async (db) => {
      await db.query(
        `INSERT INTO query_runs (job_id, query_index, source, stats) VALUES ($1, $2, $3, $4)
         ON CONFLICT (job_id, query_index, source) DO UPDATE SET stats = EXCLUDED.stats`,
        [jobId, run.query, run.source, JSON.stringify(run.stats)],
      );
    });
  }

  listRunStats(jobId: string): Promise<RunStats[]> {
    return this.c.read(async (db) => runStatsOf(await runRows(db, jobId)));
  }

  get(jobId: string, options: { files?: number } = {}): Promise<JobDocument | null> {
    return this.c.read(async (db) => {
      const { rows } = await db.query<JobRow>(`SELECT * FROM jobs WHERE job_id = $1`, [jobId]);
      const row = rows[0];
      if (row === undefined) return null;
      const all = options.files === undefined;
      const [stats, files, runs, counts] = await Promise.all([
        db.query<StatsRow>(`SELECT source, stats FROM source_stats WHERE job_id = $1`, [jobId]),
        listFiles(db, jobId, { offset: 0, limit: all ? -1 : Math.max(0, options.files!) }),
        hasSeveralQueries(row) ? runRows(db, jobId) : [],
        all ? undefined : countFiles(db, jobId),
      ]);
      return jobDocumentOf(row, stats.rows, files, runs, counts);
    });
  }

  getSpec(jobId: string): Promise<JobSpec | null> {
    return this.c.read(async (db) => {
      const { rows } = await db.query<{ spec: string }>(`SELECT spec FROM jobs WHERE job_id = $1`, [jobId]);
      return rows[0] === undefined ? null : (JSON.parse(rows[0].spec) as JobSpec);
    });
  }

  list(filter: JobListFilter = {}): Promise<JobSummary[]> {
    return this.c.read(async (db) => {
      const { limit, offset } = listPage(filter);
      const { rows } = await db.query<SummaryRow>(
        `SELECT j.job_id, j.status, j.query, j.sources, j.created_at, j.finished_at,
           (SELECT COUNT(*) FROM files f WHERE f.job_id = j.job_id) AS downloaded
         FROM jobs j WHERE ($1::text IS NULL OR j.status = $1)
         ORDER BY j.created_at DESC, j.seq DESC
         LIMIT $2 OFFSET $3`,
        [filter.status ?? null, limit, offset],
      );
      return rows.map(jobSummaryOf);
    });
  }

  markInterrupted(options: { includeQueued?: boolean } = {}): Promise<string[]> {
    const statuses = options.includeQueued === false ? ['running'] : ['running', 'queued'];
    return this.c.writeAtomic(async (db) => {
      // Locked until commit: a second process judging the same rows waits and then sees them marked.
      const { rows } = await db.query<OwnerRow & { job_id: string }>(
        `SELECT job_id, owner_token, owner_pid, owner_host, heartbeat_ms FROM jobs
         WHERE status = ANY($1::text[]) ORDER BY created_at, seq FOR UPDATE`,
        [statuses],
      );
      const now = this.c.now();
      const { owner } = this.c;
      const dead = rows
        .filter((r) => r.owner_token !== owner.token && !ownerAlive(r, now, this.ownerStaleMs, owner.host))
        .map((r) => r.job_id);
      if (dead.length > 0) {
        await db.query(`UPDATE jobs SET status = 'interrupted', owner_token = NULL WHERE job_id = ANY($1::text[])`, [
          dead,
        ]);
      }
      return dead;
    });
  }

  /** Refreshes the heartbeat of the active jobs this process owns (the store's timer calls it). */
  heartbeat(): Promise<unknown> {
    return this.c.write((db) =>
      db.query(`UPDATE jobs SET heartbeat_ms = $1 WHERE owner_token = $2 AND status IN ('queued', 'running')`, [
        this.c.now(),
        this.c.owner.token,
      ]),
    );
  }

  private setOwner(set: (column: string, value: unknown) => void): void {
    const { owner } = this.c;
    set('owner_token', owner.token);
    set('owner_pid', owner.pid);
    set('owner_host', owner.host);
    set('heartbeat_ms', this.c.now());
  }
}

async function runRows(db: Queryable, jobId: string): Promise<RunRow[]> {
  const { rows } = await db.query<RunRow>(
    `SELECT query_index, source, stats FROM query_runs WHERE job_id = $1 ORDER BY query_index, source`,
    [jobId],
  );
  return rows;
}
