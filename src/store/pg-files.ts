// PostgreSQL file records: saved files (the download archive) and files still in flight. The
// unique (job_id, path) key, not luck, keeps two writers from recording one file twice.
import type { FileCounts } from '../core/job-results.ts';
import type { SavedFile } from '../core/types.ts';
import type { PgConnection, Queryable } from './pg-connection.ts';
import { inlineFileEvents } from './pg-events.ts';
import type { ArchivedFile, FileRepository, PendingFile } from './store.ts';
import { fileColumns, savedFileOf, withoutExtension, type FileRow } from './store-rows.ts';

export class PgFiles implements FileRepository {
  constructor(private readonly c: PgConnection) {}

  record(jobId: string, file: SavedFile): Promise<void> {
    // One statement, so atomic without a transaction: the row and the end of its pending entry.
    return this.c.write(async (db) => {
      await db.query(
        `WITH recorded AS (${INSERT_FILE} RETURNING job_id)
         DELETE FROM pending_files WHERE job_id = (SELECT job_id FROM recorded) AND path IN ($12, $13)`,
        [...fileValues(jobId, file), file.path, withoutExtension(file.path)],
      );
    });
  }

  list(jobId: string, page: { offset: number; limit: number }): Promise<SavedFile[]> {
    return this.c.read((db) => listFiles(db, jobId, page));
  }

  count(jobId: string): Promise<number> {
    return this.c.read(async (db) => (await countFiles(db, jobId)).files);
  }

  remove(jobId: string, paths: string[]): Promise<number> {
    if (paths.length === 0) return this.c.write(async () => 0);
    return this.c.writeAtomic(async (db) => {
      await inlineFileEvents(db, jobId, paths);
      const { rowCount } = await db.query(`DELETE FROM files WHERE job_id = $1 AND path = ANY($2::text[])`, [
        jobId,
        paths,
      ]);
      return rowCount ?? 0;
    });
  }

  recordedPaths(paths: string[]): Promise<string[]> {
    return this.c.read(async (db) => {
      if (paths.length === 0) return [];
      const { rows } = await db.query<{ path: string }>(
        `SELECT DISTINCT path FROM files WHERE path = ANY($1::text[])`,
        [paths],
      );
      const recorded = new Set(rows.map((r) => r.path));
      return paths.filter((p) => recorded.has(p));
    });
  }

  findArchived(query: { candidateId?: string; sha256?: string; excludeJobId?: string }): Promise<ArchivedFile | null> {
    return this.c.read(async (db) => {
      const candidateId = query.candidateId === '' ? null : (query.candidateId ?? null);
      const sha256 = query.sha256 === '' ? null : (query.sha256 ?? null);
      if (candidateId === null && sha256 === null) return null;
      const { rows } = await db.query<ArchivedFile>(
        `SELECT job_id, path, candidate_id, sha256 FROM files
         WHERE (candidate_id = $1 OR sha256 = $2) AND ($3::text IS NULL OR job_id <> $3)
         ORDER BY id DESC LIMIT 1`,
        [candidateId, sha256, query.excludeJobId ?? null],
      );
      return rows[0] ?? null;
    });
  }

  addPending(jobId: string, path: string): Promise<void> {
    return this.c.write(async (db) => {
      await db.query(
        `INSERT INTO pending_files (job_id, path, created_at) VALUES ($1, $2, $3)
         ON CONFLICT (job_id, path) DO UPDATE SET created_at = EXCLUDED.created_at`,
        [jobId, path, new Date(this.c.now()).toISOString()],
      );
    });
  }

  removePending(jobId: string, path: string): Promise<void> {
    return this.c.write(async (db) => {
      await db.query(`DELETE FROM pending_files WHERE job_id = $1 AND path = $2`, [jobId, path]);
    });
  }

  listPending(jobId?: string): Promise<PendingFile[]> {
    return this.c.read(async (db) => {
      const { rows } = await db.query<PendingFile>(
        `SELECT job_id, path, created_at FROM pending_files WHERE ($1::text IS NULL OR job_id = $1) ORDER BY job_id, path`,
        [jobId ?? null],
      );
      return rows;
    });
  }
}

/** A job's files in the order recorded, one page (a negative limit: every file from `offset`). */
export async function listFiles(
  db: Queryable,
  jobId: string,
  page: { offset: number; limit: number },
): Promise<SavedFile[]> {
  const { rows } = await db.query<FileRow>(
    `SELECT f.path, f.source, f.kind, f.candidate_id, f.sha256, f.bytes, f.saved_at, f.doc,
       COALESCE(f.query, j.query) AS query, f.phash FROM files f JOIN jobs j ON j.job_id = f.job_id
     WHERE f.job_id = $1 ORDER BY f.id LIMIT $2 OFFSET $3`,
    [jobId, page.limit < 0 ? null : page.limit, Math.max(0, page.offset)],
  );
  return rows.map((r) => savedFileOf(r, () => r.query ?? ''));
}

/** How many files a job has recorded, and how many of them are images. */
export async function countFiles(db: Queryable, jobId: string): Promise<FileCounts> {
  const { rows } = await db.query<FileCounts>(
    `SELECT COUNT(*) AS files, COUNT(*) FILTER (WHERE kind = 'image') AS images FROM files WHERE job_id = $1`,
    [jobId],
  );
  return rows[0] ?? { files: 0, images: 0 };
}

const INSERT_FILE = `INSERT INTO files (job_id, path, source, kind, candidate_id, sha256, bytes, saved_at, doc, query, phash)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;

function fileValues(jobId: string, f: SavedFile): unknown[] {
  const c = fileColumns(f);
  return [jobId, c.path, c.source, c.kind, c.candidate_id, c.sha256, c.bytes, c.saved_at, c.doc, c.query, c.phash];
}

/** Inserts file rows of one job, in order (inside a write the caller issued). */
export async function insertFiles(db: Queryable, jobId: string, files: readonly SavedFile[]): Promise<void> {
  for (const f of files) await db.query(INSERT_FILE, fileValues(jobId, f));
}
