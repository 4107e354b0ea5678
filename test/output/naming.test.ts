import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sep } from 'node:path';
import fc from 'fast-check';
import {
  MAX_SLUG_BYTES,
  UnsafePathError,
  assertPlainName,
  isQuerySlug,
  mediaFileName,
  querySlug,
  safeJoin,
} from '../../src/output/naming.ts';

test('querySlug lower-cases and joins words with single hyphens, keeping accents', () => {
  assert.equal(querySlug('Northern Lights'), 'northern-lights');
  assert.equal(querySlug('  Café  au   lait!! '), 'café-au-lait');
  // Decomposed input (as macOS file names and some keyboards produce) gives the same NFC slug.
  assert.equal(querySlug('Cafe\u0301'), querySlug('Café'));
  assert.equal(querySlug('Cafe\u0301'), 'caf\u00e9');
  assert.equal(querySlug('../../etc/passwd'), 'etc-passwd');
  assert.equal(querySlug('C:\\Windows\\System32'), 'c-windows-system32');
});

test('querySlug keeps letters and digits of every script readable', () => {
  assert.equal(querySlug('котик'), 'котик');
  assert.equal(querySlug('Котик И Пёс'), 'котик-и-пёс');
  assert.equal(querySlug('铁路'), '铁路');
  assert.equal(querySlug('東京 タワー 2024'), '東京-タワー-2024');
  assert.equal(querySlug('고양이'), '고양이');
  assert.equal(querySlug('Ελληνικά ΣΟΦΙΑ'), 'ελληνικά-σοφια');
  assert.equal(querySlug('قطة صغيرة'), 'قطة-صغيرة');
  assert.equal(querySlug('बिल्ली'), 'बिल्ली');
  assert.equal(querySlug('חתול'), 'חתול');
  assert.equal(querySlug('แมว'), 'แมว');
  assert.equal(querySlug('٣ قطط'), '٣-قطط');
  // The zero-width non-joiner is part of a Persian word, not a separator.
  assert.equal(querySlug('می\u200cخواهم'), 'می\u200cخواهم');
  // Bidi overrides and other invisible controls never reach a file name.
  assert.equal(querySlug('abc\u202egnp.exe'), 'abc-gnp-exe');
});

test('querySlug removes what Windows and macOS refuse in names', () => {
  for (const [query, slug] of [
    ['a:b', 'a-b'],
    ['what?', 'what'],
    ['<x>|"y"*', 'x-y'],
    ['name. . .', 'name'],
    ['trailing dot.', 'trailing-dot'],
    ['tab\there', 'tab-here'],
    ['a/b\\c', 'a-b-c'],
    ['\u0000null\u0001', 'null'],
    ['\u0000nul\u0001', 'q-nul'],
  ] as const) {
    assert.equal(querySlug(query), slug, query);
  }
  for (const reserved of [
    'CON',
    'con',
    'Prn',
    'AUX',
    'nul',
    'COM1',
    'com9',
    'LPT1',
    'lpt9',
    'COM¹',
    'con.',
    ' aux ',
    'NUL.txt'.slice(0, 3),
  ]) {
    const slug = querySlug(reserved);
    assert.match(slug, /^q-/, reserved);
    assert.ok(isQuerySlug(slug), slug);
  }
  // Reserved only as a whole name: a longer word is fine.
  assert.equal(querySlug('console'), 'console');
  assert.equal(querySlug('com10'), 'com10');
});

test('querySlug is never empty, never a dot name, and hashes only when nothing readable is left', () => {
  const cat = querySlug('🐱');
  const dog = querySlug('🐶');
  assert.match(cat, /^q-[0-9a-f]{10}$/);
  assert.notEqual(cat, dog);
  assert.equal(querySlug('🐱'), cat);
  assert.match(querySlug('..'), /^q-[0-9a-f]{10}$/);
  assert.match(querySlug(''), /^q-[0-9a-f]{10}$/);
  assert.match(querySlug('\u0301\u200d'), /^q-[0-9a-f]{10}$/);
  assert.equal(querySlug('猫'), '猫');
  assert.equal(querySlug('🐱 cat'), 'cat');
});

