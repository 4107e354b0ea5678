// The CLI's streamed `--json` writes exactly what JSON.stringify(doc, null, 2) writes, for a job
// with no file, one file, and more files than one page of the store holds.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { test } from 'node:test';
import { writeJobJson, writeWholeJobJson } from '../../src/cli/job-json.ts';
import { makeFile, makeJob } from '../store/store-fixtures.ts';

for (const count of [0, 1, 1201]) {
  test(`a job of ${count} files prints as JSON.stringify does, whole or paged`, async () => {
    const doc = makeJob(`job-${count}`);
    doc.results.files = Array.from({ length: count }, (_, i) => makeFile(i + 1, { title: `line\nbreak "${i}"` }));
    const expected = `${JSON.stringify(doc, null, 2)}\n`;

    const whole = new PassThrough();
    const wholeText = text(whole);
    await writeWholeJobJson(whole, doc);
    whole.end();
    assert.equal(await wholeText, expected);

    // Paged from a source that knows nothing of the document's own list (as the store does).
    const paged = new PassThrough();
    const pagedText = text(paged);
    const asked: number[] = [];
    await writeJobJson(
      paged,
      { ...doc, results: { ...doc.results, files: [], files_total: count } },
      (offset, limit) => {
        asked.push(offset);
        return Promise.resolve(doc.results.files.slice(offset, offset + limit));
      },
    );
    paged.end();
    assert.equal(await pagedText, expected);
    assert.equal(asked.length, Math.floor(count / 500) + 1);
  });
}
