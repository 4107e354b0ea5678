// Fast subset of the API fuzzing against the real server process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runApiFuzz } from '../../reliability/suites/api-fuzz.ts';

test('random requests never get a 5xx and a refused job creates nothing', async () => {
  const seed = Date.now() % 2 ** 31;
  const r = await runApiFuzz({ numRuns: 80, seed, log: () => {} });
  assert.equal(r.failure, null);
  assert.ok(r.aliveAtEnd);
  assert.ok(r.refusedPosts > 5, `only ${r.refusedPosts} refused submissions were tried`);
});
