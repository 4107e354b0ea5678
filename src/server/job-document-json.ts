// Serialising job documents cheaply. Nearly all of a big document is its `results.files`, and a
// saved file's entry never changes once it is listed (a resume or retry only appends; a rare
// failed rename removes one). So each file's JSON is kept per job, keyed by the file's path and
// hash, and a document is written as its small rest plus the kept entries joined — a few
// milliseconds less per load of a 2,000-file document than serialising it whole.
import { randomBytes } from 'node:crypto';
import type { JobDocument, SavedFile } from '../core/types.ts';

/** Stands in for the files array while the rest is serialised; random so no value can contain it. */
const PLACEHOLDER = `@@files-${randomBytes(8).toString('hex')}@@`;

export interface JobDocumentWriter {
  /** The document as JSON, byte-for-byte what JSON.stringify would write. */
  write(doc: JobDocument): string;
}

function keyOf(file: SavedFile): string {
  return `${file.path}\u0000${file.sha256}`;
}

export function createJobDocumentWriter(options: { maxJobs?: number } = {}): JobDocumentWriter {
  const maxJobs = options.maxJobs ?? 32;
  const perJob = new Map<string, Map<string, string>>(); // least recently used first

  return {
    write(doc) {
      let kept = perJob.get(doc.job_id);
      if (kept) perJob.delete(doc.job_id);
      const next = new Map<string, string>();
      const parts: string[] = [];
      for (const file of doc.results.files) {
        const key = keyOf(file);
        let json = kept?.get(key);
        json ??= JSON.stringify(file);
        next.set(key, json);
        parts.push(json);
      }
      kept = next;
      perJob.set(doc.job_id, kept);
      for (const id of perJob.keys()) {
        if (perJob.size <= maxJobs) break;
        perJob.delete(id);
      }
      const shell = JSON.stringify({ ...doc, results: { ...doc.results, files: PLACEHOLDER } });
      const at = shell.lastIndexOf(`"${PLACEHOLDER}"`);
      return `${shell.slice(0, at)}[${parts.join(',')}]${shell.slice(at + PLACEHOLDER.length + 2)}`;
    },
  };
}
