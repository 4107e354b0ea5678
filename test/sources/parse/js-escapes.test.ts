import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsEscapes, decodeJsEscapesOnce } from '../../../src/sources/parse/js-escapes.ts';

test('Google thumbnail escapes decode once, and twice when escaped twice', () => {
  const once = 'https://encrypted-tbn0.gstatic.com/images?q\\u003dtbn:ANd9Gc\\u0026s';
  const plain = 'https://encrypted-tbn0.gstatic.com/images?q=tbn:ANd9Gc&s';
  assert.equal(decodeJsEscapesOnce(once), plain);
  assert.equal(decodeJsEscapes(once), plain);
  assert.equal(decodeJsEscapes(once.replace(/\\u/g, '\\\\u')), plain);
});

test('\\x, \\/ and quote escapes decode; unknown escapes and plain text are kept', () => {
  assert.equal(decodeJsEscapesOnce('a\\x3db\\/c\\"d\\\'e'), 'a=b/c"d\'e');
  assert.equal(decodeJsEscapesOnce('keep \\q and \\u12'), 'keep \\q and \\u12');
  assert.equal(decodeJsEscapes('no escapes here'), 'no escapes here');
});

test('decoding stops after the level limit', () => {
  const triple = 'q\\\\\\\\u003d'; // q\\\\u003d: three levels to reach "="
  assert.equal(decodeJsEscapes(triple, 1), 'q\\\\u003d');
  assert.equal(decodeJsEscapes(triple, 3), 'q=');
});
