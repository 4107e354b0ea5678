// The SQLite implementation of the Store seam (better-sqlite3, WAL, synchronous=NORMAL).
// Writes go through a WriteQueue (one transaction per event-loop turn), reads flush it first so
// they always see what was written before them. Open it with `openStore` (./open.ts).
import type Database from 'better-sqlite3';
import { NotFoundError, StoreError, errorMessage } from '../core/errors.ts';
import type { RunnerEvent } from '../core/events.ts';
import { jobResults, queryStatsOf, singleQueryRuns, type RunStats } from '../core/job-results.ts';
import {
  SOURCE_IDS,
  emptySourceStats,
  type JobDocument,
  type JobSourceName,
  type JobSpec,
  type JobStatus,
  type JobSummary,
  type SavedFile,
  type SourceCheck,
  type SourceStats,
} from '../core/types.ts';
import { cooldownMs } from './cooldown.ts';
import { ownerAlive, type JobOwner } from './job-owner.ts';
import type {
  ArchivedFile,
  CachedPage,
  JobListFilter,
  PendingFile,
  SourceHealth,
  SourceOutcome,
  Store,
} from './store.ts';
import { WriteQueue, type WriteQueueOptions } from './write-queue.ts';

export interface SqliteStoreOptions extends WriteQueueOptions {
  /** How often this store refreshes the heartbeat of the jobs it owns, ms. @default 5000 */
  heartbeatMs?: number;
  /** An owner whose heartbeat is older than this is gone (pid reused or hung), ms. @default 60000 */
  ownerStaleMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

interface JobRow {
  job_id: string;
  status: JobStatus;
  query: string;
  sources: string;
  limit_per_source: number;
  media_type: JobDocument['type'];
  spec: string;
  queries: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  owner_token: string | null;
  owner_pid: number | null;
  owner_host: string | null;
  heartbeat_ms: number | null;
}

interface HealthRow {
  source: string;
  runs: number;
  successes: number;
  downloaded: number;
  download_ms: number;
  consecutive_failures: number;
  last_error: string | null;
  last_error_at: string | null;
  last_run_at: string | null;
  cooling_until: string | null;
}

const ACTIVE: readonly JobStatus[] = ['queued', 'running'];

export class SqliteStore implements Store {
  private readonly writes: WriteQueue;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly ownerStaleMs: number;
  private readonly now: () => number;
  private closed = false;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    /** The database file, for messages. */
    readonly file: string,
    readonly owner: JobOwner,
    options: SqliteStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.ownerStaleMs = options.ownerStaleMs ?? 60_000;
    this.writes = new WriteQueue(db, {
      ...options,
      wrapError: (error) => this.wrap(error, 'cannot record'),
    });
    const heartbeatMs = options.heartbeatMs ?? 5_000;
    this.heartbeat = setInterval(() => {
      void this.writes
        .enqueue(() =>
          this.stmt(`UPDATE jobs SET heartbeat_ms = ? WHERE owner_token = ? AND status IN ('queued', 'running')`)
            .run(this.now(), this.owner.token),
        )
        .catch(() => {
          // A missed heartbeat only matters after ownerStaleMs of them; the next tick retries.
        });
    }, heartbeatMs);
    this.heartbeat.unref();
  }

  /** Writes committed and transactions used so far (batching figures for tests and benchmarks). */
  get writeCounters(): { writes: number; transactions: number } {
    return { ...this.writes.counters };
  }

  // ---- jobs -------------------------------------------------------------------------------

