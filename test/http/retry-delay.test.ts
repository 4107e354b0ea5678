import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRetryAfterMs, retryDelayMs } from '../../src/http/retry-delay.ts';

const fixed = (value: number) => () => value;

test('backoff doubles per retry and is capped', () => {
  const base = { baseMs: 100, capMs: 1000, random: fixed(1) };
  assert.equal(retryDelayMs(1, base), 100);
  assert.equal(retryDelayMs(2, base), 200);
  assert.equal(retryDelayMs(3, base), 400);
  assert.equal(retryDelayMs(4, base), 800);
  assert.equal(retryDelayMs(5, base), 1000);
  assert.equal(retryDelayMs(30, base), 1000);
});

test('jitter keeps the delay between half and all of the backoff', () => {
  assert.equal(retryDelayMs(3, { baseMs: 100, capMs: 10_000, random: fixed(0) }), 200);
  assert.equal(retryDelayMs(3, { baseMs: 100, capMs: 10_000, random: fixed(0.5) }), 300);
  for (let i = 0; i < 200; i++) {
    const d = retryDelayMs(2, { baseMs: 100, capMs: 10_000 })!;
    assert.ok(d >= 100 && d <= 200, `delay ${d} outside [100, 200]`);
  }
});

test('Retry-After wins over a shorter backoff and is never shortened', () => {
  assert.equal(retryDelayMs(1, { baseMs: 100, capMs: 1000, retryAfterMs: 3000, random: fixed(1) }), 3000);
  // A shorter Retry-After than the backoff keeps the backoff.
  assert.equal(retryDelayMs(3, { baseMs: 100, capMs: 1000, retryAfterMs: 10, random: fixed(1) }), 400);
});

test('gives up (null) when the delay would reach past the deadline', () => {
  assert.equal(retryDelayMs(1, { baseMs: 100, capMs: 1000, retryAfterMs: 5000, remainingMs: 4000 }), null);
  assert.equal(retryDelayMs(4, { baseMs: 100, capMs: 1000, remainingMs: 300, random: fixed(1) }), null);
  assert.equal(retryDelayMs(1, { baseMs: 100, capMs: 1000, remainingMs: 5000, random: fixed(1) }), 100);
  assert.equal(retryDelayMs(1, { baseMs: 100, capMs: 1000, remainingMs: 0 }), null);
});

test('an absurd Retry-After without a known deadline gives up', () => {
  assert.equal(retryDelayMs(1, { baseMs: 100, capMs: 1000, retryAfterMs: 3_600_000 }), null);
  assert.equal(
    retryDelayMs(1, { baseMs: 100, capMs: 1000, retryAfterMs: 3_600_000, maxRetryAfterMs: 7_200_000 }),
    3_600_000,
  );
});

test('rejects a retry number below 1', () => {
  assert.throws(() => retryDelayMs(0, { baseMs: 1, capMs: 1 }), RangeError);
});

test('Retry-After in delay-seconds', () => {
  assert.equal(parseRetryAfterMs('0', 0), 0);
  assert.equal(parseRetryAfterMs('120', 0), 120_000);
  assert.equal(parseRetryAfterMs(' 7 ', 0), 7_000);
});

test('Retry-After as an HTTP-date, relative to now, never negative', () => {
  const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
  assert.equal(parseRetryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', now), 30_000);
  assert.equal(parseRetryAfterMs('Wed, 21 Oct 2015 07:27:00 GMT', now), 0);
  // The obsolete RFC 850 form is a date too.
  assert.equal(parseRetryAfterMs('Wednesday, 21-Oct-15 07:29:00 GMT', now), 60_000);
});

test('an unparsable Retry-After counts as absent', () => {
  for (const value of [undefined, null, '', 'soon', '-5', '1.5', 'tomorrow', '0x10']) {
    assert.equal(parseRetryAfterMs(value, 0), undefined, `value ${String(value)}`);
  }
});
