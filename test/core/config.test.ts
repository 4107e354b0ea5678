import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, maskUrl, readDotenv, sourceTimeoutMs, VARIABLES } from '../../src/core/config.ts';
import { ConfigError } from '../../src/core/errors.ts';

test('defaults are the seed values, converted once to milliseconds', () => {
  const c = loadConfig({}, {});
  assert.equal(c.maxConcurrentSources, 5);
  assert.equal(c.sourceTimeoutMs, 30_000);
  assert.equal(c.requestTimeoutMs, 10_000);
  assert.equal(c.downloadTimeoutMs, 15_000);
  assert.equal(c.maxRetriesPerSource, 2);
  assert.equal(c.maxRetriesPerDownload, 2);
  assert.equal(c.stallTimeoutMs, 5_000);
  assert.equal(c.minDownloadSpeed, 1024);
  assert.equal(c.maxDownloadsPerSource, 4);
  assert.equal(c.maxConnectionsPerHost, 8);
  assert.equal(c.maxVideoResolution, 1080);
  assert.equal(c.maxFileSizeBytes, 500 * 1024 * 1024);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 8080);
  assert.equal(c.maxConcurrentJobs, 4);
  assert.equal(c.apiToken, null);
  assert.equal(c.rateLimitPerMinute, 600);
  assert.equal(c.searchCacheTtlMs, 86_400_000);
  assert.equal(c.allowPrivateNetworks, false);
  assert.equal(c.pexelsApiKey, null);
  assert.ok(c.downloadDir.endsWith('downloads'));
});

test('the environment wins over .env, which wins over defaults', () => {
  const c = loadConfig({ SOURCE_TIMEOUT: '7' }, { SOURCE_TIMEOUT: '9', REQUEST_TIMEOUT: '3' });
  assert.equal(c.sourceTimeoutMs, 7_000);
  assert.equal(c.requestTimeoutMs, 3_000);
});

test('per-source timeout and origin overrides', () => {
  const c = loadConfig(
    { BING_IMAGES_TIMEOUT: '60', BING_IMAGES_BASE_URL: 'http://127.0.0.1:9000/', URLS_TIMEOUT: '4' },
    {},
  );
  assert.equal(sourceTimeoutMs(c, 'bing_images'), 60_000);
  assert.equal(sourceTimeoutMs(c, 'pexels'), 30_000);
  assert.equal(sourceTimeoutMs(c, 'urls'), 4_000);
  assert.equal(c.baseUrls.bing_images, 'http://127.0.0.1:9000');
});

test('an inner timeout longer than its outer deadline is valid', () => {
  const c = loadConfig({ REQUEST_TIMEOUT: '60', SOURCE_TIMEOUT: '5' }, {});
  assert.equal(c.requestTimeoutMs, 60_000);
});

for (const [name, value, expected] of [
  ['MAX_CONCURRENT_SOURCES', '0', 'an integer from 1 to 64'],
  ['MAX_CONCURRENT_SOURCES', 'five', 'an integer from 1 to 64'],
  ['SOURCE_TIMEOUT', '-1', 'seconds'],
  ['SOURCE_TIMEOUT', '30s', 'seconds'],
  ['PORT', '70000', 'a port'],
  ['ALLOW_PRIVATE_NETWORKS', 'maybe', 'true or false'],
  ['PEXELS_BASE_URL', 'ftp://x', 'http(s) origin'],
  ['BING_IMAGES_BASE_URL', 'http://h/path?q=1', 'http(s) origin'],
  ['BING_IMAGES_TIMEOUT', 'soon', 'seconds'],
  ['API_TOKEN', 'short', 'at least 8 characters'],
  ['MAX_FILE_SIZE_MB', '0', 'megabytes'],
  ['HISTORY_RETENTION_DAYS', '-1', 'days'],
  ['HISTORY_RETENTION_DAYS', '1.5', 'days'],
] as const) {
  test(`${name}=${JSON.stringify(value)} is refused with a message naming it`, () => {
    assert.throws(
      () => loadConfig({ [name]: value }, {}),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.includes(name) &&
        e.message.includes(JSON.stringify(value)) &&
        e.message.includes(expected),
    );
  });
}

test('every invalid variable is reported at once', () => {
  assert.throws(
    () => loadConfig({ PORT: 'x', SOURCE_TIMEOUT: 'y' }, {}),
    (e: unknown) => e instanceof ConfigError && e.message.includes('PORT') && e.message.includes('SOURCE_TIMEOUT'),
  );
});

