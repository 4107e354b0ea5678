// Redis unreachable at start-up (docs/ARCHITECTURE.md, "Redis lost"): `worker`, `serve` and
// `search` of the distributed mode stop within the connect timeout with exit 2 and a message that
// names REDIS_URL without its password — whether the port refuses or accepts and never answers —
// instead of waiting silently for a Redis that may never come.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDeadPorts, startUpAgainst } from '../helpers/dead-ports.ts';
import { createTestDatabase } from '../helpers/pg-database.ts';

/** How long a face waits for Redis at start-up (src/queue/keys.ts). */
const CONNECT_TIMEOUT_MS = 5_000;
/** What the silent case may cost beyond the refusing one besides the timeout (a loaded machine's start-up). */
const WAIT_MARGIN_MS = 5_000;

test('worker, serve and search with a REDIS_URL nobody answers: exit 2 within the connect timeout, Redis named, its password not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-redis-down-'));
  const db = await createTestDatabase();
  const dead = await openDeadPorts();
  const { silentPort, refusedPort } = dead;
  try {
    const results = await startUpAgainst(dead, dir, (port) => ({
      DATABASE_URL: db.url,
      REDIS_URL: `redis://:s3cret-pw@127.0.0.1:${port}/3`,
    }));
    for (const r of results) {
      const { what } = r;
      t.diagnostic(`${what}: exit ${r.code} after ${Math.round(r.durationMs)} ms: ${r.stderr.trim()}`);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(
        r.stderr,
        new RegExp(`cannot connect to Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${r.port}/3 \\(REDIS_URL\\): `),
        what,
      );
      assert.match(r.stderr, r.port === silentPort ? /no answer within 5 s/ : /ECONNREFUSED/, what);
      assert.doesNotMatch(r.stderr + r.stdout, /s3cret-pw/, what);
      assert.doesNotMatch(r.stderr, /^\s+at /m, `${what}: no stack trace`);
    }
    for (const command of ['worker', 'serve', 'search']) {
      const [silentRun, refusedRun] = [silentPort, refusedPort].map((port) =>
        results.find((r) => r.args[0] === command && r.port === port),
      );
      const extraMs = silentRun!.durationMs - refusedRun!.durationMs;
      assert.ok(extraMs < WAIT_MARGIN_MS, `${command}: a silent Redis cost ${extraMs} ms more`);
      assert.ok(
        refusedRun!.durationMs >= CONNECT_TIMEOUT_MS - 500,
        `${command}: gave up after ${refusedRun!.durationMs} ms`,
      );
    }
  } finally {
    await dead.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
});
