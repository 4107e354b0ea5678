// Outside text reaching logs and terminals: the one escaping function, and the proof through the
// real parts — the download log's file, the real CLI (`logs`, `jobs`, `job`, `search`) and the API.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.ts';
import { escapeControlChars, findControlChar } from '../../src/core/control-chars.ts';
import { emptySourceStats, type JobDocument } from '../../src/core/types.ts';
import { openDownloadLog } from '../../src/log/download-log.ts';
import { openStore } from '../../src/store/open.ts';
import { runCli } from '../cli/run-cli.ts';
import { call, startTestServer } from '../server/helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'harvester-control-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Every character Python's str.splitlines() breaks on, plus ESC, CSI and DEL. */
const HOSTILE = 'a\nb\rc\u000bd\u000ce\u001cf\u001dg\u001eh\u0085i\u2028j\u2029k\u001b[31ml\u009b2Jm\u007fn\u0000o';
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

describe('escapeControlChars', () => {
  test('escapes C0, C1, DEL and U+2028/U+2029 as \\uXXXX and leaves every other character', () => {
    assert.equal(escapeControlChars('\u001b[31mred\u2028'), '\\u001b[31mred\\u2028');
    const escaped = escapeControlChars(HOSTILE);
    assert.doesNotMatch(escaped, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/); // eslint-disable-line no-control-regex
    for (const c of ['\\u000a', '\\u000d', '\\u0085', '\\u2028', '\\u2029', '\\u001b', '\\u009b', '\\u007f', '\\u0000'])
      assert.ok(escaped.includes(c), c);
    const script = 'Straße 東京 👩‍👩‍👧 e\u0301 مرحبا \u200d\u200c';
    assert.equal(escapeControlChars(script), script);
  });

  test('findControlChar names the character and its position', () => {
    assert.equal(findControlChar('cats'), null);
    assert.equal(findControlChar('cat\u001b[2J'), 'U+001B (ESC) at position 4');
    assert.equal(findControlChar('x\u2028'), 'U+2028 (LINE SEPARATOR) at position 2');
    assert.equal(findControlChar('\u0085'), 'U+0085 (NEL) at position 1');
  });
});

describe('the download log', () => {
  test('a hostile error or URL never splits or colours a line, even for a reader that splits as Python does', async () => {
    const logDir = join(dir, 'log-a');
    const log = openDownloadLog({ logDir, maxBytes: 1 << 20, backups: 1, flushDelayMs: 0 });
    const ts = new Date().toISOString();
    log.onEvent({
      type: 'file_failed',
      job_id: 'j1',
      ts,
      seq: 1,
      source: 'openverse',
      url: `http://x/${HOSTILE}`,
      error: `boom\u2028${new Date().toISOString()} | INFO | SUCCESS: forged`,
    } as never);
    log.onEvent({
      type: 'retry',
      job_id: 'j1',
      ts,
      seq: 2,
      source: 'openverse',
      phase: 'download',
      attempt: 1,
      delay_ms: 10,
      url: 'http://x/',
      error: HOSTILE,
    } as never);
    await log.close();
    const text = readFileSync(join(logDir, 'download_errors.log'), 'utf8');
    // str.splitlines() boundaries.
    const lines = text.split(/\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/).filter((l) => l !== ''); // eslint-disable-line no-control-regex
    assert.equal(lines.length, 2, text);
    assert.doesNotMatch(text.replace(/\n/g, ''), RAW_CONTROL);
    assert.equal(
      lines.filter((l) => / \| SUCCESS/.test(l.split(' | ').slice(0, 3).join(' | '))).length,
      0,
      'no forged SUCCESS line',
    );
    assert.match(text, /boom\\u2028/);
  });
});

describe('the CLI', () => {
  const env = { DOWNLOAD_DIR: join(dir, 'dl'), LOG_DIR: join(dir, 'logs'), DATA_DIR: join(dir, 'data') };

  test('logs, jobs and job print outside text escaped', async () => {
    mkdirSync(env.LOG_DIR, { recursive: true });
    // A line as an older version, or another writer, could have left it.
    writeFileSync(
      join(env.LOG_DIR, 'download_errors.log'),
      `2025-10-02 14:30:00,123 | ERROR | FAILED | bing_images | ${HOSTILE}\n`,
    );
    const store = await openStore(loadConfig(env, {}));
    const doc: JobDocument = {
      job_id: 'hostile-job-1',
      status: 'failed',
      query: `cats${HOSTILE}`,
      queries: [`cats${HOSTILE}`],
      sources: ['google_images'],
      limit: 1,
      type: 'image',
      created_at: '2025-10-02T12:30:00.000Z',
      started_at: '2025-10-02T12:30:00.000Z',
      finished_at: '2025-10-02T12:30:05.000Z',
      duration_ms: 5000,
      results: {
        filtered: 0,
        filtered_reasons: { min_width: 0, min_height: 0, orientation: 0, license: 0 },
        near_duplicates: 0,
        query_stats: {},
        downloaded: 0,
        images: 0,
        videos: 0,
        source_stats: {
          google_images: { ...emptySourceStats(), status: 'failed', success: false, error: `bad ${HOSTILE}` },
        },
        successful_sources: [],
        failed_sources: ['google_images'],
        files: [],
      },
    };
    await store.jobs.create(doc, { query: doc.query, sources: ['google_images'], limit: 1, type: 'image' });
    await store.jobs.saveSourceStats('hostile-job-1', 'google_images', doc.results.source_stats.google_images!);
    await store.jobs.update('hostile-job-1', { status: 'failed', finished_at: doc.finished_at, duration_ms: 5000 });
    await store.close();
    for (const args of [['logs'], ['logs', '--errors'], ['jobs'], ['job', 'hostile-job-1']]) {
      const result = await runCli(args, { cwd: dir, env });
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(
        result.stdout.replace(/\n/g, ''),
        RAW_CONTROL,
        `${args.join(' ')} printed a raw control character`,
      );
      if (args[1] !== '--errors')
        assert.match(result.stdout, /\\u001b\[31m/, `${args.join(' ')} shows the escape visibly`);
    }
  });

  test('search refuses a query with a control character: exit 2, naming it, nothing run', async () => {
    for (const [query, named] of [
      ['cats\u001b[31m', 'U+001B (ESC)'],
      ['a\u2028b', 'U+2028'],
      ['x\u0085', 'U+0085'],
      ['tab\there', 'U+0009'],
    ] as const) {
      const result = await runCli(['search', query, '--sources', 'google_images'], { cwd: dir, env });
      assert.equal(result.code, 2, result.stderr);
      assert.ok(result.stderr.includes(named), result.stderr);
      assert.doesNotMatch(result.stderr.replace(/\n/g, ''), RAW_CONTROL);
    }
  });
});

describe('the API', () => {
  test('POST /api/jobs refuses a query with a control character with a 400 naming it', async () => {
    const s = await startTestServer();
    try {
      const before = (await call(s.url, 'GET', '/api/jobs')).body as { jobs: unknown[] };
      for (const query of ['cats\u001b]0;pwned\u0007', 'a\u2029b', 'c\u009b1m']) {
        const answer = await call(s.url, 'POST', '/api/jobs', { body: { query, sources: ['google_images'] } });
        assert.equal(answer.status, 400, answer.text);
        assert.match((answer.body as { message: string }).message, /control character.*U\+00(1B|9B)|U\+2029/);
      }
      assert.equal(
        ((await call(s.url, 'GET', '/api/jobs')).body as { jobs: unknown[] }).jobs.length,
        before.jobs.length,
      );
    } finally {
      await s.dispose();
    }
  });
});
