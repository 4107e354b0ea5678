// Filters and near-duplicates through the real server: `filters` and `keep_near_duplicates` of
// POST /api/jobs are applied, and the job document, its per-query stats and its files say so.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { licenseAllowed, normalizeLicense } from '../../src/core/license.ts';
import type { JobDocument } from '../../src/core/types.ts';
import { call, serverFactory, submit } from './helpers.ts';

const startServer = serverFactory();

test('POST /api/jobs with filters: licences and sizes applied, counted per source, per query and per reason', async () => {
  const s = await startServer({ sources: ['openverse', 'unsplash', 'google_images'] });
  const id = await submit(s, {
    queries: ['duhok', 'city'],
    sources: ['openverse', 'unsplash', 'google_images'],
    limit: 3,
    filters: { license: 'open', min_width: 50 },
  });
  await s.jobs.wait(id);
  const doc = (await call(s.url, 'GET', `/api/jobs/${id}`)).body as JobDocument;
  assert.ok(doc.results.files.length > 0, 'Creative Commons pictures are kept');
  for (const f of doc.results.files) {
    assert.equal(f.source, 'openverse');
    assert.ok(licenseAllowed('open', normalizeLicense(f.license, f.license_url)), f.license ?? 'none');
    assert.ok(f.width! >= 50);
    assert.match(f.phash ?? '', /^[0-9a-f]{16}$/);
  }
  // Unsplash's own licence is not open; Google gives none: both filtered on the licence, before download.
  for (const source of ['unsplash', 'google_images']) {
    const st = doc.results.source_stats[source]!;
    assert.equal(st.downloaded, 0);
    assert.ok(st.filtered > 0);
    assert.equal(st.filtered_reasons.license, st.filtered, source);
  }
  const perQuery = Object.values(doc.results.query_stats).reduce((n, q) => n + q.filtered, 0);
  assert.equal(perQuery, doc.results.filtered);
  assert.equal(doc.results.filtered_reasons.license, doc.results.filtered);
});
