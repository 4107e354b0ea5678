import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dimension, parseSizeText } from '../../../src/sources/parse/size-text.ts';

test('both Bing size forms parse, with the format word', () => {
  assert.deepEqual(parseSizeText('1920×1080 · jpeg'), { width: 1920, height: 1080, format: 'jpeg' });
  assert.deepEqual(parseSizeText('3442 x 2972 · png'), { width: 3442, height: 2972, format: 'png' });
  assert.deepEqual(parseSizeText('800X600'), { width: 800, height: 600 });
});

test('text without a size, zero or absurd sizes give undefined', () => {
  for (const text of ['', 'jpeg', '0 x 10 · png', '10 x 0', '999999 x 10', 'x 10', undefined, 42]) {
    assert.equal(parseSizeText(text), undefined, String(text));
  }
});

test('dimension takes positive integers up to 100000, as numbers or digit strings', () => {
  assert.deepEqual([dimension(1), dimension('1200'), dimension(' 7 '), dimension(100_000)], [1, 1200, 7, 100_000]);
  for (const v of [0, -1, 1.5, '1.5', '12px', 100_001, Number.NaN, Infinity, null, {}])
    assert.equal(dimension(v), undefined, String(v));
});
