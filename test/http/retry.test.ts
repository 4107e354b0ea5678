import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HarvesterError, HttpStatusError, NetworkError } from '../../src/core/errors.ts';
import { DOWNLOAD_RETRY_DELAYS, SEARCH_RETRY_DELAYS, withRetries, type RetryPolicy } from '../../src/http/retry.ts';

const quick: RetryPolicy = { baseMs: 1, capMs: 2, retries: 3 };

/** An attempt function that fails with `errors` in turn, then answers its attempt number. */
function failing(...errors: unknown[]): { attempt: (n: number) => Promise<number>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    attempt: async (n) => {
      calls.push(n);
      const error = errors[n - 1];
      if (error !== undefined) throw error;
      return n;
    },
  };
}

test('transient failures are retried, each attempt told its number, and the retries reported', async () => {
  const { attempt, calls } = failing(new NetworkError('reset', 'ECONNRESET'), new HttpStatusError(503, 'http://x/'));
  const seen: Array<{ attempt: number; code: string }> = [];
  const result = await withRetries(attempt, {
    ...quick,
    onRetry: (info) => seen.push({ attempt: info.attempt, code: info.error.code }),
  });
  assert.equal(result, 3);
  assert.deepEqual(calls, [1, 2, 3]);
  assert.deepEqual(seen, [
    { attempt: 2, code: 'NETWORK' },
    { attempt: 3, code: 'HTTP_STATUS' },
  ]);
});

test('a permanent failure, or one past the retries, is thrown as it is', async () => {
  const notFound = new HttpStatusError(404, 'http://x/');
  const permanent = failing(notFound);
  await assert.rejects(withRetries(permanent.attempt, quick), (e) => e === notFound);
  assert.deepEqual(permanent.calls, [1]);

  const reset = new NetworkError('reset', 'ECONNRESET');
  const spent = failing(reset, reset, reset);
  await assert.rejects(withRetries(spent.attempt, { ...quick, retries: 2 }), (e) => e === reset);
  assert.deepEqual(spent.calls, [1, 2, 3]);
});

test("an error that is not the engine's own passes through at once", async () => {
  const own = new Error('commit failed');
  const { attempt, calls } = failing(own);
  await assert.rejects(withRetries(attempt, quick), (e) => e === own);
  assert.deepEqual(calls, [1]);
});

test('an aborted signal ends the retries, and a delay past the deadline gives up at once', async () => {
  const controller = new AbortController();
  const reset = new NetworkError('reset', 'ECONNRESET');
  const aborted = failing(reset, reset);
  await assert.rejects(
    withRetries(
      async (n) => {
        controller.abort(new HarvesterError('cancelled'));
        return aborted.attempt(n);
      },
      { ...quick, signal: controller.signal },
    ),
    (e) => e === reset,
  );
  assert.deepEqual(aborted.calls, [1]);

  // The server asks for a minute; the deadline is a second away: no sleep into the abort.
  const busy = new HttpStatusError(429, 'http://x/', 60_000);
  const late = failing(busy);
  const started = Date.now();
  await assert.rejects(withRetries(late.attempt, { ...quick, deadlineAt: Date.now() + 1_000 }), (e) => e === busy);
  assert.deepEqual(late.calls, [1]);
  assert.ok(Date.now() - started < 1_000);
});

test('the two policies keep their delays: searches back off longer than downloads', () => {
  assert.deepEqual(SEARCH_RETRY_DELAYS, { baseMs: 500, capMs: 10_000 });
  assert.deepEqual(DOWNLOAD_RETRY_DELAYS, { baseMs: 250, capMs: 4_000 });
});
