import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrivateNetworkError } from '../../src/core/errors.ts';
import {
  assertPublicHost,
  assertPublicUrl,
  guardedLookup,
  isPrivateAddress,
  type LookupFunction,
} from '../../src/http/address-guard.ts';

test('refuses loopback, RFC 1918, link-local, CGNAT, 0/8 and other non-public IPv4', () => {
  for (const ip of [
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '0.1.2.3',
    '224.0.0.1',
    '255.255.255.255',
    '198.18.0.1',
  ]) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
});

test('allows public IPv4, including neighbours of the private ranges', () => {
  for (const ip of [
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '169.253.0.1',
    '11.0.0.1',
    '192.167.1.1',
  ]) {
    assert.equal(isPrivateAddress(ip), false, ip);
  }
});

test('refuses IPv6 loopback, unspecified, link-local, unique-local and mapped private IPv4', () => {
  for (const ip of [
    '::1',
    '::',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.1.2.3',
    '::ffff:169.254.169.254',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '64:ff9b::10.0.0.1',
    'ff02::1',
  ]) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
});

test('allows public IPv6 and mapped public IPv4', () => {
  for (const ip of ['2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8']) {
    assert.equal(isPrivateAddress(ip), false, ip);
  }
});

test('anything that is not an IP address is refused rather than guessed', () => {
  assert.equal(isPrivateAddress('localhost'), true);
  assert.equal(isPrivateAddress('1.2.3'), true);
});

test('IP-literal URLs are checked before any connection, including the forms URL normalises', () => {
  const guard = { allowPrivateNetworks: false };
  for (const url of [
    'http://127.0.0.1/',
    'http://[::1]:8080/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://169.254.169.254/latest',
    'http://[::ffff:127.0.0.1]/',
  ]) {
    assert.throws(() => assertPublicUrl(new URL(url), guard), PrivateNetworkError, url);
  }
  assert.doesNotThrow(() => assertPublicUrl(new URL('http://93.184.216.34/'), guard));
  assert.doesNotThrow(() => assertPublicUrl(new URL('http://example.com/'), guard)); // names are checked on resolution
  assert.doesNotThrow(() => assertPublicUrl(new URL('http://127.0.0.1/'), { allowPrivateNetworks: true }));
  assert.doesNotThrow(() =>
    assertPublicUrl(new URL('http://127.0.0.1/'), { allowPrivateNetworks: false, allowHosts: ['127.0.0.1'] }),
  );
});

function lookupWith(answer: string | Array<{ address: string; family: number }>): LookupFunction {
  return (_host, _options, callback) => {
    if (typeof answer === 'string') callback(null, answer, answer.includes(':') ? 6 : 4);
    else callback(null, answer);
  };
}

function run(lookup: LookupFunction, host: string): Promise<unknown> {
  return new Promise((resolve) => lookup(host, {}, (error, address) => resolve(error ?? address)));
}

test('a name resolving to a private address is refused on the resolved address (DNS rebinding)', async () => {
  const guard = { allowPrivateNetworks: false };
  const refused = await run(guardedLookup(guard, lookupWith('127.0.0.1')), 'images.example.com');
  assert.ok(refused instanceof PrivateNetworkError);
  assert.match(refused.message, /images\.example\.com.*127\.0\.0\.1.*ALLOW_PRIVATE_NETWORKS/);
  // One private address among public ones (all: true answers) is enough to refuse.
  const mixed = await run(
    guardedLookup(
      guard,
      lookupWith([
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ]),
    ),
    'x.example',
  );
  assert.ok(mixed instanceof PrivateNetworkError);
  const ok = await run(guardedLookup(guard, lookupWith('93.184.216.34')), 'example.com');
  assert.equal(ok, '93.184.216.34');
  const allowed = await run(guardedLookup({ allowPrivateNetworks: true }, lookupWith('127.0.0.1')), 'localhost');
  assert.equal(allowed, '127.0.0.1');
});

test('the proxy host is exempt only as a connection address, never as a request target', async () => {
  const guard = { allowPrivateNetworks: false, connectHosts: ['127.0.0.1', 'localhost'] };
  assert.throws(() => assertPublicUrl(new URL('http://127.0.0.1:6379/'), guard), PrivateNetworkError);
  await assert.rejects(
    assertPublicHost(new URL('http://localhost:6379/'), guard, lookupWith('127.0.0.1')),
    PrivateNetworkError,
  );
  // Connecting to the proxy named `localhost` still resolves through the guarded lookup.
  assert.equal(await run(guardedLookup(guard, lookupWith('127.0.0.1')), 'localhost'), '127.0.0.1');
});