  createJob(job: JobDocument, spec: JobSpec): Promise<void> {
    return this.writeAtomic(() => {
      this.stmt(
        `INSERT INTO jobs (job_id, status, query, sources, limit_per_source, media_type, spec, queries, created_at,
           started_at, finished_at, duration_ms, owner_token, owner_pid, owner_host, heartbeat_ms)
         VALUES (@job_id, @status, @query, @sources, @limit, @type, @spec, @queries, @created_at,
           @started_at, @finished_at, @duration_ms, @token, @pid, @host, @heartbeat)`,
      ).run({
        job_id: job.job_id,
        status: job.status,
        query: job.query,
        sources: JSON.stringify(job.sources),
        limit: job.limit,
        type: job.type,
        spec: JSON.stringify(spec),
        queries: (job.queries?.length ?? 0) > 1 ? JSON.stringify(job.queries) : null,
        created_at: job.created_at,
        started_at: job.started_at,
        finished_at: job.finished_at,
        duration_ms: job.duration_ms,
        token: this.owner.token,
        pid: this.owner.pid,
        host: this.owner.host,
        heartbeat: this.now(),
      });
      const stats = this.stmt(`INSERT OR REPLACE INTO source_stats (job_id, source, stats) VALUES (?, ?, ?)`);
      for (const [source, st] of Object.entries(job.results.source_stats)) {
        stats.run(job.job_id, source, JSON.stringify(st));
      }
      const file = this.insertFileStatement();
      for (const f of job.results.files) file.run(fileParams(job.job_id, f));
    });
  }

  updateJob(
    jobId: string,
    patch: Partial<Pick<JobDocument, 'status' | 'started_at' | 'finished_at' | 'duration_ms'>>,
  ): Promise<void> {
    return this.write(() => {
      const sets: string[] = [];
      const params: Record<string, unknown> = { job_id: jobId };
      for (const key of ['status', 'started_at', 'finished_at', 'duration_ms'] as const) {
        if (key in patch && patch[key] !== undefined) {
          sets.push(`${key} = @${key}`);
          params[key] = patch[key];
        }
      }
      if (patch.status !== undefined && ACTIVE.includes(patch.status)) {
        sets.push('owner_token = @token', 'owner_pid = @pid', 'owner_host = @host', 'heartbeat_ms = @heartbeat');
        Object.assign(params, { token: this.owner.token, pid: this.owner.pid, host: this.owner.host, heartbeat: this.now() });
      }
      const sql = sets.length > 0 ? `UPDATE jobs SET ${sets.join(', ')} WHERE job_id = @job_id` : `SELECT 1 FROM jobs WHERE job_id = @job_id`;
      const found = sets.length > 0 ? this.stmt(sql).run(params).changes > 0 : this.stmt(sql).get(params) !== undefined;
      if (!found) throw new NotFoundError(`no job ${jobId}`);
    });
  }

  transitionJob(jobId: string, from: readonly JobStatus[], to: JobStatus): Promise<boolean> {
    return this.writeAtomic(() => {
      const row = this.stmt(`SELECT status FROM jobs WHERE job_id = ?`).get(jobId) as { status: JobStatus } | undefined;
      if (row === undefined) throw new NotFoundError(`no job ${jobId}`);
      if (!from.includes(row.status)) return false;
      // Inside the batch's BEGIN IMMEDIATE: no other process can change the row in between.
      if (ACTIVE.includes(to)) {
        this.stmt(`UPDATE jobs SET status = ?, owner_token = ?, owner_pid = ?, owner_host = ?, heartbeat_ms = ? WHERE job_id = ?`).run(
          to,
          this.owner.token,
          this.owner.pid,
          this.owner.host,
          this.now(),
          jobId,
        );
      } else {
        this.stmt(`UPDATE jobs SET status = ? WHERE job_id = ?`).run(to, jobId);
      }
      return true;
    });
  }

  saveSourceStats(jobId: string, source: JobSourceName, stats: SourceStats): Promise<void> {
    return this.write(() => {
      this.stmt(`INSERT OR REPLACE INTO source_stats (job_id, source, stats) VALUES (?, ?, ?)`)
        .run(jobId, source, JSON.stringify(stats));
    });
  }

  saveRunStats(jobId: string, run: RunStats): Promise<void> {
    return this.write(() => {
      this.stmt(`INSERT OR REPLACE INTO query_runs (job_id, query_index, source, stats) VALUES (?, ?, ?, ?)`)
        .run(jobId, run.query, run.source, JSON.stringify(run.stats));
    });
  }

