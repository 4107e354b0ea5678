// `harvester export`: a job's files as a data set in a folder of the user's choosing, which must
// be empty or absent (a data set is never mixed into something else, and a refusal writes
// nothing). JSON Lines and CSV exports follow the Hugging Face imagefolder layout: the metadata
// file at the root and each file hard-linked below it at the path it has under DOWNLOAD_DIR (a
// copy where a link cannot be made: another file system, or one without links). Webdataset
// exports write numbered tar shards. Every file is streamed; none is read whole.
// The job's files are read through its file output (docs/ARCHITECTURE.md, "Seams"). The export
// folder itself is written with node:fs: it lies outside the output's root, on this machine,
// where the user asked for it (`--out`), and the training code that reads it wants a plain folder.
import { createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConfigError, DiskError } from '../../core/errors.ts';
import type { SavedFile } from '../../core/types.ts';
import type { FileOutput, StoredFile } from '../file-output.ts';
import { ATTRIBUTION_FILE, attributionMarkdown } from './attribution.ts';
import { exportFileName, METADATA_FILE, sampleKeys, type ExportFormat } from './dataset-record.ts';
import { metadataCsv, metadataJsonl, webdatasetShard, type LocatedFile, type Sample } from './dataset-streams.ts';

export interface ExportOptions {
  format: ExportFormat;
  /** The export folder (absolute). */
  dir: string;
  /** Samples per webdataset shard. */
  shardSize: number;
  attribution: boolean;
  /** A title for ATTRIBUTION.md (the job's queries). */
  title: string;
  /** The job's file output (its DOWNLOAD_DIR), where the files are read from. */
  output: FileOutput;
}

export interface ExportResult {
  dir: string;
  /** Files exported. */
  files: number;
  /** Files of the job that are no longer on disk (left out). */
  missing: string[];
  /** What was written at the export's root, in order. */
  written: string[];
  /** Files copied because a hard link could not be made. */
  copied: number;
}

/** Makes `dir` (and its parents) or accepts it when it is an empty folder; anything else is a usage error, and nothing is written. */
export async function claimExportDirectory(dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  try {
    await mkdir(dir);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const info = await stat(dir);
  if (!info.isDirectory())
    throw new ConfigError(`--out ${dir} is not a folder; name an empty or new folder (nothing was written)`);
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new ConfigError(
      `--out ${dir} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); name an empty or new folder (nothing was written)`,
    );
  }
}

export async function exportDataset(files: readonly SavedFile[], options: ExportOptions): Promise<ExportResult> {
  const located: LocatedFile[] = [];
  const missing: string[] = [];
  for (const file of files) {
    const stored = await options.output.open(file.path);
    if (stored === null) missing.push(file.path);
    else located.push({ file, stored });
  }
  await claimExportDirectory(options.dir);
  const result: ExportResult = { dir: options.dir, files: located.length, missing, written: [], copied: 0 };
  const kept = located.map((l) => l.file);
  if (options.format === 'webdataset') {
    const keys = sampleKeys(kept);
    const samples: Sample[] = located.map((l, i) => ({ ...l, key: keys[i]! }));
    const shardSize = Math.max(1, options.shardSize);
    for (let shard = 0; shard * shardSize < samples.length || (shard === 0 && samples.length === 0); shard++) {
      const name = shardName(shard);
      await writeStream(
        join(options.dir, name),
        webdatasetShard(samples.slice(shard * shardSize, (shard + 1) * shardSize)),
      );
      result.written.push(name);
    }
  } else {
    for (const l of located) {
      const how = await placeBelow(l.stored, join(options.dir, ...exportFileName(l.file).split('/')), options.dir);
      if (how === 'copied') result.copied += 1;
    }
    const name = METADATA_FILE[options.format];
    await writeStream(join(options.dir, name), options.format === 'jsonl' ? metadataJsonl(kept) : metadataCsv(kept));
    result.written.push(name);
  }
  if (options.attribution) {
    await writeStream(join(options.dir, ATTRIBUTION_FILE), attributionMarkdown(kept, options.title));
    result.written.push(ATTRIBUTION_FILE);
  }
  return result;
}

/** `00000.tar`, `00001.tar`, … */
export function shardName(index: number): string {
  return `${String(index).padStart(5, '0')}.tar`;
}

async function writeStream(path: string, chunks: AsyncIterable<Buffer | string>): Promise<void> {
  await pipeline(Readable.from(chunks), createWriteStream(path, { flags: 'wx' }));
}

/**
 * Puts `stored` at `to` (below `root`, which this export created empty, so no link can lie in the
 * way): hard-linked where the file system allows, else copied.
 */
async function placeBelow(stored: StoredFile, to: string, root: string): Promise<'linked' | 'copied'> {
  const rel = relative(root, to);
  if (rel.startsWith('..') || rel.split(sep).includes('..'))
    throw new DiskError(`refusing to write ${to}: it is not below ${root}`);
  await mkdir(dirname(to), { recursive: true });
  const parent = await lstat(dirname(to));
  if (!parent.isDirectory()) throw new DiskError(`cannot write below ${dirname(to)}: it is not a folder`);
  return stored.copyTo(to);
}
