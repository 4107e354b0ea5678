import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfigError,
  HttpStatusError,
  NetworkError,
  ParseError,
  SourceTimeoutError,
  TimeoutError,
  CancelledError,
  EXIT,
  exitCodeFor,
  shouldRetry,
} from '../../src/core/errors.ts';

test('a source deadline reads as the seed wrote it', () => {
  assert.equal(new SourceTimeoutError(30_000).message, 'Timeout after 30s');
  assert.equal(new SourceTimeoutError(1_500).message, 'Timeout after 1.5s');
});

test('only transient errors are retried, and only while attempts remain', () => {
  assert.equal(shouldRetry(new HttpStatusError(503, 'u'), 0, 2), true);
  assert.equal(shouldRetry(new HttpStatusError(429, 'u'), 1, 2), true);
  assert.equal(shouldRetry(new HttpStatusError(429, 'u'), 2, 2), false);
  assert.equal(shouldRetry(new HttpStatusError(404, 'u'), 0, 2), false);
  assert.equal(shouldRetry(new TimeoutError('headers', 10), 0, 2), true);
  assert.equal(shouldRetry(new SourceTimeoutError(10), 0, 2), false);
  assert.equal(shouldRetry(new NetworkError('refused', 'ECONNREFUSED'), 0, 2), true);
  assert.equal(shouldRetry(new NetworkError('no such host', 'ENOTFOUND'), 0, 2), false);
  assert.equal(shouldRetry(new ParseError('bing_images', 'no cards'), 0, 2), false);
  assert.equal(shouldRetry(new Error('plain'), 0, 2), false);
});

test('exit codes keep their documented numbers', () => {
  assert.equal(exitCodeFor(new ConfigError('x')), EXIT.usage);
  assert.equal(exitCodeFor(new CancelledError('x')), 130);
  assert.equal(exitCodeFor(new Error('x')), 1);
});
