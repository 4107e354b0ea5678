import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeNativeId, urlHashId } from '../../../src/sources/parse/native-id.ts';

test('urlHashId is stable, 16 hex characters, and differs for different URLs', () => {
  const a = urlHashId('https://x.org/a.jpg');
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(urlHashId('https://x.org/a.jpg'), a);
  assert.notEqual(urlHashId('https://x.org/b.jpg'), a);
});

test('safeNativeId keeps short tokens of safe characters and refuses the rest', () => {
  assert.equal(safeNativeId('EAH33eX_SrJJkM'), 'EAH33eX_SrJJkM');
  assert.equal(safeNativeId(' 8FDC2B38 '), '8FDC2B38');
  assert.equal(safeNativeId(12345), '12345');
  for (const v of ['', 'has space', 'a<b>', 'x'.repeat(129), 1.5, null, undefined, {}])
    assert.equal(safeNativeId(v), undefined, String(v));
});
