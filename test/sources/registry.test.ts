import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import dns from 'node:dns';
import { SOURCE_IDS } from '../../src/core/types.ts';
import { loadConfig } from '../../src/core/config.ts';

test('importing the registry touches no network', async () => {
  const touched: string[] = [];
  const connect = net.Socket.prototype.connect;
  const lookup = dns.lookup;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    touched.push(`connect ${JSON.stringify(args[0])}`);
    return connect.apply(this, args as Parameters<typeof connect>);
  } as typeof connect;
  (dns as { lookup: unknown }).lookup = (...args: unknown[]) => {
    touched.push(`lookup ${String(args[0])}`);
    return (lookup as (...a: unknown[]) => unknown)(...args);
  };
  try {
    const { SOURCES } = await import('../../src/sources/index.ts');
    assert.equal(SOURCES.length, 10);
  } finally {
    net.Socket.prototype.connect = connect;
    (dns as { lookup: unknown }).lookup = lookup;
  }
  assert.deepEqual(touched, []);
});

test('the registry lists every source id once, in order, with a well-formed description', async () => {
  const { SOURCES, getSource, isSourceId } = await import('../../src/sources/index.ts');
  assert.deepEqual(
    SOURCES.map((s) => s.id),
    [...SOURCE_IDS],
  );
  const config = loadConfig({}, {});
  for (const s of SOURCES) {
    assert.match(s.id, /^[a-z][a-z0-9_]*$/);
    assert.equal(getSource(s.id), s);
    assert.ok(isSourceId(s.id));
    assert.ok(s.displayName.trim().length > 0, `${s.id} displayName`);
    assert.ok(s.example.trim().length > 0, `${s.id} example`);
    assert.ok(s.kinds.length > 0 && s.kinds.every((k) => k === 'image' || k === 'video'), `${s.id} kinds`);
    const origin = new URL(s.defaultOrigin(config));
    assert.equal(origin.protocol, 'https:', `${s.id} origin is https`);
    assert.equal(typeof s.search, 'function');
  }
  assert.equal(getSource('nope'), undefined);
  assert.equal(isSourceId('urls'), false);
});

test('key-based sources say which variable they need', async () => {
  const { getSource } = await import('../../src/sources/index.ts');
  const bare = loadConfig({}, {});
  for (const [id, variable] of [
    ['pexels', 'PEXELS_API_KEY'],
    ['pixabay', 'PIXABAY_API_KEY'],
  ] as const) {
    const s = getSource(id)!;
    assert.equal(s.keyVariable, variable);
    const state = s.configured(bare);
    assert.equal(state.ok, false);
    assert.match(state.ok ? '' : state.reason, new RegExp(`${id}: needs ${variable}`));
  }
  // Unsplash has a keyless fallback, so it is configured without its key, on another origin.
  const unsplash = getSource('unsplash')!;
  assert.equal(unsplash.configured(bare).ok, true);
  const keyed = loadConfig({ UNSPLASH_ACCESS_KEY: 'k' }, {});
  assert.equal(new URL(unsplash.defaultOrigin(bare)).host, 'unsplash.com');
  assert.equal(new URL(unsplash.defaultOrigin(keyed)).host, 'api.unsplash.com');
});
