// Disk full through the real CLI on a real 1 MiB tmpfs; skipped where the machine
// does not let the test mount one (not root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountTmpfs, runDiskFull, unmount } from '../../reliability/suites/disk-full.ts';

const probe = mkdtempSync(join(tmpdir(), 'harvester-rel-mount-'));
const refused = mountTmpfs(probe, 64 * 1024);
if (!refused) unmount(probe);
rmSync(probe, { recursive: true, force: true });

test(
  'a full disk fails the file with "no space left on device", removes its partial, and the next job works',
  { skip: refused ?? false },
  async () => {
    const r = await runDiskFull({ server: false, log: () => {} });
    assert.equal(r.notRun, null);
    assert.equal(r.steps.length, 3);
    for (const step of r.steps) assert.deepEqual(step.problems, [], step.step);
    assert.ok(r.steps.every((s) => s.parts === 0));
  },
);
