// undici's HTTP/2 connector is left unloaded until it is called (src/http/undici-parts.ts): the
// stand-in in require's cache hands its first call to the real connector, which then stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { UndiciAgent } from '../../src/http/undici-parts.ts';

test('the HTTP/2 connector loads on its first call and the real one serves it', () => {
  assert.equal(typeof UndiciAgent, 'function');
  const requireHere = createRequire(import.meta.url);
  const file = requireHere.resolve('undici/lib/dispatcher/client-h2.js');
  const standIn = requireHere.cache[file]?.exports as (client: unknown, socket: unknown) => unknown;
  assert.equal(typeof standIn, 'function');
  // The real connector reads the socket at once: with none it throws its own TypeError.
  assert.throws(() => standIn({}, null), TypeError);
  const real = requireHere.cache[file]?.exports;
  assert.equal(typeof real, 'function');
  assert.notEqual(real, standIn);
  assert.equal(requireHere(file), real);
});
