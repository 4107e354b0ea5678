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

test('follow prints appended lines, starts over after a rotation, and stops on abort', async () => {
  const path = join(dir, 'follow.log');
  writeFileSync(path, 'old\n');
  const seen: string[] = [];
  const stop = new AbortController();
  const following = followLog(path, 4, (line) => seen.push(line), stop.signal, 20);
  appendFileSync(path, 'one\ntw');
  await new Promise((r) => setTimeout(r, 80));
  appendFileSync(path, 'o\n');
  await new Promise((r) => setTimeout(r, 80));
  writeFileSync(path, 'new\n'); // rotated: a shorter file
  await new Promise((r) => setTimeout(r, 80));
  stop.abort();
  await following;
  assert.deepEqual(seen, ['one', 'two', 'new']);
});
