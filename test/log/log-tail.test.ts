// Reading the download log back: the tail across rotation, and following a growing file.
import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { followLog, tailLog } from '../../src/log/log-tail.ts';

const dir = mkdtempSync(join(tmpdir(), 'harvester-tail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('tail reads the newest rotated file when the current one is short', async () => {
  const path = join(dir, 'download_errors.log');
  writeFileSync(`${path}.1`, 'a\nb\nc\n');
  writeFileSync(path, 'd\ne\n');
  assert.deepEqual(await tailLog(path, 3), ['c', 'd', 'e']);
  assert.deepEqual(await tailLog(path, 2), ['d', 'e']);
  assert.deepEqual(await tailLog(join(dir, 'missing.log'), 5), []);
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
