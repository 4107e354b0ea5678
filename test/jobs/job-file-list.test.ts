// A running job keeps its files' counts and first page only; indexes stay right when a file
// listed earlier is unlisted, and the first page is read again from the store then.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DOCUMENT_FILES_MAX, type SavedFile } from '../../src/core/types.ts';
import { JobFileList, fileCounts } from '../../src/jobs/job-file-list.ts';
import { makeFile, makeJob } from '../store/store-fixtures.ts';

test('a job of more files than one page keeps the first page and counts them all', () => {
  const results = makeJob('j').results;
  const list = new JobFileList(results, () => Promise.resolve([]));
  const n = DOCUMENT_FILES_MAX + 50;
  for (let i = 0; i < n; i++) {
    const listing = list.add(makeFile(i + 1, { kind: i % 10 === 0 ? 'video' : 'image' }));
    assert.equal(list.indexOf(listing), i);
  }
  assert.equal(results.files.length, DOCUMENT_FILES_MAX);
  assert.deepEqual(fileCounts(results), { files: n, images: n - 15 });
  assert.equal(results.files_total, n);
  assert.equal(results.downloaded, n);
  assert.equal(results.videos, 15);
});

test('a whole list read from the store becomes the first page and the counts', () => {
  const results = makeJob('j').results;
  results.files = Array.from({ length: 250 }, (_, i) => makeFile(i + 1));
  const list = new JobFileList(results, () => Promise.resolve([]));
  assert.equal(results.files.length, DOCUMENT_FILES_MAX);
  assert.equal(list.count, 250);
  assert.equal(list.indexOf(list.add(makeFile(251))), 250);
});

test('files listed after an unlisted one move up by one; the first page is read again', async () => {
  const store: SavedFile[] = [];
  const results = makeJob('j').results;
  const list = new JobFileList(results, () => Promise.resolve(store.slice(0, DOCUMENT_FILES_MAX)));
  const listings = Array.from({ length: DOCUMENT_FILES_MAX + 2 }, (_, i) => {
    const file = makeFile(i + 1);
    store.push(file);
    return { file, listing: list.add(file) };
  });
  const gone = listings[3]!;
  store.splice(3, 1);
  await list.remove(gone.listing, gone.file);
  assert.equal(list.indexOf(listings[2]!.listing), 2);
  assert.equal(list.indexOf(listings[4]!.listing), 3);
  assert.equal(list.indexOf(listings.at(-1)!.listing), DOCUMENT_FILES_MAX);
  assert.equal(results.files.length, DOCUMENT_FILES_MAX);
  assert.equal(results.files[3], listings[4]!.file);
  assert.equal(list.count, DOCUMENT_FILES_MAX + 1);
  // A file listed after the removal gets the next index.
  assert.equal(list.indexOf(list.add(makeFile(999))), DOCUMENT_FILES_MAX + 1);
});
