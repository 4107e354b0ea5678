// Nothing is written through a symbolic link below DOWNLOAD_DIR: a link planted where a job's
// folder or a source's folder goes makes the source fail loudly, naming the link, and nothing
// lands where it points. Through the real CLI against the simulated sources.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { ensureDirectoryBelow } from '../../src/output/directory-below.ts';
import { runCli } from '../cli/run-cli.ts';

let sim: Simulation;
const dir = mkdtempSync(join(tmpdir(), 'harvester-links-'));
before(async () => {
  sim = await startSimulation({ sources: ['pexels'] });
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

function envFor(name: string): Record<string, string> & { DOWNLOAD_DIR: string } {
  return {
    ...sim.env,
    DOWNLOAD_DIR: join(dir, name, 'downloads'),
    LOG_DIR: join(dir, name, 'logs'),
    DATA_DIR: join(dir, name, 'data'),
  };
}

describe('symbolic links below DOWNLOAD_DIR', () => {
  for (const [what, linkAt] of [
    ['the job folder', ['cats']],
    ['the source folder', ['cats', 'pexels']],
  ] as const) {
    test(
      `a link as ${what} fails the source, naming the link, and writes nothing through it`,
      { timeout: 60_000 },
      async () => {
        const name = linkAt.join('-');
        const env = envFor(name);
        const outside = join(dir, name, 'outside');
        mkdirSync(outside, { recursive: true });
        const link = join(env.DOWNLOAD_DIR, ...linkAt);
        mkdirSync(join(link, '..'), { recursive: true });
        symlinkSync(outside, link);
        const result = await runCli(['search', 'cats', '--sources', 'pexels', '--limit', '2', '--json'], {
          cwd: dir,
          env,
        });
        assert.equal(result.code, 1, result.stderr);
        assert.ok(result.stderr.includes(`symbolic link ${link}`), result.stderr);
        assert.deepEqual(readdirSync(outside), [], 'nothing was written where the link points');
        const doc = JSON.parse(result.stdout) as {
          results: { downloaded: number; source_stats: { pexels: { error: string } } };
        };
        assert.equal(doc.results.downloaded, 0);
        assert.match(doc.results.source_stats.pexels.error, /symbolic link/);
      },
    );
  }

  test(
    'DOWNLOAD_DIR itself may be a link (the user chose it); without links a job saves its files',
    { timeout: 60_000 },
    async () => {
      const env = envFor('root-link');
      const real = join(dir, 'root-link', 'real');
      mkdirSync(real, { recursive: true });
      symlinkSync(real, env.DOWNLOAD_DIR);
      const result = await runCli(['search', 'cats', '--sources', 'pexels', '--limit', '2'], { cwd: dir, env });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(existsSync(join(real, 'cats', 'pexels')));
      assert.equal(
        readdirSync(join(real, 'cats', 'pexels')).filter((f) => f.endsWith('.png') || f.endsWith('.jpg')).length,
        2,
      );
    },
  );

  test('ensureDirectoryBelow refuses a path outside the root and a file in the way', async () => {
    const root = join(dir, 'unit');
    await ensureDirectoryBelow(root, join(root, 'a', 'b'));
    assert.ok(existsSync(join(root, 'a', 'b')));
    await assert.rejects(ensureDirectoryBelow(root, join(dir, 'elsewhere')), /not below/);
    symlinkSync(join(root, 'a'), join(root, 'l'));
    await assert.rejects(
      ensureDirectoryBelow(root, join(root, 'l', 'b')),
      new RegExp(`symbolic link ${join(root, 'l')}`),
    );
  });
});
