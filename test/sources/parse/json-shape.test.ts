import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asId } from '../../../src/sources/parse/json-shape.ts';

test('an id is a trimmed non-empty string or a safe integer', () => {
  assert.equal(asId(' iss026-s-001 '), 'iss026-s-001');
  assert.equal(asId(27669), '27669');
  assert.equal(asId('Moon and 🪐 Saturn'), 'Moon and 🪐 Saturn');
  assert.equal(asId(''), undefined);
  assert.equal(asId(1.5), undefined);
  assert.equal(asId('x'.repeat(201)), undefined);
});

test('an id with a lone surrogate is refused, so no adapter builds a URL that throws URIError', () => {
  for (const bad of ['a\uD800', '\uDC00b', 'x\uDBFFy']) {
    assert.equal(asId(bad), undefined, JSON.stringify(bad));
    assert.throws(() => encodeURIComponent(bad), URIError);
  }
});
