// Fast part of the configuration fuzzing; the full run is `npm run reliability`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzCli, fuzzLoadConfig } from '../../reliability/suites/config-fuzz.ts';

test('random invalid configuration values are refused in-process with a message naming them', () => {
  const outcome = fuzzLoadConfig(1000);
  assert.equal(outcome.failure, null, `seed ${outcome.seed}: ${outcome.failure}`);
});

test('the real CLI exits 2 naming a random invalid variable and creates nothing', async () => {
  const { cases, seed, preflight } = await fuzzCli(3);
  assert.equal(preflight, null);
  assert.equal(cases.length, 3);
  for (const c of cases) {
    const label = `seed ${seed}: ${c.command} with ${c.name}=${JSON.stringify(c.value)}`;
    assert.equal(c.code, 2, label);
    assert.ok(c.namedVariable, `${label}: stderr does not name the variable`);
    assert.ok(!c.createdSomething, `${label}: created a directory before refusing`);
  }
});