test('.env is read from the working directory; a missing one is no error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-config-'));
  try {
    assert.deepEqual(readDotenv(dir), {});
    writeFileSync(join(dir, '.env'), '# comment\nSOURCE_TIMEOUT=12\nPEXELS_API_KEY="abc def"\n');
    const env = readDotenv(dir);
    assert.equal(loadConfig({}, env).sourceTimeoutMs, 12_000);
    assert.equal(loadConfig({}, env).pexelsApiKey, 'abc def');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('.env.example documents every variable', () => {
  const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  for (const name of Object.keys(VARIABLES)) assert.match(example, new RegExp(`\\b${name}=`), name);
  assert.match(example, /<ID>_TIMEOUT/);
  assert.match(example, /<ID>_BASE_URL/);
});

test('DATABASE_URL and REDIS_URL: PostgreSQL and Redis URLs, REDIS_URL only with DATABASE_URL', () => {
  const none = loadConfig({}, {});
  assert.equal(none.databaseUrl, null);
  assert.equal(none.redisUrl, null);
  assert.equal(none.workerConcurrency, none.maxConcurrentSources);
  const both = loadConfig(
    {
      DATABASE_URL: 'postgres://h:secret@db.internal:5433/harvester',
      REDIS_URL: 'redis://cache:6379/2',
      WORKER_CONCURRENCY: '3',
    },
    {},
  );
  assert.equal(both.databaseUrl, 'postgres://h:secret@db.internal:5433/harvester');
  assert.equal(both.redisUrl, 'redis://cache:6379/2');
  assert.equal(both.workerConcurrency, 3);
  assert.equal(loadConfig({ DATABASE_URL: 'postgresql:///harvester?host=/run/postgresql' }, {}).redisUrl, null);

  assert.throws(
    () => loadConfig({ DATABASE_URL: 'mysql://u:hunter22@db/x' }, {}),
    (error: unknown) =>
      error instanceof ConfigError &&
      /DATABASE_URL="mysql:\/\/u:\*\*\*@db\/x" is invalid: expected a PostgreSQL URL/.test(error.message) &&
      !error.message.includes('hunter22'),
  );
  assert.throws(() => loadConfig({ DATABASE_URL: 'not a url' }, {}), /DATABASE_URL="not a url" is invalid/);
  assert.throws(() => loadConfig({ REDIS_URL: 'http://cache' }, {}), /REDIS_URL="http:\/\/cache" is invalid/);
  assert.throws(
    () => loadConfig({ REDIS_URL: 'redis://cache:6379' }, {}),
    (error: unknown) => error instanceof ConfigError && /REDIS_URL .*DATABASE_URL/.test(error.message),
  );
  assert.throws(() => loadConfig({ WORKER_CONCURRENCY: '0' }, {}), /WORKER_CONCURRENCY="0" is invalid/);
});

test('QUEUE_PREFIX: `harvester` by default, parts joined by `:`, never a glob or a space', () => {
  assert.equal(loadConfig({}, {}).queuePrefix, 'harvester');
  assert.equal(loadConfig({ QUEUE_PREFIX: 'harvester:demo-1f2e' }, {}).queuePrefix, 'harvester:demo-1f2e');
  assert.equal(loadConfig({}, { QUEUE_PREFIX: 'staging.images' }).queuePrefix, 'staging.images');
  for (const bad of ['harvester:*', 'a b', 'a::b', ':a', 'a:', 'x'.repeat(65), '']) {
    assert.throws(() => loadConfig({ QUEUE_PREFIX: bad }, {}), /QUEUE_PREFIX=.* is invalid/, JSON.stringify(bad));
  }
});

test('maskUrl hides a password in the user part and in a password= parameter', () => {
  assert.equal(maskUrl('postgres://h:s3cret@db:5432/x'), 'postgres://h:***@db:5432/x');
  assert.equal(maskUrl('redis://:s3cret@cache:6379/2'), 'redis://:***@cache:6379/2');
  assert.equal(
    maskUrl('postgres://db/x?sslmode=require&password=s3cret'),
    'postgres://db/x?sslmode=require&password=***',
  );
  assert.equal(maskUrl('redis://cache:6379/0'), 'redis://cache:6379/0');
});