  listRunStats(jobId: string): Promise<RunStats[]> {
    return this.read(() => this.runRows(jobId));
  }

  private runRows(jobId: string): RunStats[] {
    const rows = this.stmt(`SELECT query_index, source, stats FROM query_runs WHERE job_id = ? ORDER BY query_index, source`).all(jobId) as {
      query_index: number;
      source: string;
      stats: string;
    }[];
    return rows.map((r) => ({ query: r.query_index, source: r.source, stats: { ...emptySourceStats(), ...(JSON.parse(r.stats) as Partial<SourceStats>) } }));
  }

  recordFile(jobId: string, file: SavedFile): Promise<void> {
    return this.writeAtomic(() => {
      this.insertFileStatement().run(fileParams(jobId, file));
      this.stmt(`DELETE FROM pending_files WHERE job_id = ? AND path IN (?, ?)`)
        .run(jobId, file.path, withoutExtension(file.path));
    });
  }

  getJob(jobId: string): Promise<JobDocument | null> {
    return this.read(() => {
      const row = this.stmt(`SELECT * FROM jobs WHERE job_id = ?`).get(jobId) as JobRow | undefined;
      if (row === undefined) return null;
      return this.buildDocument(row);
    });
  }

  getJobSpec(jobId: string): Promise<JobSpec | null> {
    return this.read(() => {
      const row = this.stmt(`SELECT spec FROM jobs WHERE job_id = ?`).get(jobId) as { spec: string } | undefined;
      return row === undefined ? null : (JSON.parse(row.spec) as JobSpec);
    });
  }

