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
  /**
   * Reads the job's files a page at a time, in the order recorded (the runner's: from the store,
   * whose document lists only the first files). Without it, `job.results.files` are all of them.
   */
  files?: FilePages;
}

/** One page of a job's files: `limit` of them from `offset`; a shorter page is the last. */
export type FilePages = (offset: number, limit: number) => Promise<SavedFile[]>;

/** Files read at once while a manifest is written. */
const PAGE = 500;

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
  const pages = options.files ?? pagesOf(job.results.files);
  // One query: its folder's manifest streams the job's files page by page, never all in memory.
  if (queries.length <= 1) return writeQueryManifests(output, job, job.query, () => eachFile(pages), options);
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
  for await (const f of eachFile(pages)) {
    const slug = slugOf.get(f.query);
    if (slug !== undefined) bySlug.get(slug)!.files.push(f);
  }
  let written: WrittenManifests | null = null;
  for (const { query, files } of bySlug.values()) {
    const one = await writeQueryManifests(output, job, query, () => eachFile(pagesOf(files)), options);
    written ??= one;
  }
  return written;
}

function pagesOf(files: readonly SavedFile[]): FilePages {
  return (offset, limit) => Promise.resolve(files.slice(offset, offset + limit));
}

async function* eachFile(pages: FilePages): AsyncGenerator<SavedFile> {
  for (let offset = 0; ; offset += PAGE) {
    const page = await pages(offset, PAGE);
    yield* page;
    if (page.length < PAGE) return;
  }
}

/** This job's files of one folder, read anew each time (the manifests and sidecars each go through them). */
type FolderFiles = () => AsyncIterable<SavedFile>;

/** Writes the manifests of `query`'s folder, describing `files` and other jobs' files still there. */
async function writeQueryManifests(
  output: FileOutput,
  job: JobDocument,
  query: string,
  files: FolderFiles,
  options: WriteManifestsOptions,
): Promise<WrittenManifests | null> {
  const folder = querySlug(query);
  const lock = `${output.root}\0${folder}`;
  const previous = folderLocks.get(lock) ?? Promise.resolve();
  const run = previous.catch(() => {}).then(() => writeLocked(output, job, query, folder, files, options));
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
  query: string,
  folder: string,
  files: FolderFiles,
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
  let any = others.length > 0;
  if (!any) {
    for await (const _ of files()) {
      any = true;
      break;
    }
  }
  if (!any) return null;

  const otherJobIds = new Set(others.map((e) => e.job_id));
  const shell: Manifest = {
    generator: 'harvester',
    query,
    folder,
    updated_at: new Date().toISOString(),
    jobs: [
      ...(earlier?.jobs ?? []).filter((j) => j.job_id !== job.job_id && otherJobIds.has(j.job_id)),
      { job_id: job.job_id, status: job.status, created_at: job.created_at, finished_at: job.finished_at },
    ],
    files: [],
  };
  const entries = async function* (): AsyncGenerator<ManifestEntry> {
    yield* others;
    for await (const f of files()) yield entryOf(job.job_id, folder, f);
  };

  const swept = new Set<string>([folder]);
  await output.sweepTemporaries(folder);
  let sidecars = 0;
  if (options.writeMetadata) {
    for await (const f of files()) {
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
  let count = 0;
  const counted = async function* (): AsyncGenerator<ManifestEntry> {
    for await (const e of entries()) {
      count++;
      yield e;
    }
  };
  await output.writeAtomic(jsonPath, manifestJson(shell, counted()));
  await output.writeAtomic(csvPath, csvText(entries()));
  return { json: jsonPath, csv: csvPath, sidecars, entries: count };
}

/**
 * `JSON.stringify(manifest, null, 2)` and a newline, with `entries` as its `files`, a piece at a
 * time: a folder of any size is written without its whole text (or every entry) in memory.
 */
async function* manifestJson(shell: Manifest, entries: AsyncIterable<ManifestEntry>): AsyncGenerator<string> {
  const text = JSON.stringify(shell, null, 2);
  // `files` is the manifest's last field: its empty array is the text's last `"files": []`.
  const at = text.lastIndexOf('"files": []');
  let chunk = text.slice(0, at + '"files": '.length);
  let first = true;
  for await (const e of entries) {
    chunk += `${first ? '[\n' : ',\n'}    ${JSON.stringify(e, null, 2).replaceAll('\n', '\n    ')}`;
    first = false;
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  yield `${chunk}${first ? '[]' : '\n  ]'}${text.slice(at + '"files": []'.length)}\n`;
}

async function* csvText(entries: AsyncIterable<ManifestEntry>): AsyncGenerator<string> {
  let chunk = `${CSV_COLUMNS.join(',')}\r\n`;
  for await (const e of entries) {
    chunk += `${csvRow(e)}\r\n`;
    if (chunk.length >= 64 * 1024) {
      yield chunk;
      chunk = '';
    }
  }
  yield chunk;
}

function csvRow(e: ManifestEntry): string {
  return CSV_COLUMNS.map((c) => csvCell(e[c])).join(',');
}

/** RFC 4180 CSV (CRLF, quoted where needed) with spreadsheet formulas defused. */
export function toCsv(entries: readonly ManifestEntry[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of entries) lines.push(csvRow(e));
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