test('a proxied target name is resolved first and refused if any answer is private', async () => {
  const guard = { allowPrivateNetworks: false };
  const asked: string[] = [];
  const lookup =
    (answer: Parameters<typeof lookupWith>[0]): LookupFunction =>
    (host, options, callback) => {
      asked.push(`${host} ${JSON.stringify(options)}`);
      lookupWith(answer)(host, options, callback);
    };
  await assert.rejects(
    assertPublicHost(new URL('http://meta.example/latest'), guard, lookup('169.254.169.254')),
    (error: Error) => error instanceof PrivateNetworkError && /meta\.example.*169\.254\.169\.254/.test(error.message),
  );
  await assert.rejects(
    assertPublicHost(
      new URL('http://x.example/'),
      guard,
      lookup([
        { address: '93.184.216.34', family: 4 },
        { address: '10.0.0.7', family: 4 },
      ]),
    ),
    PrivateNetworkError,
  );
  assert.deepEqual(asked, ['meta.example {"all":true}', 'x.example {"all":true}']);
  await assertPublicHost(
    new URL('http://images.example/a.png'),
    guard,
    lookup([{ address: '93.184.216.34', family: 4 }]),
  );
  // IP literals are checked without DNS; deliberate test targets and ALLOW_PRIVATE_NETWORKS still pass.
  await assert.rejects(
    assertPublicHost(new URL('http://10.1.2.3/'), guard, lookup('93.184.216.34')),
    PrivateNetworkError,
  );
  await assertPublicHost(
    new URL('http://localhost/'),
    { allowPrivateNetworks: false, allowHosts: ['localhost'] },
    lookup('127.0.0.1'),
  );
  await assertPublicHost(new URL('http://localhost/'), { allowPrivateNetworks: true }, lookup('127.0.0.1'));
  assert.equal(asked.length, 3);
  // A failed lookup fails closed.
  const failing: LookupFunction = (_h, _o, callback) =>
    callback(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), '');
  await assert.rejects(assertPublicHost(new URL('http://nowhere.example/'), guard, failing), /ENOTFOUND/);
});

/** Every IPv6 form that carries an IPv4 address inside it. */
function embeddings(ipv4: string): Record<string, string> {
  const [a, b, c, d] = ipv4.split('.').map(Number) as [number, number, number, number];
  const hi = ((a << 8) | b).toString(16);
  const lo = ((c << 8) | d).toString(16);
  const inv = (n: number): string => (~n & 0xffff).toString(16);
  return {
    mapped: `::ffff:${ipv4}`,
    'mapped, hex': `::ffff:${hi}:${lo}`,
    'mapped, full': `0:0:0:0:0:ffff:${hi}:${lo}`,
    translated: `::ffff:0:${ipv4}`,
    'translated, hex': `0:0:0:0:ffff:0:${hi}:${lo}`,
    compatible: `::${ipv4}`,
    nat64: `64:ff9b::${ipv4}`,
    'nat64, hex': `64:ff9b:0:0:0:0:${hi}:${lo}`,
    '6to4': `2002:${hi}:${lo}::1`,
    '6to4, full': `2002:${hi}:${lo}:1:2:3:4:5`,
    'teredo client': `2001:0:4136:e378:8000:63bf:${inv((a << 8) | b)}:${inv((c << 8) | d)}`,
    'teredo server': `2001:0:${hi}:${lo}:8000:63bf:3fff:fdd2`,
  };
}

test('every IPv6 form embedding a private or loopback IPv4 is refused, as an address and as a URL host', () => {
  for (const ipv4 of [
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
  ]) {
    for (const [form, ip] of Object.entries(embeddings(ipv4))) {
      assert.equal(isPrivateAddress(ip), true, `${form} ${ip} (${ipv4})`);
      assert.throws(
        () => assertPublicUrl(new URL(`http://[${ip}]:8080/x.jpg`), { allowPrivateNetworks: false }),
        PrivateNetworkError,
        `${form} ${ip} as a URL`,
      );
    }
  }
  // Local-use NAT64 may put the IPv4 anywhere; none of it is the public internet.
  for (const ip of ['64:ff9b:1::a00:1', '64:ff9b:1:ffff::1', '64:ff9b:1::8.8.8.8'])
    assert.equal(isPrivateAddress(ip), true, ip);
});

test('the same forms embedding a public IPv4 are allowed (the checks are not blanket refusals)', () => {
  for (const ipv4 of ['8.8.8.8', '1.1.1.1', '93.184.216.34']) {
    for (const [form, ip] of Object.entries(embeddings(ipv4))) {
      if (form.startsWith('teredo')) continue; // the other half of a Teredo address is fixed below
      assert.equal(isPrivateAddress(ip), false, `${form} ${ip} (${ipv4})`);
    }
  }
  // A real-world Teredo address: server 65.54.227.120, client 192.0.2.45 inverted — 192.0.2.0/24 is
  // TEST-NET, public for the guard; here with a public client.
  assert.equal(isPrivateAddress('2001:0:4136:e378:8000:63bf:f7f7:f7f7'), false);
});

test('a name that resolves to an embedding form is refused on the resolved address', async () => {
  const lookup = guardedLookup({ allowPrivateNetworks: false }, (_host, _options, callback) =>
    callback(null, [{ address: '2002:7f00:1::1', family: 6 }]),
  );
  const error = await new Promise<Error | null>((resolve) =>
    lookup('sixtofour.example', { all: true }, (e) => resolve(e)),
  );
  assert.ok(error instanceof PrivateNetworkError, String(error));
  assert.match(error.message, /2002:7f00:1::1/);
});
