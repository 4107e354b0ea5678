// Attribution manifests: every job writes `manifest.json` and `manifest.csv` into
// its folder DOWNLOAD_DIR/<query-slug>/ — file, source, URL, page URL, title, size, dimensions,
// SHA-256, author, license — and, with writeMetadata, a JSON sidecar `<file>.json` per file.
// Jobs with the same query share the folder, so a manifest describes the folder: this job's
// entries replace its earlier ones (a resume), other jobs' entries stay while their files exist.
// Every file is written through the job's file output (docs/ARCHITECTURE.md, "Seams") with
// writeAtomic, so a reader never sees half a manifest; a temporary file that a killed process
// left behind is removed by the folder's next write.
import type { JobDocument, SavedFile } from '../core/types.ts';
import type { FileOutput } from '../output/file-output.ts';
import { querySlug } from '../output/naming.ts';
import { csvCell } from '../output/csv-cell.ts';

export { csvCell };

export const MANIFEST_JSON = 'manifest.json';
export const MANIFEST_CSV = 'manifest.csv';
/** Suffix of a per-file metadata sidecar: `nature_001.jpg.json`. */
export const SIDECAR_SUFFIX = '.json';

/** One file in a manifest: the job document's SavedFile plus where it sits and which job saved it. */
export interface ManifestEntry {
  /** Path relative to the manifest's folder, forward slashes (`google_images/nature_001.jpg`). */
  file: string;
  /** Path relative to DOWNLOAD_DIR, as in the job document. */
  path: string;
  job_id: string;
  source: string;
  kind: string;
  url: string;
  page_url: string | null;
  title: string | null;
  bytes: number;
  width: number | null;
  height: number | null;
  sha256: string;
  mime: string;
  author: string | null;
  license: string | null;
  license_url: string | null;
  /** 64-bit perceptual hash (16 hex digits) of an image, or null. */
  phash: string | null;
  candidate_id: string;
  saved_at: string;
}

export interface Manifest {
  generator: 'harvester';
  query: string;
  /** The folder's name under DOWNLOAD_DIR. */
  folder: string;
  updated_at: string;
  jobs: { job_id: string; status: string; created_at: string; finished_at: string | null }[];
  files: ManifestEntry[];
}

export interface WriteManifestsOptions {
  /** Also write `<file>.json` beside each file of this job (`--write-metadata`). */
  writeMetadata?: boolean;
}

export interface WrittenManifests {
  /** Where manifest.json is, relative to the output's root (`nature/manifest.json`). */
  json: string;
  /** Where manifest.csv is, relative to the output's root. */
  csv: string;
  /** Sidecars written (0 without writeMetadata). */
  sidecars: number;
  /** Entries in the manifest (this job's and other jobs' still on disk). */
  entries: number;
}

/** CSV columns, in order: the attribution fields first. */
export const CSV_COLUMNS: readonly (keyof ManifestEntry)[] = [
  'file',
  'source',
  'kind',
  'url',
  'page_url',
  'title',
  'bytes',
  'width',
  'height',
  'sha256',
  'author',
  'license',
  'license_url',
  'phash',
  'mime',
  'candidate_id',
  'job_id',
  'saved_at',
];

// Manifests of one folder are read-merge-written one at a time within this process.
const folderLocks = new Map<string, Promise<unknown>>();

/**
 * Writes the job's manifests into <querySlug(query)>/ of `output` (the job's DOWNLOAD_DIR).
 * Returns what was written, or null when there is nothing to describe (no file of this or any
 * earlier job in the folder).
 */
export async function writeManifests(
  output: FileOutput,
  job: JobDocument,
  options: WriteManifestsOptions = {},
): Promise<WrittenManifests | null> {
  const queries = job.queries ?? [job.query];
  if (queries.length <= 1) return writeQueryManifests(output, job, options);
  // A job of several queries writes one manifest per query folder, each describing that folder's
  // files. Queries that differ only in case or punctuation ("Red Fox", "red fox") share a folder,
  // so its manifest lists the files of all of them (each entry keeps its own `query`).
  const bySlug = new Map<string, { query: string; files: SavedFile[] }>();
  const slugOf = new Map<string, string>();
  for (const q of queries) {
    const slug = querySlug(q);
    slugOf.set(q, slug);
    if (!bySlug.has(slug)) bySlug.set(slug, { query: q, files: [] });
  }
  for (const f of job.results.files) {
    const slug = slugOf.get(f.query);
    if (slug !== undefined) bySlug.get(slug)!.files.push(f);
  }
  let written: WrittenManifests | null = null;
  for (const { query, files } of bySlug.values()) {
    const one = await writeQueryManifests(output, { ...job, query, results: { ...job.results, files } }, options);
    written ??= one;
  }
  return written;
}

