// End to end in Chromium: a data-set job from the form — two queries, a minimum width, a licence
// — against `harvester serve` (the real CLI process) over simulated Openverse and Pexels that
// serve one picture twice. The job view says, in all and per source, how many pictures each filter
// and the near-duplicate removal took away, and per query, as the job document does.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobDocument } from '../../src/core/types.ts';
import { makePicture } from '../../src/demo/media.ts';
import { startSimulation, type Simulation } from '../../src/demo/sim-server.ts';
import { openBrowser, type Browser } from './browser.ts';

const ROOT = process.cwd();
let dir: string;
let sim: Simulation;
let child: ChildProcess;
let url: string;
let stderr = '';
let browser: Browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'harvester-e2e-dataset-'));
  // Every file is 1000×250 (thumbnails 120×30); Pexels' photos 238118 and 461077 are one picture.
  sim = await startSimulation({
    sources: ['openverse', 'pexels'],
    media: (name) => {
      const thumbnail = /compress|thumb/.test(name);
      const key = /238118|461077/.test(name) ? 'otter' : name.replace(/-(auto-compress.*|thumb-)\.png$/, '');
      return { body: makePicture(key, thumbnail ? 120 : 1000, thumbnail ? 30 : 250), type: 'image/png' };
    },
  });
  child = spawn(process.execPath, [join(ROOT, 'bin', 'harvester.js'), 'serve', '--port', '0'], {
    cwd: dir,
    env: { ...process.env, ...sim.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /^(http:\/\/\S+)\n/m.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

test(
  'the job view says how many pictures each filter and the near-duplicate removal took, per source and query',
  { timeout: 90_000 },
  async () => {
    const { page } = browser;
    try {
      await page.goto(url);
      await page.locator('.source-option').first().waitFor();
      for (const box of await page.locator('input[name="sources"]').all()) {
        const value = await box.getAttribute('value');
        await box.setChecked(value === 'openverse' || value === 'pexels');
      }
      await page.getByLabel('Query').fill('otter\nheron');
      await page.getByLabel('Files per source').fill('3');
      await page.getByLabel('Min. width (px)').fill('970');
      await page.getByLabel('Licence').selectOption('commercial');
      await page.getByRole('button', { name: 'Start' }).click();
      await page.waitForURL(/#\/jobs\//);
      const jobId = decodeURIComponent(page.url().split('#/jobs/')[1]!);
      await page.locator('.job-status .pill-completed, .job-status .pill-partial').first().waitFor({ timeout: 60_000 });

      const doc = (await page.evaluate(
        async (id) => (await fetch(`/api/jobs/${encodeURIComponent(id)}`)).json(),
        jobId,
      )) as JobDocument;
      const r = doc.results;
      assert.ok(r.filtered > 0 && r.near_duplicates > 0, `something was removed: ${JSON.stringify(r.source_stats)}`);
      assert.ok(r.filtered_reasons.min_width > 0, 'Openverse’s picture that claims 960 px is too narrow');

      const removed = page.locator('[data-outcome="removed"]');
      await removed.waitFor();
      const total = (await removed.locator('p').textContent()) ?? '';
      assert.match(
        total,
        new RegExp(`^Removed: ${r.filtered} by the filters \\(.*too narrow ${r.filtered_reasons.min_width}`),
      );
      assert.match(total, new RegExp(`, ${r.near_duplicates} near-duplicates? of pictures already kept\\.$`));
      for (const id of ['openverse', 'pexels'] as const) {
        const s = r.source_stats[id]!;
        const line = removed.locator(`li[data-source="${id}"]`);
        if (s.filtered === 0 && s.near_duplicates === 0) {
          assert.equal(await line.count(), 0);
          continue;
        }
        const text = (await line.textContent()) ?? '';
        assert.match(text, new RegExp(`: ${s.filtered} filtered.*, ${s.near_duplicates} near-duplicates?$`), text);
        if (s.filtered_reasons.license > 0) assert.match(text, new RegExp(`licence ${s.filtered_reasons.license}`));
        const row = (await page.locator(`.stats-table tr[data-source="${id}"]`).first().textContent()) ?? '';
        assert.ok(row.length > 0);
      }
      // Per query, as the job document counts them.
      for (const q of ['otter', 'heron']) {
        const cells = await page.locator(`.query-table tr[data-query="${q}"] td`).allTextContents();
        const st = r.query_stats[q]!;
        assert.deepEqual(
          cells.slice(0, 3),
          [String(st.downloaded), String(st.filtered), String(st.near_duplicates)],
          q,
        );
      }
      await browser.screenshot('dataset-job');
      assert.deepEqual(browser.problems, []);
    } catch (error) {
      await browser.screenshot('dataset-failure').catch(() => {});
      throw error;
    }
  },
);
