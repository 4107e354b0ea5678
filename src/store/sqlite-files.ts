// SQLite file records: saved files (the download archive) and files still in flight.
import type { FileCounts } from '../core/job-results.ts';
import type { SavedFile } from '../core/types.ts';
import type { SqliteConnection } from './sqlite-connection.ts';
import type { ArchivedFile, FileRepository, PendingFile } from './store.ts';
import { inlineFileEvents } from './sqlite-events.ts';
import { FILE_COLUMNS, fileColumns, savedFileOf, withoutExtension, type FileRow } from './store-rows.ts';

export class SqliteFiles implements FileRepository {
  /** Files queued for recording and not committed yet: the download archive answers from them too. */
  private readonly queued = new Set<ArchivedFile>();

  constructor(private readonly c: SqliteConnection) {}

  async record(jobId: string, file: SavedFile): Promise<void> {
    const entry: ArchivedFile = {
      job_id: jobId,
      path: file.path,
      candidate_id: file.candidate_id,
      sha256: file.sha256,
    };
    this.queued.add(entry);
    try {
      await this.c.writeAtomic(() => {
        insertFile(this.c, jobId, file);
        this.c
          .stmt(`DELETE FROM pending_files WHERE job_id = ? AND path IN (?, ?)`)
          .run(jobId, file.path, withoutExtension(file.path));
      });
    } finally {
      this.queued.delete(entry);
    }
  }

  list(jobId: string, page: { offset: number; limit: number }): Promise<SavedFile[]> {
    return this.c.read(() => listFiles(this.c, jobId, page));
  }

  count(jobId: string): Promise<number> {
    return this.c.read(() => countFiles(this.c, jobId).files);
  }

  remove(jobId: string, paths: string[]): Promise<number> {
    return this.c.writeAtomic(() => {
      const find = this.c.stmt(`SELECT id FROM files WHERE job_id = ? AND path = ?`);
      const ids = new Set<number>();
      for (const p of paths) {
        const row = find.get(jobId, p) as { id: number } | undefined;
        if (row !== undefined) ids.add(row.id);
      }
      inlineFileEvents(this.c, jobId, ids);
      const del = this.c.stmt(`DELETE FROM files WHERE id = ?`);
      for (const id of ids) del.run(id);
      return ids.size;
    });
  }

  recordedPaths(paths: string[]): Promise<string[]> {
    return this.c.read(() => {
      const has = this.c.stmt(`SELECT 1 FROM files WHERE path = ? LIMIT 1`);
      return paths.filter((p) => has.get(p) !== undefined);
    });
  }

  findArchived(query: { candidateId?: string; sha256?: string; excludeJobId?: string }): Promise<ArchivedFile | null> {
    // Without a flush: the files of this process not committed yet are answered from `queued`
    // (the newest of all), the rest from the database.
    let newest: ArchivedFile | null = null;
    for (const f of this.queued) {
      if (f.job_id === query.excludeJobId) continue;
      if ((query.candidateId && f.candidate_id === query.candidateId) || (query.sha256 && f.sha256 === query.sha256))
        newest = f;
    }
    if (newest !== null) return Promise.resolve({ ...newest });
    return this.c.readCommitted(() => {
      const exclude = query.excludeJobId ?? null;
      let best: (ArchivedFile & { id: number }) | undefined;
      for (const [column, value] of [
        ['candidate_id', query.candidateId],
        ['sha256', query.sha256],
      ] as const) {
        if (value === undefined || value === '') continue;
        const row = this.c
          .stmt(
            `SELECT id, job_id, path, candidate_id, sha256 FROM files
             WHERE ${column} = ? AND (? IS NULL OR job_id <> ?) ORDER BY id DESC LIMIT 1`,
          )
          .get(value, exclude, exclude) as (ArchivedFile & { id: number }) | undefined;
        if (row !== undefined && (best === undefined || row.id > best.id)) best = row;
      }
      if (best === undefined) return null;
      return { job_id: best.job_id, path: best.path, candidate_id: best.candidate_id, sha256: best.sha256 };
    });
  }

  addPending(jobId: string, path: string): Promise<void> {
    return this.c.write(() => {
      this.c
        .stmt(`INSERT OR REPLACE INTO pending_files (job_id, path, created_at) VALUES (?, ?, ?)`)
        .run(jobId, path, new Date(this.c.now()).toISOString());
    });
  }

  removePending(jobId: string, path: string): Promise<void> {
    return this.c.write(() => {
      this.c.stmt(`DELETE FROM pending_files WHERE job_id = ? AND path = ?`).run(jobId, path);
    });
  }

  listPending(jobId?: string): Promise<PendingFile[]> {
    return this.c.read(() =>
      jobId === undefined
        ? (this.c
            .stmt(`SELECT job_id, path, created_at FROM pending_files ORDER BY job_id, path`)
            .all() as PendingFile[])
        : (this.c
            .stmt(`SELECT job_id, path, created_at FROM pending_files WHERE job_id = ? ORDER BY path`)
            .all(jobId) as PendingFile[]),
    );
  }
}

/** A job's files in the order recorded, one page (read inside a read the caller started). */
export function listFiles(c: SqliteConnection, jobId: string, page: { offset: number; limit: number }): SavedFile[] {
  const rows = c
    .stmt(`SELECT ${FILE_COLUMNS} FROM files WHERE job_id = ? ORDER BY id LIMIT ? OFFSET ?`)
    .all(jobId, page.limit, page.offset) as FileRow[];
  let jobQuery: string | undefined;
  const queryOfJob = (): string =>
    (jobQuery ??= (c.stmt(`SELECT query FROM jobs WHERE job_id = ?`).get(jobId) as { query: string }).query);
  return rows.map((r) => savedFileOf(r, queryOfJob));
}

/** How many files a job has recorded, and how many of them are images. */
export function countFiles(c: SqliteConnection, jobId: string): FileCounts {
  const row = c
    .stmt(`SELECT COUNT(*) AS files, COALESCE(SUM(kind = 'image'), 0) AS images FROM files WHERE job_id = ?`)
    .get(jobId) as FileCounts;
  return row;
}

/** Inserts one file row (inside a write the caller queued). */
export function insertFile(c: SqliteConnection, jobId: string, f: SavedFile): void {
  c.stmt(
    `INSERT INTO files (job_id, path, source, kind, candidate_id, sha256, bytes, saved_at, doc, query, phash)
     VALUES (@job_id, @path, @source, @kind, @candidate_id, @sha256, @bytes, @saved_at, @doc, @query, @phash)`,
  ).run({ job_id: jobId, ...fileColumns(f) });
}