test('querySlug is capped by UTF-8 bytes without splitting a character or a cluster', () => {
  const latin = querySlug('word '.repeat(100));
  assert.ok(Buffer.byteLength(latin) <= MAX_SLUG_BYTES);
  assert.ok(!latin.endsWith('-'));
  const chinese = querySlug('铁路'.repeat(100));
  assert.equal(Buffer.byteLength(chinese), 99); // 33 characters of 3 bytes: the 34th would pass 100
  assert.equal(chinese, '铁路'.repeat(100).slice(0, 33));
  // A base letter and its combining mark stay together (NFC has no precomposed form for these).
  const devanagari = querySlug('क्षि'.repeat(40));
  assert.ok(Buffer.byteLength(devanagari) <= MAX_SLUG_BYTES);
  assert.ok(devanagari.startsWith('क्षि'));
  const segments = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(devanagari)].map(
    (s) => s.segment,
  );
  assert.ok(
    segments.every((s) => s === 'क्षि'),
    JSON.stringify(segments),
  );
  // Four-byte characters (outside the BMP) are never cut in half.
  const ext = querySlug('𠀀'.repeat(60));
  assert.equal(ext, '𠀀'.repeat(25));
  assert.ok(isQuerySlug(ext));
});

test('mediaFileName pads to three digits and grows past 999', () => {
  assert.equal(mediaFileName('nature', 1, 'jpg'), 'nature_001.jpg');
  assert.equal(mediaFileName('nature', 42, 'mp4'), 'nature_042.mp4');
  assert.equal(mediaFileName('nature', 1000, 'png'), 'nature_1000.png');
  assert.throws(() => mediaFileName('../x', 1, 'jpg'), UnsafePathError);
  assert.throws(() => mediaFileName('x', 1, 'jpg/../../a'), UnsafePathError);
  assert.throws(() => mediaFileName('x', -1, 'jpg'), UnsafePathError);
  assert.throws(() => mediaFileName('x', 1.5, 'jpg'), UnsafePathError);
});

test('safeJoin refuses to leave its root', () => {
  const root = '/srv/downloads';
  assert.equal(safeJoin(root, 'cats', 'bing_images'), `/srv/downloads${sep}cats${sep}bing_images`);
  assert.equal(safeJoin(root), '/srv/downloads');
  for (const bad of [['..'], ['cats', '..', '..'], ['/etc/passwd'], ['a\0b'], ['..', 'downloads-evil']]) {
    assert.throws(() => safeJoin(root, ...bad), UnsafePathError, JSON.stringify(bad));
  }
  // A sibling folder sharing the prefix is outside too.
  assert.throws(() => safeJoin('/srv/down', '../downloads'), UnsafePathError);
});

test('assertPlainName accepts only one plain name', () => {
  assert.doesNotThrow(() => assertPlainName('cats_001.jpg'));
  for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\0', 'x'.repeat(256)])
    assert.throws(() => assertPlainName(bad), UnsafePathError);
});

test('property: no query and no source-provided name can make a path escape the root', () => {
  const root = '/srv/downloads';
  const hostile = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom('..', '.', '/', '../..', '..\\..', '%2e%2e', '\0', 'a/../../b', '/etc/passwd', 'C:\\x', '．．'),
    fc.array(fc.constantFrom('..', '/', '.', 'a', '\\', '\0', '%'), { maxLength: 12 }).map((parts) => parts.join('')),
  );
  fc.assert(
    fc.property(hostile, hostile, fc.nat({ max: 5000 }), (query, name, n) => {
      const slug = querySlug(query);
      assert.ok(isQuerySlug(slug), JSON.stringify(slug));
      assert.ok(Buffer.byteLength(slug) <= MAX_SLUG_BYTES + 12);
      assert.ok(!/[\\/:*?"<>|.]|\p{Cc}/u.test(slug), slug);
      const dir = safeJoin(root, slug, 'bing_images');
      assert.ok(dir.startsWith(`${root}${sep}`));
      const file = mediaFileName(slug, n, 'jpg');
      assert.ok(safeJoin(dir, file).startsWith(`${dir}${sep}`));
      // Anything else a source returns either stays inside or is refused.
      try {
        const joined = safeJoin(dir, name);
        assert.ok(joined === dir || joined.startsWith(`${dir}${sep}`), joined);
      } catch (error) {
        assert.ok(error instanceof UnsafePathError);
      }
    }),
    { numRuns: 2000 },
  );
});
