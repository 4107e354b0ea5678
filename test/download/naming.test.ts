import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sep } from 'node:path';
import fc from 'fast-check';
import { MAX_SLUG_LENGTH, UnsafePathError, assertPlainName, mediaFileName, querySlug, safeJoin } from '../../src/download/naming.ts';

test('querySlug folds case and accents and joins words with single hyphens', () => {
  assert.equal(querySlug('Northern Lights'), 'northern-lights');
  assert.equal(querySlug('  Café  au   lait!! '), 'cafe-au-lait');
  assert.equal(querySlug('../../etc/passwd'), 'etc-passwd');
  assert.equal(querySlug('C:\\Windows\\System32'), 'c-windows-system32');
});

test('querySlug is never empty, never a dot name, and differs for different non-Latin queries', () => {
  const cat = querySlug('猫');
  const dog = querySlug('犬');
  assert.match(cat, /^q-[0-9a-f]{10}$/);
  assert.notEqual(cat, dog);
  assert.equal(querySlug('猫'), cat);
  assert.match(querySlug('..'), /^q-/);
  assert.match(querySlug(''), /^q-/);
  assert.equal(querySlug('CON'), 'q-con');
});

test('querySlug is bounded', () => {
  const slug = querySlug('word '.repeat(100));
  assert.ok(slug.length <= MAX_SLUG_LENGTH);
  assert.ok(!slug.endsWith('-'));
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
  for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\0', 'x'.repeat(256)]) assert.throws(() => assertPlainName(bad), UnsafePathError);
});

test('property: no query and no source-provided name can make a path escape the root', () => {
  const root = '/srv/downloads';
  const hostile = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('..', '.', '/', '../..', '..\\..', '%2e%2e', '\0', 'a/../../b', '/etc/passwd', 'C:\\x', '．．'),
    fc.array(fc.constantFrom('..', '/', '.', 'a', '\\', '\0', '%'), { maxLength: 12 }).map((parts) => parts.join('')),
  );
  fc.assert(
    fc.property(hostile, hostile, fc.nat({ max: 5000 }), (query, name, n) => {
      const slug = querySlug(query);
      assert.match(slug, /^[a-z0-9][a-z0-9-]*$/);
      assert.ok(slug.length <= MAX_SLUG_LENGTH);
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
