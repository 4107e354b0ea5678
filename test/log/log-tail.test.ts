// Reading the download log back (`harvester logs`, GET /api/logs): the tail across chunks and
// rotation, only what was appended, and following a growing file.
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { followLog, logLineText, parseLogLine, tailLog } from '../../src/log/log-tail.ts';

const dir = mkdtempSync(join(tmpdir(), 'harvester-tail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('tail reads the newest rotated file when the current one is short', async () => {
  const path = join(dir, 'download_errors.log');
  writeFileSync(`${path}.1`, 'a\nb\nc\n');
  writeFileSync(path, 'd\ne\n');
  const messages = async (p: string, lines: number): Promise<string[]> =>
    (await tailLog(p, { lines })).lines.map((l) => l.message);
  assert.deepEqual(await messages(path, 3), ['c', 'd', 'e']);
  assert.deepEqual(await messages(path, 2), ['d', 'e']);
  assert.deepEqual(await messages(join(dir, 'missing.log'), 5), []);
});

test('tail of no line still says where the last complete line ends', async () => {
  const path = join(dir, 'partial.log');
  writeFileSync(path, 'a\nb\nhalf');
  assert.deepEqual(await tailLog(path, { lines: 0 }), { lines: [], size: 4, reset: false });
});

test('tail keeps error lines only when asked, as `harvester logs --errors` does', async () => {
  const path = join(dir, 'errors.log');
  const lines = [
    '2025-10-02 14:30:00,000 | INFO | COMPLETED | openverse | Files: 2',
    '2025-10-02 14:30:01,000 | INFO | FAILED | pexels | skipped',
    '2025-10-02 14:30:02,000 | ERROR | TIMEOUT | bing_images | Timeout after 3s',
  ];
  writeFileSync(path, `${lines.join('\n')}\n`);
  const errors = await tailLog(path, { lines: 10, errorsOnly: true });
  assert.deepEqual(errors.lines.map(logLineText), lines.slice(1));
  assert.deepEqual(parseLogLine(lines[2]!), {
    ts: '2025-10-02 14:30:02,000',
    level: 'ERROR',
    message: 'TIMEOUT | bing_images | Timeout after 3s',
  });
});

test(
  'follow prints appended lines, starts over after a rotation, and stops on abort',
  { timeout: 10_000 },
  async () => {
    const path = join(dir, 'follow.log');
    writeFileSync(path, 'old\n');
    const seen: string[] = [];
    // Resolves once the follower has printed `count` lines: the test waits on what it prints.
    let waiting: { count: number; resolve: () => void } | null = null;
    const printed = (count: number): Promise<void> =>
      seen.length >= count ? Promise.resolve() : new Promise((resolve) => (waiting = { count, resolve }));
    const stop = new AbortController();
    const following = followLog(
      path,
      4,
      (line) => {
        seen.push(line);
        if (waiting !== null && seen.length >= waiting.count) waiting.resolve();
      },
      stop.signal,
      20,
    );
    appendFileSync(path, 'one\ntw');
    await printed(1); // the poll that printed `one` also read the unfinished `tw`
    appendFileSync(path, 'o\n');
    await printed(2);
    writeFileSync(path, 'new\n'); // rotated: a shorter file
    await printed(3);
    stop.abort();
    await following;
    assert.deepEqual(seen, ['one', 'two', 'new']);
  },
);

test('tail reads backwards across chunks, skips a half-written last line and notices rotation', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-tail-'));
  try {
    const path = join(dir, 'download_errors.log');
    const lines = Array.from(
      { length: 3000 },
      (_, i) =>
        `2025-10-02 14:30:00,${String(i % 1000).padStart(3, '0')} | ${i % 10 === 0 ? 'ERROR' : 'INFO'} | line ${i} ${'x'.repeat(40)}`,
    );
    writeFileSync(path, `${lines.join('\n')}\n`);
    const tail = await tailLog(path, { lines: 5 });
    assert.deepEqual(
      tail.lines.map((l) => l.message.split(' ').slice(0, 2).join(' ')),
      ['line 2995', 'line 2996', 'line 2997', 'line 2998', 'line 2999'],
    );
    const errors = await tailLog(path, { lines: 250, minLevel: 'ERROR' });
    assert.equal(errors.lines.length, 250);
    assert.ok(errors.lines.every((l) => l.level === 'ERROR'));
    assert.equal(errors.lines[0]!.message.split(' ')[1], '500');
    appendFileSync(path, '2025-10-02 14:31:00,000 | INFO | half a li');
    const partial = await tailLog(path, { lines: 1 });
    assert.match(partial.lines[0]!.message, /^line 2999 /, 'the unfinished line is not shown yet');
    appendFileSync(path, 'ne\n');
    const follow = await tailLog(path, { lines: 10, sinceOffset: partial.size });
    assert.deepEqual(
      follow.lines.map((l) => l.message),
      ['half a line'],
    );
    writeFileSync(path, '2025-10-02 15:00:00,000 | INFO | after rotation\n');
    const rotated = await tailLog(path, { lines: 10, sinceOffset: follow.size });
    assert.equal(rotated.reset, true);
    assert.deepEqual(
      rotated.lines.map((l) => l.message),
      ['after rotation'],
    );
    writeFileSync(`${path}.1`, '2025-10-02 14:59:00,000 | ERROR | before rotation\n');
    const across = await tailLog(path, { lines: 10 });
    assert.deepEqual(
      across.lines.map((l) => l.message),
      ['before rotation', 'after rotation'],
      'a short current file is preceded by the rotated one',
    );
    const missing = await tailLog(join(dir, 'nope.log'), { lines: 10 });
    assert.deepEqual(missing, { lines: [], size: 0, reset: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