/** Writes the manifests of `job.query`'s folder, describing `job.results.files`. */
async function writeQueryManifests(
  output: FileOutput,
  job: JobDocument,
  options: WriteManifestsOptions,
): Promise<WrittenManifests | null> {
  const folder = querySlug(job.query);
  const lock = `${output.root}\0${folder}`;
  const previous = folderLocks.get(lock) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() => writeLocked(output, job, folder, options));
  folderLocks.set(lock, run);
  try {
    return await run;
  } finally {
    if (folderLocks.get(lock) === run) folderLocks.delete(lock);
  }
}

async function writeLocked(
  output: FileOutput,
  job: JobDocument,
  folder: string,
  options: WriteManifestsOptions,
): Promise<WrittenManifests | null> {
  const jsonPath = `${folder}/${MANIFEST_JSON}`;
  const csvPath = `${folder}/${MANIFEST_CSV}`;
  const earlier = await readManifest(output, jsonPath);
  const others: ManifestEntry[] = [];
  for (const e of earlier?.files ?? []) {
    // A recorded path is data, not trusted: the output refuses one that leaves its root.
    if (e.job_id !== job.job_id && typeof e.path === 'string' && (await output.exists(e.path))) others.push(e);
  }
  const mine = job.results.files.map((f) => entryOf(job.job_id, folder, f));
  if (mine.length === 0 && others.length === 0) return null;

  const otherJobIds = new Set(others.map((e) => e.job_id));
  const manifest: Manifest = {
    generator: 'harvester',
    query: job.query,
    folder,
    updated_at: new Date().toISOString(),
    jobs: [
      ...(earlier?.jobs ?? []).filter((j) => j.job_id !== job.job_id && otherJobIds.has(j.job_id)),
      { job_id: job.job_id, status: job.status, created_at: job.created_at, finished_at: job.finished_at },
    ],
    files: [...others, ...mine],
  };

  const swept = new Set<string>([folder]);
  await output.sweepTemporaries(folder);
  let sidecars = 0;
  if (options.writeMetadata) {
    for (const f of job.results.files) {
      if (!(await output.exists(f.path))) continue;
      const dir = f.path.slice(0, Math.max(f.path.lastIndexOf('/'), 0));
      if (!swept.has(dir)) {
        swept.add(dir);
        await output.sweepTemporaries(dir);
      }
      await output.writeAtomic(
        `${f.path}${SIDECAR_SUFFIX}`,
        `${JSON.stringify({ job_id: job.job_id, ...f, query: f.query ?? job.query }, null, 2)}\n`,
      );
      sidecars++;
    }
  }
  await output.writeAtomic(jsonPath, `${JSON.stringify(manifest, null, 2)}\n`);
  await output.writeAtomic(csvPath, toCsv(manifest.files));
  return { json: jsonPath, csv: csvPath, sidecars, entries: manifest.files.length };
}

/** RFC 4180 CSV (CRLF, quoted where needed) with spreadsheet formulas defused. */
export function toCsv(entries: readonly ManifestEntry[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of entries) lines.push(CSV_COLUMNS.map((c) => csvCell(e[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function entryOf(jobId: string, folderName: string, f: SavedFile): ManifestEntry {
  const prefix = `${folderName}/`;
  return {
    file: f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path,
    path: f.path,
    job_id: jobId,
    source: f.source,
    kind: f.kind,
    url: f.url,
    page_url: f.page_url,
    title: f.title,
    bytes: f.bytes,
    width: f.width,
    height: f.height,
    sha256: f.sha256,
    mime: f.mime,
    author: f.author,
    license: f.license,
    license_url: f.license_url,
    phash: f.phash ?? null,
    candidate_id: f.candidate_id,
    saved_at: f.saved_at,
  };
}

/** The folder's current manifest, or null when there is none or it cannot be read (it is rewritten whole). */
async function readManifest(output: FileOutput, path: string): Promise<Manifest | null> {
  const text = await output.readText(path);
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as Partial<Manifest>;
    if (!Array.isArray(parsed.files) || !Array.isArray(parsed.jobs)) return null;
    return parsed as Manifest;
  } catch {
    return null;
  }
}
