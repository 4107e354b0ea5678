// The status rules of jobs and sources as pure functions.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { emptySourceStats, type SourceStats } from '../../src/core/types.ts';
import {
  countFailure,
  everyDownloadFailedError,
  jobStatusOf,
  settleSourceStats,
  sourceUnfinished,
  type FailureCauses,
} from '../../src/core/job-results.ts';

const st = (over: Partial<SourceStats>): SourceStats => ({ ...emptySourceStats(), ...over });

test('a source is ok, partial or failed from its error and its counters', () => {
  const cases: [Partial<SourceStats>, string | null, SourceStats['status']][] = [
    [{ downloaded: 0 }, null, 'ok'], // zero results is ok
    [{ downloaded: 5 }, null, 'ok'],
    [{ downloaded: 3, failed_downloads: 1 }, null, 'partial'],
    [{ downloaded: 2 }, 'Timeout after 30s', 'partial'],
    [{ downloaded: 0 }, 'Timeout after 30s', 'failed'],
  ];
  for (const [counters, error, status] of cases) {
    const s = st(counters);
    settleSourceStats(s, error === null ? null : { error, code: 'timeout' });
    assert.equal(s.status, status, JSON.stringify([counters, error]));
    assert.equal(s.success, error === null);
    assert.equal(s.error_code, error === null ? null : 'timeout');
  }
});

test('a job is completed when every source is ok, failed when none is ok or partial, else partial', () => {
  assert.equal(jobStatusOf([st({ status: 'ok' }), st({ status: 'ok' })]), 'completed');
  assert.equal(jobStatusOf([st({ status: 'ok' }), st({ status: 'skipped' })]), 'partial');
  assert.equal(jobStatusOf([st({ status: 'partial' }), st({ status: 'failed' })]), 'partial');
  assert.equal(jobStatusOf([st({ status: 'failed' }), st({ status: 'skipped' })]), 'failed');
  assert.equal(jobStatusOf([]), 'failed');
});

test('the commonest cause groups messages that differ only in figures and shows a real one', () => {
  const causes: FailureCauses = new Map();
  for (const m of [
    'body ended after 100 of 2000 bytes',
    'HTTP 404',
    'body ended after 5 of 70 bytes',
    'HTTP 403',
    'body ended after 9 of 10 bytes',
  ])
    countFailure(causes, m);
  assert.equal(
    everyDownloadFailedError(causes),
    'every download failed (5 of 5); commonest cause: body ended after 100 of 2000 bytes (3)',
  );
  const statuses: FailureCauses = new Map();
  for (const m of ['HTTP 404', 'HTTP 403', 'HTTP 404']) countFailure(statuses, m);
  assert.equal(everyDownloadFailedError(statuses), 'every download failed (3 of 3); commonest cause: HTTP 404 (2)');
});

test('resume reruns sources that never ended or were cut by a cancel', () => {
  assert.equal(sourceUnfinished(st({ status: 'running' })), true);
  assert.equal(sourceUnfinished(st({ status: 'pending' })), true);
  assert.equal(sourceUnfinished(st({ status: 'partial', error: 'Cancelled', error_code: 'cancelled' })), true);
  assert.equal(
    sourceUnfinished(st({ status: 'skipped', error: 'Cancelled before it started', error_code: 'cancelled' })),
    true,
  );
  assert.equal(sourceUnfinished(st({ status: 'failed', error: 'Timeout after 30s', error_code: 'timeout' })), false);
  assert.equal(sourceUnfinished(st({ status: 'ok' })), false);
  // The kind decides, not the text: an HTTP error whose message starts with "Cancelled" is no cancel.
  assert.equal(
    sourceUnfinished(st({ status: 'failed', error: 'Cancelled by upstream', error_code: 'http_error' })),
    false,
  );
});
