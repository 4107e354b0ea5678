// What a data-set export says about each file: the same fields in every format (JSON Lines and
// CSV rows, a webdataset sample's `.json`), and the sample key that names a file in webdataset
// shards. Keys come from the file's content hash, never from its position, so exporting the same
// job twice — or a job that grew by a resume — names each picture the same way.
import { createHash } from 'node:crypto';
import type { SavedFile } from '../../core/types.ts';

export const EXPORT_FORMATS = ['jsonl', 'csv', 'webdataset'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The metadata file each format writes at the export's root (webdataset has none: it writes shards). */
export const METADATA_FILE = { jsonl: 'metadata.jsonl', csv: 'metadata.csv' } as const;

/** Samples per webdataset shard unless told otherwise. */
export const DEFAULT_SHARD_SIZE = 1000;
export const MAX_SHARD_SIZE = 1_000_000;

/** One file of the data set, in column order. */
export interface DatasetRecord {
  query: string;
  title: string | null;
  source: string;
  url: string;
  page_url: string | null;
  author: string | null;
  license: string | null;
  license_url: string | null;
  width: number | null;
  height: number | null;
  sha256: string;
  phash: string | null;
}

/** A JSON Lines or CSV row: the record plus where the file lies, relative to the export folder. */
export type MetadataRow = { file_name: string } & DatasetRecord;

/** Columns of metadata.csv, in order (the imagefolder loader needs `file_name`). */
export const METADATA_COLUMNS: readonly (keyof MetadataRow)[] = [
  'file_name',
  'query',
  'title',
  'source',
  'url',
  'page_url',
  'author',
  'license',
  'license_url',
  'width',
  'height',
  'sha256',
  'phash',
];

export function recordOf(file: SavedFile): DatasetRecord {
  return {
    query: file.query,
    title: file.title,
    source: file.source,
    url: file.url,
    page_url: file.page_url,
    author: file.author,
    license: file.license,
    license_url: file.license_url,
    width: file.width,
    height: file.height,
    sha256: file.sha256,
    phash: file.phash,
  };
}

/** Where a file lies below the export folder: the same relative path it has below DOWNLOAD_DIR. */
export function exportFileName(file: SavedFile): string {
  return file.path;
}

/** Hex digits of a sample key: 96 bits, so two different files never meet in practice. */
const KEY_HEX = 24;

/**
 * A key per file, from its SHA-256. A job keeps one file per content, but should two entries
 * share one (an old job, a hand-edited store), the later gets a key mixed from its candidate id,
 * which is as stable as the hash. Keys are lowercase hex: no dot, which webdataset reads as the
 * start of the extension.
 */
export function sampleKeys(files: readonly SavedFile[]): string[] {
  const used = new Set<string>();
  return files.map((file) => {
    let key = /^[0-9a-f]{64}$/.test(file.sha256) ? file.sha256.slice(0, KEY_HEX) : digest(file.sha256);
    for (let salt = file.candidate_id; used.has(key); salt += '+') key = digest(`${file.sha256}\n${salt}`);
    used.add(key);
    return key;
  });
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, KEY_HEX);
}

/** The extension of a saved file, lowercase, letters and digits only (`jpg`, `mp4`); `bin` when it has none. */
export function fileExtension(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  return /^[a-z0-9]{1,10}$/.test(ext) ? ext : 'bin';
}
