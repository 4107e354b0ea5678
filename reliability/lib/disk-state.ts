// Disk and database agreement: every recorded file exists with its size and hash,
// nothing partial (.part) is left, and no media file on disk is unrecorded. What is recorded is
// read both from the database itself (read-only) and from the job documents the faces show
// (CLI `job <id> --json`, API `GET /api/jobs/:id`), and the two are compared.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import Database from 'better-sqlite3';
import type { JobDocument } from '../../src/core/types.ts';

export interface TreeEntry {
  /** Path relative to the scanned root, with forward slashes. */
  rel: string;
  bytes: number;
}

export interface Tree {
  /** Media files (everything that is not metadata, a partial or a temporary file). */
  media: TreeEntry[];
  /** Partial downloads (`*.part`). */
  parts: TreeEntry[];
  /** Manifests and metadata sidecars (`*.json`, `*.csv`). */
  metadata: TreeEntry[];
  /** Temporary files other than `.part` (`*.tmp`), which a crash may leave. */
  temp: TreeEntry[];
}

/** Every file under `root`, classified. A missing root is an empty tree. */
export function scanTree(root: string): Tree {
  const tree: Tree = { media: [], parts: [], metadata: [], temp: [] };
  if (!existsSync(root)) return tree;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      let bytes: number;
      try {
        bytes = statSync(full).size;
      } catch {
        continue; // removed between readdir and stat (a job still running)
      }
      const item = { rel: relative(root, full).split(sep).join('/'), bytes };
      const name = entry.name.toLowerCase();
      if (name.endsWith('.part')) tree.parts.push(item);
      else if (name.endsWith('.tmp') || name.includes('.tmp-')) tree.temp.push(item);
      else if (name.endsWith('.json') || name.endsWith('.csv')) tree.metadata.push(item);
      else tree.media.push(item);
    }
  };
  walk(root);
  return tree;
}

/** One file a job recorded, from a job document or straight from the database. */
export interface RecordedFile {
  job_id: string;
  path: string;
  bytes: number;
  sha256: string;
  candidate_id: string;
}

export function recordedFromDocs(docs: readonly JobDocument[]): RecordedFile[] {
  return docs.flatMap((doc) =>
    doc.results.files.map((f) => ({
      job_id: doc.job_id,
      path: f.path,
      bytes: f.bytes,
      sha256: f.sha256,
      candidate_id: f.candidate_id,
    })),
  );
}

/** The `files` table of the store (src/store/schema.ts), read-only. */
export function recordedFromDb(dbPath: string): RecordedFile[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare('SELECT job_id, path, bytes, sha256, candidate_id FROM files ORDER BY id')
      .all() as RecordedFile[];
  } finally {
    db.close();
  }
}

export interface Agreement {
  ok: boolean;
  /** Files recorded. */
  recorded: number;
  /** Media files found on disk. */
  onDisk: number;
  problems: string[];
}

/**
 * Checks that what is recorded and the directory agree: every recorded file exists with its
 * size and SHA-256, no path is recorded twice, no job holds the same candidate or content
 * twice, no `.part` or temporary file remains, and no media file on disk is unrecorded.
 */
export function checkAgreement(
  recorded: readonly RecordedFile[],
  downloadDir: string,
  options: { hash?: boolean } = {},
): Agreement {
  const problems: string[] = [];
  const tree = scanTree(downloadDir);
  const listed = new Map<string, string>();
  const perJob = new Map<string, { candidates: Set<string>; hashes: Set<string> }>();
  for (const file of recorded) {
    const where = `job ${file.job_id}: ${file.path}`;
    if (listed.has(file.path)) problems.push(`${where} is recorded twice (also by job ${listed.get(file.path)})`);
    listed.set(file.path, file.job_id);
    let seen = perJob.get(file.job_id);
    if (!seen) perJob.set(file.job_id, (seen = { candidates: new Set(), hashes: new Set() }));
    if (seen.candidates.has(file.candidate_id))
      problems.push(`${where}: candidate ${file.candidate_id} saved twice in one job`);
    seen.candidates.add(file.candidate_id);
    if (seen.hashes.has(file.sha256))
      problems.push(`${where}: content ${file.sha256.slice(0, 12)} saved twice in one job`);
    seen.hashes.add(file.sha256);
    const full = join(downloadDir, file.path);
    let size: number;
    try {
      size = statSync(full).size;
    } catch {
      problems.push(`${where} is recorded but missing on disk`);
      continue;
    }
    if (size !== file.bytes) problems.push(`${where} is ${size} bytes on disk, ${file.bytes} recorded`);
    else if (options.hash !== false) {
      const sha = createHash('sha256').update(readFileSync(full)).digest('hex');
      if (sha !== file.sha256) problems.push(`${where}: SHA-256 on disk differs from the recorded one`);
    }
  }
  for (const part of tree.parts) problems.push(`partial file left: ${part.rel} (${part.bytes} bytes)`);
  for (const temp of tree.temp) problems.push(`temporary file left: ${temp.rel}`);
  for (const media of tree.media)
    if (!listed.has(media.rel)) problems.push(`unrecorded media file: ${media.rel} (${media.bytes} bytes)`);
  return { ok: problems.length === 0, recorded: recorded.length, onDisk: tree.media.length, problems };
}

/** Differences between two lists of recorded files (a face's documents against the database). */
export function compareRecords(
  a: readonly RecordedFile[],
  b: readonly RecordedFile[],
  labels: [string, string],
): string[] {
  const key = (f: RecordedFile): string => `${f.job_id} ${f.path} ${f.bytes} ${f.sha256}`;
  const ka = new Set(a.map(key));
  const kb = new Set(b.map(key));
  const problems: string[] = [];
  for (const k of ka) if (!kb.has(k)) problems.push(`in ${labels[0]} but not in ${labels[1]}: ${k}`);
  for (const k of kb) if (!ka.has(k)) problems.push(`in ${labels[1]} but not in ${labels[0]}: ${k}`);
  return problems;
}

/** `PRAGMA integrity_check` of the database at `path`, opened read-only: "ok" or the problems. */
export function integrityCheck(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}
