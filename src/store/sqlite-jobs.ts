// SQLite jobs: the job row (spec, status, times, owner), per-source and per-run stats. A job
// document is assembled from those rows and the job's files; its results come from the shared
// pure rules (src/core/job-results.ts), never from rules of the store's own.
import { NotFoundError } from '../core/errors.ts';
import type { RunStats } from '../core/job-results.ts';
import type { JobDocument, JobSourceName, JobSpec, JobStatus, JobSummary, SourceStats } from '../core/types.ts';
import { ownerAlive, type OwnerRow } from './job-owner.ts';
import type { SqliteConnection } from './sqlite-connection.ts';
import { countFiles, insertFile, listFiles } from './sqlite-files.ts';
import type { JobListFilter, JobRepository } from './store.ts';
import {
  ACTIVE_STATUSES as ACTIVE,
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

export interface SqliteJobsOptions {
  /** An owner whose heartbeat is older than this is gone (pid reused or hung), ms. @default 60000 */
  ownerStaleMs?: number;
}

export class SqliteJobs implements JobRepository {
  private readonly ownerStaleMs: number;

  constructor(
    private readonly c: SqliteConnection,
    options: SqliteJobsOptions = {},
  ) {
    this.ownerStaleMs = options.ownerStaleMs ?? 60_000;
  }

  create(job: JobDocument, spec: JobSpec): Promise<void> {
    return this.c.writeAtomic(() => {
      const { owner } = this.c;
      this.c
        .stmt(
          `INSERT INTO jobs (job_id, status, query, sources, limit_per_source, media_type, spec, queries, created_at,
             started_at, finished_at, duration_ms, owner_token, owner_pid, owner_host, heartbeat_ms)
           VALUES (@job_id, @status, @query, @sources, @limit, @type, @spec, @queries, @created_at,
             @started_at, @finished_at, @duration_ms, @token, @pid, @host, @heartbeat)`,
        )
        .run({
          job_id: job.job_id,
          status: job.status,
          query: job.query,
          sources: JSON.stringify(job.sources),
          limit: job.limit,
          type: job.type,
          spec: JSON.stringify(spec),
          queries: queriesColumn(job),
          created_at: job.created_at,
          started_at: job.started_at,
          finished_at: job.finished_at,
          duration_ms: job.duration_ms,
          token: owner.token,
          pid: owner.pid,
          host: owner.host,
          heartbeat: this.c.now(),
        });
      const stats = this.c.stmt(`INSERT OR REPLACE INTO source_stats (job_id, source, stats) VALUES (?, ?, ?)`);
      for (const [source, st] of Object.entries(job.results.source_stats))
        stats.run(job.job_id, source, JSON.stringify(st));
      for (const f of job.results.files) insertFile(this.c, job.job_id, f);
    });
  }

  update(
    jobId: string,
    patch: Partial<Pick<JobDocument, 'status' | 'started_at' | 'finished_at' | 'duration_ms'>>,
  ): Promise<void> {
    return this.c.write(() => {
      const sets: string[] = [];
      const params: Record<string, unknown> = { job_id: jobId };
      for (const key of ['status', 'started_at', 'finished_at', 'duration_ms'] as const) {
        if (key in patch && patch[key] !== undefined) {
          sets.push(`${key} = @${key}`);
          params[key] = patch[key];
        }
      }
      if (patch.status !== undefined && ACTIVE.includes(patch.status)) {
        const { owner } = this.c;
        sets.push('owner_token = @token', 'owner_pid = @pid', 'owner_host = @host', 'heartbeat_ms = @heartbeat');
        Object.assign(params, { token: owner.token, pid: owner.pid, host: owner.host, heartbeat: this.c.now() });
      }
      const found =
        sets.length > 0
          ? this.c.stmt(`UPDATE jobs SET ${sets.join(', ')} WHERE job_id = @job_id`).run(params).changes > 0
          : this.c.stmt(`SELECT 1 FROM jobs WHERE job_id = @job_id`).get(params) !== undefined;
      if (!found) throw new NotFoundError(`no job ${jobId}`);
    });
  }

  transition(jobId: string, from: readonly JobStatus[], to: JobStatus): Promise<boolean> {
    return this.c.writeAtomic(() => {
      const row = this.c.stmt(`SELECT status FROM jobs WHERE job_id = ?`).get(jobId) as
        { status: JobStatus } | undefined;
      if (row === undefined) throw new NotFoundError(`no job ${jobId}`);
      if (!from.includes(row.status)) return false;
      // Inside the batch's BEGIN IMMEDIATE: no other process can change the row in between.
      if (ACTIVE.includes(to)) {
        const { owner } = this.c;
        this.c
          .stmt(
            `UPDATE jobs SET status = ?, owner_token = ?, owner_pid = ?, owner_host = ?, heartbeat_ms = ? WHERE job_id = ?`,
          )
          .run(to, owner.token, owner.pid, owner.host, this.c.now(), jobId);
      } else {
        this.c.stmt(`UPDATE jobs SET status = ? WHERE job_id = ?`).run(to, jobId);
      }
      return true;
    });
  }

  saveSourceStats(jobId: string, source: JobSourceName, stats: SourceStats): Promise<void> {
    return this.c.write(() => {
      this.c
        .stmt(`INSERT OR REPLACE INTO source_stats (job_id, source, stats) VALUES (?, ?, ?)`)
        .run(jobId, source, JSON.stringify(stats));
    });
  }

  saveRunStats(jobId: string, run: RunStats): Promise<void> {
    return this.c.write(() => {
      this.c
        .stmt(`INSERT OR REPLACE INTO query_runs (job_id, query_index, source, stats) VALUES (?, ?, ?, ?)`)
        .run(jobId, run.query, run.source, JSON.stringify(run.stats));
    });
  }

  listRunStats(jobId: string): Promise<RunStats[]> {
    return this.c.read(() => this.runRows(jobId));
  }

  get(jobId: string, options: { files?: number } = {}): Promise<JobDocument | null> {
    return this.c.read(() => {
      const row = this.c.stmt(`SELECT * FROM jobs WHERE job_id = ?`).get(jobId) as JobRow | undefined;
      return row === undefined ? null : this.buildDocument(row, options);
    });
  }

  getSpec(jobId: string): Promise<JobSpec | null> {
    return this.c.read(() => {
      const row = this.c.stmt(`SELECT spec FROM jobs WHERE job_id = ?`).get(jobId) as { spec: string } | undefined;
      return row === undefined ? null : (JSON.parse(row.spec) as JobSpec);
    });
  }

  list(filter: JobListFilter = {}): Promise<JobSummary[]> {
    return this.c.read(() => {
      const { limit, offset } = listPage(filter);
      const where = filter.status !== undefined ? 'WHERE j.status = @status' : '';
      const rows = this.c
        .stmt(
          `SELECT j.job_id, j.status, j.query, j.sources, j.created_at, j.finished_at,
             (SELECT COUNT(*) FROM files f WHERE f.job_id = j.job_id) AS downloaded
           FROM jobs j ${where}
           ORDER BY j.created_at DESC, j.rowid DESC
           LIMIT @limit OFFSET @offset`,
        )
        .all({ status: filter.status, limit, offset }) as SummaryRow[];
      return rows.map(jobSummaryOf);
    });
  }

  markInterrupted(options: { includeQueued?: boolean } = {}): Promise<string[]> {
    const statuses = options.includeQueued === false ? ['running'] : ['running', 'queued'];
    return this.c.writeAtomic(() => {
      const rows = this.c
        .stmt(
          `SELECT job_id, owner_token, owner_pid, owner_host, heartbeat_ms FROM jobs
           WHERE status IN (${statuses.map(() => '?').join(', ')})`,
        )
        .all(...statuses) as (OwnerRow & { job_id: string })[];
      const now = this.c.now();
      const { owner } = this.c;
      const dead = rows.filter(
        (r) => r.owner_token !== owner.token && !ownerAlive(r, now, this.ownerStaleMs, owner.host),
      );
      const mark = this.c.stmt(`UPDATE jobs SET status = 'interrupted', owner_token = NULL WHERE job_id = ?`);
      for (const r of dead) mark.run(r.job_id);
      return dead.map((r) => r.job_id);
    });
  }

  /** Refreshes the heartbeat of the active jobs this process owns (the store's timer calls it). */
  heartbeat(): Promise<unknown> {
    return this.c.writes.enqueue(() =>
      this.c
        .stmt(`UPDATE jobs SET heartbeat_ms = ? WHERE owner_token = ? AND status IN ('queued', 'running')`)
        .run(this.c.now(), this.c.owner.token),
    );
  }

  private runRows(jobId: string): RunStats[] {
    return runStatsOf(this.runRowsOf(jobId));
  }

  private runRowsOf(jobId: string): RunRow[] {
    return this.c
      .stmt(`SELECT query_index, source, stats FROM query_runs WHERE job_id = ? ORDER BY query_index, source`)
      .all(jobId) as RunRow[];
  }

  private buildDocument(row: JobRow, options: { files?: number }): JobDocument {
    const stats = this.c.stmt(`SELECT source, stats FROM source_stats WHERE job_id = ?`).all(row.job_id) as StatsRow[];
    const all = options.files === undefined;
    const files = listFiles(this.c, row.job_id, { offset: 0, limit: all ? -1 : Math.max(0, options.files!) });
    const runs = hasSeveralQueries(row) ? this.runRowsOf(row.job_id) : [];
    return jobDocumentOf(row, stats, files, runs, all ? undefined : countFiles(this.c, row.job_id));
  }
}
