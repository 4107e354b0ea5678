// The download log: the seed's exact line format and events, rotation by size, buffered writes
// that still reach the file, and reading it back.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { RunnerEvent } from '../../src/core/events.ts';
import { emptySourceStats, type JobDocument, type SourceStats } from '../../src/core/types.ts';
import {
  LOG_LINE_PATTERN,
  formatLogLine,
  formatTimestamp,
  isErrorLine,
  logLinesFor,
  openDownloadLog,
  pythonListRepr,
} from '../../src/log/download-log.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'harvester-log-'));
  dirs.push(d);
  return d;
}

const base = { job_id: 'abc-123', ts: '2025-10-02T14:30:00.123Z', seq: 1, run: 1 };
function stats(over: Partial<SourceStats>): SourceStats {
  return { ...emptySourceStats(), ...over };
}
function jobDoc(over: Partial<JobDocument['results']>): JobDocument {
  return {
    job_id: 'abc-123',
    status: 'partial',
    query: 'nature',
    queries: ['nature'],
    sources: ['google_images', 'bing_images'],
    limit: 5,
    type: 'image',
    created_at: '',
    started_at: null,
    finished_at: null,
    duration_ms: null,
    results: {
      filtered: 0,
      filtered_reasons: { min_width: 0, min_height: 0, orientation: 0, license: 0 },
      near_duplicates: 0,
      query_stats: {},
      downloaded: 13,
      images: 13,
      videos: 0,
      source_stats: {},
      successful_sources: [],
      failed_sources: [],
      files: [],
      ...over,
    },
  };
}
const messages = (e: RunnerEvent): string[] => logLinesFor(e).map(([level, m]) => `${level} | ${m}`);

describe('download log: format', () => {
  test('timestamps are local time with a comma before the milliseconds', () => {
    const d = new Date(2025, 9, 2, 14, 30, 0, 123);
    assert.equal(formatTimestamp(d), '2025-10-02 14:30:00,123');
    assert.equal(formatLogLine('INFO', 'hello', d), '2025-10-02 14:30:00,123 | INFO | hello\n');
    assert.equal(formatLogLine('ERROR', 'two\nlines', d), '2025-10-02 14:30:00,123 | ERROR | two\\u000alines\n');
  });

  test('source lists are written as Python prints a list', () => {
    assert.equal(pythonListRepr(['google_images', 'bing_images']), "['google_images', 'bing_images']");
    assert.equal(pythonListRepr([]), '[]');
    assert.equal(pythonListRepr(["it's"]), "['it\\'s']");
  });

  test("the seed's events read exactly as the seed writes them", () => {
    assert.deepEqual(
      messages({
        ...base,
        type: 'job_started',
        query: 'nature',
        sources: ['google_images', 'bing_images'],
        limit: 5,
        media_type: 'image',
        resumed: false,
      }),
      ["INFO | === JOB START === | Job ID: abc-123 | Query: nature | Sources: ['google_images', 'bing_images']"],
    );
    const file = { path: 'nature/google_images/nature_001.jpg', bytes: 245678, duration_ms: 1234 } as never;
    assert.deepEqual(messages({ ...base, type: 'file_saved', source: 'google_images', file, index: 0 }), [
      'INFO | SUCCESS: google_images | File: nature_001.jpg | Size: 245678 bytes | Time: 1.23s',
    ]);
    assert.deepEqual(
      messages({
        ...base,
        type: 'source_finished',
        source: 'bing_images',
        stats: stats({ status: 'failed', error: 'Timeout after 30s', error_code: 'timeout' }),
      }),
      ['ERROR | TIMEOUT | bing_images | Timeout after 30s'],
    );
    const done = jobDoc({ successful_sources: ['google_images', 'unsplash'], failed_sources: ['bing_images'] });
    assert.deepEqual(messages({ ...base, type: 'job_finished', status: 'partial', job: done }), [
      'INFO | === JOB COMPLETE === | Downloaded: 13 | Images: 13 | Videos: 0',
      'INFO | STATISTICS | Success: google_images, unsplash | Failed: bing_images',
    ]);
  });

  test('STATISTICS is written when nothing failed, and when nothing succeeded', () => {
    const allOk = jobDoc({ successful_sources: ['pexels'], failed_sources: [] });
    assert.equal(
      messages({ ...base, type: 'job_finished', status: 'completed', job: allOk })[1],
      'INFO | STATISTICS | Success: pexels | Failed: none',
    );
    const noneOk = jobDoc({ successful_sources: [], failed_sources: ['pexels'] });
    assert.equal(
      messages({ ...base, type: 'job_finished', status: 'failed', job: noneOk })[1],
      'INFO | STATISTICS | Success: none | Failed: pexels',
    );
  });

  test('a source that ran to its end logs COMPLETED; a failed, skipped or cancelled one does not', () => {
    const finished = (st: Partial<SourceStats>): string[] =>
      messages({ ...base, type: 'source_finished', source: 'pexels', stats: stats(st) });
    assert.deepEqual(
      finished({ status: 'ok', downloaded: 5, found: 6, skipped_duplicates: 1, duration_ms: 2340, success: true }),
      ['INFO | COMPLETED | pexels | Downloaded: 5 | Found: 6 | Failed: 0 | Duplicates: 1 | Existing: 0 | Time: 2.34s'],
    );
    assert.deepEqual(finished({ status: 'failed', error: 'pexels: layout changed: no photos array' }), [
      'ERROR | FAILED | pexels | pexels: layout changed: no photos array',
    ]);
    assert.deepEqual(finished({ status: 'skipped', error: 'pexels: needs PEXELS_API_KEY' }), [
      'WARNING | FAILED | pexels | skipped: pexels: needs PEXELS_API_KEY',
    ]);
    assert.deepEqual(finished({ status: 'partial', error: 'Cancelled', error_code: 'cancelled', downloaded: 1 }), [
      'WARNING | CANCELLED | pexels | Cancelled',
    ]);
  });

  test('failed downloads and retries have their own lines', () => {
    assert.deepEqual(
      messages({
        ...base,
        type: 'file_failed',
        source: 'bing_images',
        candidate_id: 'bing_images:1',
        url: 'https://x/a.jpg',
        error: 'HTTP 404',
      }),
      ['ERROR | FAILED | bing_images | HTTP 404 | URL: https://x/a.jpg'],
    );
    assert.deepEqual(
      messages({
        ...base,
        type: 'retry',
        source: 'bing_images',
        phase: 'search',
        url: 'https://x/s',
        attempt: 2,
        delay_ms: 500,
        error: 'HTTP 503',
      }),
      ['WARNING | RETRY | bing_images | search attempt 2 in 0.50s after HTTP 503 | URL: https://x/s'],
    );
  });

  test('--errors keeps ERROR and CRITICAL lines and FAILED or TIMEOUT events', () => {
    const keep = [
      '2025-10-02 14:30:30,567 | ERROR | TIMEOUT | bing_images | Timeout after 30s',
      '2025-10-02 14:30:30,567 | WARNING | FAILED | pexels | skipped: pexels: needs PEXELS_API_KEY',
      '2025-10-02 14:30:30,567 | CRITICAL | disk full',
    ];
    const drop = [
      '2025-10-02 14:30:01,445 | INFO | SUCCESS: google_images | File: nature_001.jpg | Size: 245678 bytes | Time: 1.23s',
      '2025-10-02 14:30:35,235 | INFO | STATISTICS | Success: google_images | Failed: bing_images',
      'not a log line | ERROR',
    ];
    for (const l of keep) assert.equal(isErrorLine(l), true, l);
    for (const l of drop) assert.equal(isErrorLine(l), false, l);
  });
});

