// Graceful shutdown: SIGTERM to the real server while jobs run and wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runShutdown } from '../../reliability/suites/shutdown.ts';

test('SIGTERM stops accepting, exits 0 promptly, marks unfinished jobs interrupted, and the next start resumes them', async () => {
  const r = await runShutdown({ jobs: 3, log: () => {} });
  assert.deepEqual(r.problems, []);
  assert.equal(r.exitCode, 0);
  assert.ok((r.statusesAfterExit.interrupted ?? 0) >= 1, JSON.stringify(r.statusesAfterExit));
  assert.equal(r.partsAfterExit, 0);
});
