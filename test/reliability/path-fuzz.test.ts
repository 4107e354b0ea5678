// Fast subset of the file-name fuzzing: nothing a query, a title or a URL says
// makes a path escape DOWNLOAD_DIR, in-process and through the real CLI.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzNaming } from '../../reliability/suites/path-fuzz.ts';
import { runPathsEndToEnd } from '../../reliability/suites/path-e2e.ts';

test('querySlug, mediaFileName and safeJoin keep hostile names inside DOWNLOAD_DIR', () => {
  const seed = Date.now() % 2 ** 31;
  for (const p of fuzzNaming(1000, seed)) assert.equal(p.failure, null, `seed ${seed}: ${p.property}`);
});

test('hostile queries, titles and media URLs through the CLI write nothing outside DOWNLOAD_DIR', async () => {
  const r = await runPathsEndToEnd({ queries: 0, seed: Date.now() % 2 ** 31, log: () => {} });
  assert.deepEqual(r.escapes, []);
  assert.deepEqual(r.misplaced, []);
  assert.ok(r.files > 0, 'nothing was saved, so nothing was tested');
});