describe('download log: file', () => {
  test('buffered lines reach the file when a job ends, each in the seed format', () => {
    const dir = tempDir();
    const log = openDownloadLog({ logDir: dir, maxBytes: 1 << 20, backups: 2, flushDelayMs: 60_000 });
    log.onEvent({
      ...base,
      type: 'job_started',
      query: 'nature',
      sources: ['pexels'],
      limit: 1,
      media_type: 'image',
      resumed: false,
    });
    assert.equal(existsSync(log.path) ? readFileSync(log.path, 'utf8') : '', '', 'buffered, not written per event');
    log.onEvent({
      ...base,
      type: 'job_finished',
      status: 'completed',
      job: jobDoc({ successful_sources: ['pexels'] }),
    });
    const lines = readFileSync(log.path, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(l, LOG_LINE_PATTERN);
    log.close();
  });

  test('rotates by size into .1, .2 like RotatingFileHandler, keeping LOG_BACKUPS files', () => {
    const dir = tempDir();
    const log = openDownloadLog({ logDir: dir, maxBytes: 1024, backups: 2 });
    for (let i = 0; i < 100; i++) log.write('INFO', `line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}`);
    log.close();
    for (const name of ['download_errors.log', 'download_errors.log.1', 'download_errors.log.2']) {
      assert.ok(statSync(join(dir, name)).size <= 1024, `${name} stays under maxBytes`);
    }
    assert.equal(existsSync(join(dir, 'download_errors.log.3')), false);
    const current = readFileSync(join(dir, 'download_errors.log'), 'utf8');
    assert.match(current, /line 099/);
    assert.match(readFileSync(join(dir, 'download_errors.log.1'), 'utf8'), /line 0[6-9]\d/);
  });
});