  listJobs(filter: JobListFilter = {}): Promise<JobSummary[]> {
    return this.read(() => {
      const limit = clampInt(filter.limit ?? 50, 1, 10_000);
      const offset = clampInt(filter.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
      const where = filter.status !== undefined ? 'WHERE j.status = @status' : '';
      const rows = this.stmt(
        `SELECT j.job_id, j.status, j.query, j.sources, j.created_at, j.finished_at,
           (SELECT COUNT(*) FROM files f WHERE f.job_id = j.job_id) AS downloaded
         FROM jobs j ${where}
         ORDER BY j.created_at DESC, j.rowid DESC
         LIMIT @limit OFFSET @offset`,
      ).all({ status: filter.status, limit, offset }) as (Omit<JobSummary, 'sources'> & { sources: string })[];
      return rows.map((r) => ({
        job_id: r.job_id,
        status: r.status,
        query: r.query,
        sources: JSON.parse(r.sources) as JobSourceName[],
        created_at: r.created_at,
        finished_at: r.finished_at,
        downloaded: r.downloaded,
      }));
    });
  }

  markInterrupted(options: { includeQueued?: boolean } = {}): Promise<string[]> {
    const statuses = options.includeQueued === false ? ['running'] : ['running', 'queued'];
    return this.writeAtomic(() => {
      const rows = this.stmt(
        `SELECT job_id, owner_token, owner_pid, owner_host, heartbeat_ms FROM jobs
         WHERE status IN (${statuses.map(() => '?').join(', ')})`,
      ).all(...statuses) as Pick<JobRow, 'job_id' | 'owner_token' | 'owner_pid' | 'owner_host' | 'heartbeat_ms'>[];
      const now = this.now();
      const dead = rows.filter((r) => r.owner_token !== this.owner.token && !ownerAlive(r, now, this.ownerStaleMs, this.owner.host));
      const mark = this.stmt(`UPDATE jobs SET status = 'interrupted', owner_token = NULL WHERE job_id = ?`);
      for (const r of dead) mark.run(r.job_id);
      return dead.map((r) => r.job_id);
    });
  }

  // ---- events -----------------------------------------------------------------------------

  appendEvent(event: RunnerEvent): Promise<void> {
    return this.write(() => {
      this.stmt(`INSERT INTO events (job_id, seq, type, data) VALUES (?, ?, ?, ?)`)
        .run(event.job_id, event.seq, event.type, JSON.stringify(event));
    });
  }

  listEvents(jobId: string, afterSeq = 0): Promise<RunnerEvent[]> {
    return this.read(() => {
      const rows = this.stmt(`SELECT data FROM events WHERE job_id = ? AND seq > ? ORDER BY seq`)
        .all(jobId, afterSeq) as { data: string }[];
      return rows.map((r) => JSON.parse(r.data) as RunnerEvent);
    });
  }

  lastEventSeq(jobId: string): Promise<number> {
    return this.read(() => {
      const row = this.stmt(`SELECT MAX(seq) AS seq FROM events WHERE job_id = ?`).get(jobId) as { seq: number | null };
      return row.seq ?? 0;
    });
  }

  // ---- files: archive, pending, reconcile --------------------------------------------------

  findArchived(query: { candidateId?: string; sha256?: string; excludeJobId?: string }): Promise<ArchivedFile | null> {
    return this.read(() => {
      const exclude = query.excludeJobId ?? null;
      let best: (ArchivedFile & { id: number }) | undefined;
      for (const [column, value] of [
        ['candidate_id', query.candidateId],
        ['sha256', query.sha256],
      ] as const) {
        if (value === undefined || value === '') continue;
        const row = this.stmt(
          `SELECT id, job_id, path, candidate_id, sha256 FROM files
           WHERE ${column} = ? AND (? IS NULL OR job_id <> ?) ORDER BY id DESC LIMIT 1`,
        ).get(value, exclude, exclude) as (ArchivedFile & { id: number }) | undefined;
        if (row !== undefined && (best === undefined || row.id > best.id)) best = row;
      }
      if (best === undefined) return null;
      return { job_id: best.job_id, path: best.path, candidate_id: best.candidate_id, sha256: best.sha256 };
    });
  }

  removeFiles(jobId: string, paths: string[]): Promise<number> {
    return this.writeAtomic(() => {
      const del = this.stmt(`DELETE FROM files WHERE job_id = ? AND path = ?`);
      let removed = 0;
      for (const p of paths) removed += del.run(jobId, p).changes;
      return removed;
    });
  }

  recordedPaths(paths: string[]): Promise<string[]> {
    return this.read(() => {
      const has = this.stmt(`SELECT 1 FROM files WHERE path = ? LIMIT 1`);
      return paths.filter((p) => has.get(p) !== undefined);
    });
  }

  addPendingFile(jobId: string, path: string): Promise<void> {
    return this.write(() => {
      this.stmt(`INSERT OR REPLACE INTO pending_files (job_id, path, created_at) VALUES (?, ?, ?)`)
        .run(jobId, path, new Date(this.now()).toISOString());
    });
  }

  removePendingFile(jobId: string, path: string): Promise<void> {
    return this.write(() => {
      this.stmt(`DELETE FROM pending_files WHERE job_id = ? AND path = ?`).run(jobId, path);
    });
  }

  listPendingFiles(jobId?: string): Promise<PendingFile[]> {
    return this.read(() =>
      jobId === undefined
        ? (this.stmt(`SELECT job_id, path, created_at FROM pending_files ORDER BY job_id, path`).all() as PendingFile[])
        : (this.stmt(`SELECT job_id, path, created_at FROM pending_files WHERE job_id = ? ORDER BY path`)
            .all(jobId) as PendingFile[]),
    );
  }

  // ---- search cache -----------------------------------------------------------------------

  getCachedPage(key: string, maxAgeMs: number): Promise<CachedPage | null> {
    return this.read(() => {
      const row = this.stmt(`SELECT status, url, headers, text, stored_at, source FROM search_cache WHERE key = ? AND stored_ms >= ?`).get(
        key,
        this.now() - maxAgeMs,
      ) as (Omit<CachedPage, 'headers' | 'source'> & { headers: string; source: string | null }) | undefined;
      if (row === undefined) return null;
      // Remembered so that a run this answer fails can drop it (recordSourceOutcome).
      void this.writes.enqueue(() => this.stmt(`UPDATE search_cache SET last_hit_ms = ? WHERE key = ?`).run(this.now(), key)).catch(() => {});
      const page: CachedPage = { status: row.status, url: row.url, headers: JSON.parse(row.headers) as Record<string, string>, text: row.text, stored_at: row.stored_at };
      if (row.source !== null) page.source = row.source;
      return page;
    });
  }

  putCachedPage(key: string, page: CachedPage): Promise<void> {
    return this.write(() => {
      const storedMs = Date.parse(page.stored_at);
      this.stmt(
        `INSERT OR REPLACE INTO search_cache (key, status, url, headers, text, stored_at, stored_ms, source, last_hit_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
      ).run(
        key,
        page.status,
        page.url,
        JSON.stringify(page.headers),
        page.text,
        page.stored_at,
        Number.isFinite(storedMs) ? storedMs : this.now(),
        page.source ?? null,
      );
    });
  }

  deleteCachedPage(key: string): Promise<void> {
    return this.write(() => {
      this.stmt(`DELETE FROM search_cache WHERE key = ?`).run(key);
    });
  }

  /** Drops cached answers older than `maxAgeMs` (run at open, so the cache cannot grow forever). */
  pruneCache(maxAgeMs: number): Promise<number> {
    return this.write(() => this.stmt(`DELETE FROM search_cache WHERE stored_ms < ?`).run(this.now() - maxAgeMs).changes);
  }

  // ---- source health ----------------------------------------------------------------------

  recordSourceOutcome(outcome: SourceOutcome): Promise<SourceHealth> {
    return this.writeAtomic(() => {
      const at = outcome.at.toISOString();
      this.stmt(
        `INSERT INTO source_outcomes (source, ok, error, duration_ms, downloaded, download_ms, at, at_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        outcome.source,
        outcome.skipped ? -1 : outcome.ok ? 1 : 0,
        outcome.error,
        Math.round(outcome.durationMs),
        outcome.downloaded,
        Math.round(outcome.downloadMs),
        at,
        outcome.at.getTime(),
      );
      if (outcome.skipped) return this.healthNow(outcome.source);
      if (!outcome.ok) {
        // A second of slack: the run's clock and the cache's are both this process's, but rounded.
        const fromMs = outcome.at.getTime() - outcome.durationMs - 1000;
        this.stmt(`DELETE FROM search_cache WHERE source = ? AND (stored_ms >= ? OR last_hit_ms >= ?)`).run(outcome.source, fromMs, fromMs);
      }
      const prev = this.healthRow(outcome.source);
      const failures = outcome.ok ? 0 : prev.consecutive_failures + 1;
      const coolMs = cooldownMs(failures);
      const next: HealthRow = {
        source: outcome.source,
        runs: prev.runs + 1,
        successes: prev.successes + (outcome.ok ? 1 : 0),
        downloaded: prev.downloaded + outcome.downloaded,
        download_ms: prev.download_ms + Math.round(outcome.downloadMs),
        consecutive_failures: failures,
        last_error: outcome.error ?? prev.last_error,
        last_error_at: outcome.error !== null ? at : prev.last_error_at,
        last_run_at: at,
        cooling_until: coolMs > 0 ? new Date(outcome.at.getTime() + coolMs).toISOString() : null,
      };
      this.stmt(
        `INSERT OR REPLACE INTO source_health (source, runs, successes, downloaded, download_ms, consecutive_failures,
           last_error, last_error_at, last_run_at, cooling_until)
         VALUES (@source, @runs, @successes, @downloaded, @download_ms, @consecutive_failures,
           @last_error, @last_error_at, @last_run_at, @cooling_until)`,
      ).run(next);
      return this.toHealth(next);
    });
  }

  recordSourceCheck(check: SourceCheck): Promise<void> {
    return this.write(() => {
      this.stmt(`INSERT OR REPLACE INTO source_checks (source, status, found, duration_ms, detail, checked_at) VALUES (?, ?, ?, ?, ?, ?)`)
        .run(check.id, check.status, check.found, Math.round(check.duration_ms), check.detail, check.checked_at);
    });
  }

  getSourceHealth(source: JobSourceName): Promise<SourceHealth> {
    return this.read(() => this.healthNow(source));
  }

  listSourceHealth(): Promise<SourceHealth[]> {
    return this.read(() => {
      const rows = this.stmt(`SELECT * FROM source_health`).all() as HealthRow[];
      const byId = new Map(rows.map((r) => [r.source, r]));
      const ids: string[] = [...SOURCE_IDS, ...rows.map((r) => r.source).filter((s) => !(SOURCE_IDS as readonly string[]).includes(s)).sort()];
      return ids.map((id) => this.toHealth(byId.get(id) ?? emptyHealthRow(id)));
    });
  }

  listOutcomes(options: { since?: Date; source?: JobSourceName; limit?: number } = {}): Promise<SourceOutcome[]> {
    return this.read(() => {
      const rows = this.stmt(
        `SELECT * FROM source_outcomes
         WHERE (@since IS NULL OR at_ms >= @since) AND (@source IS NULL OR source = @source)
         ORDER BY id DESC LIMIT @limit`,
      ).all({
        since: options.since?.getTime() ?? null,
        source: options.source ?? null,
        limit: clampInt(options.limit ?? 1000, 1, 100_000),
      }) as { source: string; ok: number; error: string | null; duration_ms: number; downloaded: number; download_ms: number; at: string }[];
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

  // ---- lifecycle --------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    try {
      this.writes.flush();
      // Keeps query plans good as tables grow; cheap when there is nothing to do.
      this.db.pragma('optimize');
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  /** The connection's durability settings, as SQLite reports them (diagnostics, tests). */
  settings(): { journalMode: string; synchronous: string; foreignKeys: boolean; busyTimeoutMs: number } {
    const sync = this.db.pragma('synchronous', { simple: true }) as number;
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][sync] ?? String(sync),
      foreignKeys: this.db.pragma('foreign_keys', { simple: true }) === 1,
      busyTimeoutMs: this.db.pragma('busy_timeout', { simple: true }) as number,
    };
  }

  /** Commits every queued write now (tests, benchmarks, before handing the file to another process). */
  flush(): void {
    if (!this.closed) this.writes.flush();
  }

  // ---- internals --------------------------------------------------------------------------

  /** A write of one statement. */
  private write<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError(`store ${this.file} is closed`));
    return this.writes.enqueue(run);
  }

  /** A write of several statements that must land together. */
  private writeAtomic<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError(`store ${this.file} is closed`));
    return this.writes.enqueue(run, { atomic: true });
  }

  private read<T>(run: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError(`store ${this.file} is closed`));
    try {
      this.writes.flush();
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(this.wrap(error, 'cannot read'));
    }
  }

  private wrap(error: unknown, what: string): unknown {
    if (error instanceof NotFoundError || error instanceof StoreError) return error;
    return new StoreError(`${what} in ${this.file}: ${errorMessage(error)}`, { cause: error });
  }

  /** Prepared statements, cached by their SQL (preparing costs more than running a small insert). */
  private stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private insertFileStatement(): Database.Statement {
    return this.stmt(
      `INSERT INTO files (job_id, path, source, kind, candidate_id, sha256, bytes, saved_at, doc, query, phash)
       VALUES (@job_id, @path, @source, @kind, @candidate_id, @sha256, @bytes, @saved_at, @doc, @query, @phash)`,
    );
  }

  private buildDocument(row: JobRow): JobDocument {
    const sources = JSON.parse(row.sources) as JobSourceName[];
    const statsRows = this.stmt(`SELECT source, stats FROM source_stats WHERE job_id = ?`).all(row.job_id) as {
      source: string;
      stats: string;
    }[];
    const recorded = new Map(statsRows.map((r) => [r.source, { ...emptySourceStats(), ...(JSON.parse(r.stats) as Partial<SourceStats>) }]));
    const names = [...sources, ...[...recorded.keys()].filter((s) => !sources.includes(s as JobSourceName))];
    const sourceStats: Record<string, SourceStats> = {};
    for (const name of names) sourceStats[name] = recorded.get(name) ?? emptySourceStats();
    const files = (this.stmt(`SELECT doc FROM files WHERE job_id = ? ORDER BY id`).all(row.job_id) as { doc: string }[]).map((r) => {
      // Files recorded before jobs had several queries belong to the job's one query.
      const file = JSON.parse(r.doc) as SavedFile;
      file.query ??= row.query;
      file.phash ??= null;
      return file;
    });
    const queries = row.queries === null ? [row.query] : (JSON.parse(row.queries) as string[]);
    const runs = queries.length > 1 ? this.runRows(row.job_id) : singleQueryRuns(sourceStats);
    return {
      job_id: row.job_id,
      status: row.status,
      query: row.query,
      sources,
      queries,
      limit: row.limit_per_source,
      type: row.media_type,
      created_at: row.created_at,
      started_at: row.started_at,
      finished_at: row.finished_at,
      duration_ms: row.duration_ms,
      results: jobResults(sourceStats, names, files, queryStatsOf(queries, runs)),
    };
  }

  private healthRow(source: string): HealthRow {
    return (this.stmt(`SELECT * FROM source_health WHERE source = ?`).get(source) as HealthRow | undefined) ?? emptyHealthRow(source);
  }

  private healthNow(source: string): SourceHealth {
    return this.toHealth(this.healthRow(source));
  }

  private lastCheck(source: string): SourceCheck | null {
    const row = this.stmt(`SELECT * FROM source_checks WHERE source = ?`).get(source) as
      | { source: string; status: SourceCheck['status']; found: number; duration_ms: number; detail: string; checked_at: string }
      | undefined;
    if (row === undefined) return null;
    return { id: row.source as SourceCheck['id'], status: row.status, found: row.found, duration_ms: row.duration_ms, detail: row.detail, checked_at: row.checked_at };
  }

  private toHealth(row: HealthRow): SourceHealth {
    const cooling = row.cooling_until !== null && Date.parse(row.cooling_until) > this.now() ? row.cooling_until : null;
    return {
      source: row.source as JobSourceName,
      runs: row.runs,
      successes: row.successes,
      success_rate: row.runs > 0 ? row.successes / row.runs : null,
      avg_download_ms: row.downloaded > 0 ? row.download_ms / row.downloaded : null,
      consecutive_failures: row.consecutive_failures,
      last_error: row.last_error,
      last_error_at: row.last_error_at,
      last_run_at: row.last_run_at,
      cooling_until: cooling,
      last_check: this.lastCheck(row.source),
    };
  }
}

function fileParams(jobId: string, f: SavedFile): Record<string, unknown> {
  return {
    job_id: jobId,
    path: f.path,
    source: f.source,
    kind: f.kind,
    candidate_id: f.candidate_id,
    sha256: f.sha256,
    bytes: f.bytes,
    saved_at: f.saved_at,
    doc: JSON.stringify(f),
    query: f.query ?? null,
    phash: f.phash ?? null,
  };
}

function emptyHealthRow(source: string): HealthRow {
  return {
    source,
    runs: 0,
    successes: 0,
    downloaded: 0,
    download_ms: 0,
    consecutive_failures: 0,
    last_error: null,
    last_error_at: null,
    last_run_at: null,
    cooling_until: null,
  };
}

/** `a/b/name.jpg` → `a/b/name` (a pending row may name a file before its extension is known). */
export function withoutExtension(path: string): string {
  const slash = path.lastIndexOf('/');
  const dot = path.lastIndexOf('.');
  return dot > slash + 1 ? path.slice(0, dot) : path;
}

function clampInt(n: number, min: number, max: number): number {
  if (!Number.isFinite(n)) return min;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}
