// Fast subset of crash-at-any-point: one SIGKILL of the server at a random moment of
// a running job, then a restart that resumes it; the 20-kill run (CLI and server) is
// `npm run reliability` (the store's own tests SIGKILL the CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCrash } from '../../reliability/suites/crash.ts';

test('a SIGKILL at a random moment, then resume: integrity ok, every file exactly once, nothing partial', async () => {
  const seed = Date.now() % 2 ** 31;
  const outcome = await runCrash({
    cliKills: 0,
    serverKills: 1,
    seed,
    sources: ['openverse', 'pexels'],
    limit: 3,
    latencyMs: 25,
    log: () => {},
  });
  assert.ok(outcome.kills.length >= 1, `seed ${seed}: no kill landed`);
  for (const k of outcome.kills)
    if (k.integrity !== 'no database yet') assert.equal(k.integrity, 'ok', `seed ${seed}: kill ${k.n}`);
  assert.deepEqual(outcome.problems, [], `seed ${seed}`);
  assert.ok(outcome.jobs.length >= 1, `seed ${seed}: no job was resumed`);
});
