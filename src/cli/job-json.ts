// `--json` of a job document, streamed: the document without its files first, then each file
// entry as it is read, page by page from the store, so that a job of any size is printed
// without its whole file list (or one string of all of it) in memory. The text is exactly
// `JSON.stringify(doc, null, 2)` of the whole document, with a newline.
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { JobDocument, SavedFile } from '../core/types.ts';

/** Files read from the store at once. */
const PAGE = 500;
/** Indentation of an entry of `results.files` in the document printed with 2 spaces. */
const ENTRY_INDENT = ' '.repeat(6);

/**
 * Writes `doc` (its `results.files` ignored) with the files `page(offset, limit)` yields, until a
 * page comes back shorter than asked for. Waits for `out` to drain between pages.
 */
export async function writeJobJson(
  out: Writable,
  doc: JobDocument,
  page: (offset: number, limit: number) => Promise<SavedFile[]>,
): Promise<void> {
  const { files_total: _total, ...results } = { ...doc.results, files: [] as SavedFile[] };
  const shell = JSON.stringify({ ...doc, results }, null, 2);
  // The empty array is the last `"files": []` of the shell (file entries come from the store).
  const at = shell.lastIndexOf('"files": []');
  const head = shell.slice(0, at + '"files": '.length);
  const tail = shell.slice(at + '"files": []'.length);
  let written = 0;
  let chunk = head;
  for (;;) {
    const files = await page(written, PAGE);
    for (const file of files) {
      chunk += `${written === 0 ? '[\n' : ',\n'}${ENTRY_INDENT}${JSON.stringify(file, null, 2).replaceAll('\n', `\n${ENTRY_INDENT}`)}`;
      written++;
    }
    if (!out.write(chunk)) await once(out, 'drain');
    chunk = '';
    if (files.length < PAGE) break;
  }
  out.write(`${written === 0 ? '[]' : '\n    ]'}${tail}\n`);
}

/** The same for a document held whole in memory (the run commands' final document). */
export function writeWholeJobJson(out: Writable, doc: JobDocument): Promise<void> {
  const all = doc.results.files;
  return writeJobJson(out, doc, (offset, limit) => Promise.resolve(all.slice(offset, offset + limit)));
}
