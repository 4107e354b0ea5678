import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  COOLDOWN_BASE_MS,
  COOLDOWN_MAX_MS,
  COOLDOWN_THRESHOLD,
  cachePurgeSinceMs,
  cooldownMs,
} from '../../src/jobs/source-health-rules.ts';

const MIN = 60_000;

test('fewer than three consecutive failures never cool a source down', () => {
  assert.equal(COOLDOWN_THRESHOLD, 3);
  for (const n of [0, 1, 2, -1, Number.NaN]) assert.equal(cooldownMs(n), 0, String(n));
});

test('the third failure cools for 5 minutes and each further one doubles it', () => {
  assert.equal(COOLDOWN_BASE_MS, 5 * MIN);
  assert.deepEqual([3, 4, 5, 6, 7].map(cooldownMs), [5 * MIN, 10 * MIN, 20 * MIN, 40 * MIN, 80 * MIN]);
});

test('the cool-down is capped at 6 hours, however many failures', () => {
  assert.equal(COOLDOWN_MAX_MS, 6 * 60 * MIN);
  assert.equal(cooldownMs(9), 320 * MIN); // 5 min × 2^6, still under the cap
  assert.equal(cooldownMs(10), 6 * 60 * MIN);
  assert.equal(cooldownMs(1_000), 6 * 60 * MIN);
  assert.equal(cooldownMs(Number.POSITIVE_INFINITY), 0); // not a count: no schedule
});

test('the cache purge of a failed run starts at a whole ms (PostgreSQL stores it as BIGINT)', () => {
  const at = new Date(1_796_215_216_329);
  const since = cachePurgeSinceMs({
    source: 'bing_images',
    ok: false,
    error: 'Timeout after 3s',
    durationMs: 3003.9595,
    downloaded: 0,
    downloadMs: 0,
    at,
  });
  assert.equal(since, 1_796_215_212_325);
  assert.ok(Number.isInteger(since));
});
