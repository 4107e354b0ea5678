// The contents of a data-set export, each as an async stream of chunks that a file or an HTTP
// response consumes at its own pace: the imagefolder metadata (JSON Lines or CSV) and webdataset
// shards (a tar of `<key>.<ext>`, `<key>.json`, `<key>.txt` per sample, in that order, so a
// sample's parts are adjacent as webdataset's readers expect).
import type { SavedFile } from '../../core/types.ts';
import { csvCell } from '../csv-cell.ts';
import type { StoredFile } from '../file-output.ts';
import { exportFileName, fileExtension, METADATA_COLUMNS, recordOf, type MetadataRow } from './dataset-record.ts';
import { tarChunks, type TarEntry } from './tar.ts';

/** A file of the job found in its file output, ready to be read. */
export interface LocatedFile {
  file: SavedFile;
  stored: StoredFile;
}

/** A file of the job with its webdataset key. */
export interface Sample extends LocatedFile {
  key: string;
}

export function metadataRow(file: SavedFile): MetadataRow {
  return { file_name: exportFileName(file), ...recordOf(file) };
}

/** `metadata.jsonl`: one JSON object a line, `file_name` first. */
export async function* metadataJsonl(files: Iterable<SavedFile>): AsyncGenerator<string> {
  for (const file of files) yield `${JSON.stringify(metadataRow(file))}\n`;
}

/** `metadata.csv`: RFC 4180 with a header line, spreadsheet formulas defused. */
export async function* metadataCsv(files: Iterable<SavedFile>): AsyncGenerator<string> {
  yield `${METADATA_COLUMNS.join(',')}\r\n`;
  for (const file of files) {
    const row = metadataRow(file);
    yield `${METADATA_COLUMNS.map((c) => csvCell(row[c])).join(',')}\r\n`;
  }
}

/** One webdataset shard: the samples' files, JSON records and captions. */
export function webdatasetShard(samples: Iterable<Sample>): AsyncGenerator<Buffer> {
  return tarChunks(sampleEntries(samples));
}

function* sampleEntries(samples: Iterable<Sample>): Generator<TarEntry> {
  for (const sample of samples) {
    const { file, key } = sample;
    const mtime = new Date(file.saved_at);
    const when = Number.isNaN(mtime.getTime()) ? new Date(0) : mtime;
    yield {
      name: `${key}.${fileExtension(file.path)}`,
      size: sample.stored.size,
      mtime: when,
      body: () => sample.stored.read(),
    };
    const json = Buffer.from(`${JSON.stringify(recordOf(file))}\n`);
    yield { name: `${key}.json`, size: json.length, mtime: when, body: json };
    const caption = Buffer.from(file.title ?? '');
    yield { name: `${key}.txt`, size: caption.length, mtime: when, body: caption };
  }
}
