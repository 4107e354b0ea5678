// End to end in Chromium: `harvester serve --demo` (the real CLI process, simulated sources, one
// hanging) plus an Openverse stand-in with hostile titles. From the form: start a job, watch the
// sources progress, the hanging one time out while the others' thumbnails appear, hostile titles
// shown as text; then the history, the log view and the dashboard. Screenshots of every step go to
// test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBrowser, type Browser } from './browser.ts';
import { HOSTILE_TITLES, startHostileOpenverse, type HostileSource } from './hostile-openverse.ts';

const ROOT = process.cwd();
let dir: string;
let hostile: HostileSource;
let child: ChildProcess;
let url: string;
let stderr = '';
let browser: Browser;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'harvester-e2e-'));
  hostile = await startHostileOpenverse();
  // The working directory is the temp dir: downloads/, logs/ and data/ land there, no .env is read.
  child = spawn(process.execPath, [join(ROOT, 'bin', 'harvester.js'), 'serve', '--demo', '--port', '0'], {
    cwd: dir,
    env: { ...process.env, OPENVERSE_BASE_URL: hostile.origin },
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
  if (child && child.exitCode === null) {
    child.kill('SIGKILL');
  }
  await hostile?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the web UI against `harvester serve --demo`', () => {
  test('runs a job from the form and shows every part of it', { timeout: 90_000 }, async () => {
    try {
      await runJobThroughTheUi();
    } catch (error) {
      await browser.screenshot('failure').catch(() => {});
      throw error;
    }
  });

  test('the server stops on SIGTERM with exit code 0', { timeout: 20_000 }, async () => {
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.match(stderr, /SIGTERM: stopping/);
  });
});

async function runJobThroughTheUi(): Promise<void> {
  const { page } = browser;
  await page.goto(url);

  // 1. The search form, a checkbox per source with its state.
  await page.locator('.source-option').first().waitFor();
  const options = await page.locator('.source-option').allTextContents();
  assert.equal(options.length, 6, `five simulated sources and the Openverse stand-in: ${options.join(' | ')}`);
  assert.ok(await page.locator('#demo-badge').isVisible());
  for (const id of ['google_images', 'bing_images', 'yandex_images', 'unsplash', 'pexels', 'openverse']) {
    assert.equal(await page.locator(`#source-${id}`).isChecked(), true, `${id} is ready and checked`);
  }
  await page.getByLabel('Query').fill('aurora');
  await page.getByLabel('Files per source').fill('3');
  await browser.screenshot('01-search-form');

  // 2. Start: the live job view appears.
  await page.getByRole('button', { name: 'Start' }).click();
  await page.waitForURL(/#\/jobs\//);
  const jobId = decodeURIComponent(page.url().split('#/jobs/')[1]!);
  await page.locator('.job-view .source-card').first().waitFor();
  assert.equal(await page.locator('.job-view .source-card').count(), 6);

  // 3. The others' thumbnails land while the hanging source is still running.
  await page.locator('.source-card[data-source="google_images"][data-phase="ok"]').waitFor({ timeout: 20_000 });
  await page.locator('.thumb img').nth(5).waitFor({ timeout: 20_000 });
  const bingWhileRunning = await page.locator('.source-card[data-source="bing_images"]').getAttribute('data-phase');
  await browser.screenshot('02-job-running');
  assert.equal(bingWhileRunning, 'running', 'bing_images hangs: still running while the others are done');
  const loaded = await page
    .locator('.thumb img')
    .evaluateAll(
      (imgs) => imgs.filter((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0).length,
    );
  assert.ok(loaded >= 1, 'thumbnails are real images served by the files route');

  // 4. The hanging source times out; the job ends partial.
  await page.locator('.source-card[data-source="bing_images"][data-phase="timeout"]').waitFor({ timeout: 20_000 });
  await page.locator('.job-status .pill-partial').waitFor({ timeout: 10_000 });
  const bingError = await page.locator('.source-card[data-source="bing_images"] .source-error').textContent();
  assert.equal(bingError, 'Timeout after 4s');
  const statsRow = await page.locator('.stats-table tr[data-source="bing_images"]').textContent();
  assert.match(statsRow ?? '', /timed out/);
  assert.match(statsRow ?? '', /Timeout after 4s/);
  const saved = await page.locator('.thumb').count();
  assert.ok(saved >= 12, `at least four sources saved three files each (${saved})`);
  await browser.screenshot('03-job-finished');

  // 5. Hostile titles from a source are shown as text, never as markup.
  const hostileCaptions = await page.locator('.thumb[data-source="openverse"] .thumb-title').allTextContents();
  assert.ok(hostileCaptions.length >= 3, `the Openverse stand-in's files are shown (${hostileCaptions.length})`);
  for (const title of HOSTILE_TITLES) assert.ok(hostileCaptions.includes(title), `shown literally: ${title}`);
  const altTexts = await page
    .locator('.thumb[data-source="openverse"] img')
    .evaluateAll((imgs) => imgs.map((i) => i.getAttribute('alt')));
  assert.ok(altTexts.includes(HOSTILE_TITLES[0]!));
  assert.equal(await page.locator('img[src="x"]').count(), 0, 'no element was injected');
  assert.equal(await page.locator('.thumb svg').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  await page.locator('.thumb-grid').evaluate((grid) => grid.scrollTo(0, grid.scrollHeight));
  await browser.screenshotOf('.job-columns', '04-hostile-titles');

  // 6. The history lists the job.
  await page.getByRole('link', { name: 'History' }).click();
  const row = page.locator(`.history-table tr[data-job-id="${jobId}"]`);
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /aurora.*partial/);
  assert.equal(await page.getByRole('button', { name: 'Load more' }).isVisible(), false, 'one page holds every job');
  await browser.screenshot('05-history');
  await row.getByRole('link', { name: 'aurora' }).click();
  await page.locator('.job-view .pill-partial').first().waitFor();
  // The status pill can render before the file list arrives: wait for the last thumbnail, then count.
  await page
    .locator('.thumb')
    .nth(saved - 1)
    .waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('.thumb').count(), saved, 'reopening an ended job shows all its files again');

  // 7. The log view: the tail, then errors only.
  await page.getByRole('link', { name: 'Logs' }).click();
  await page.locator('.log-line').first().waitFor();
  const messages = await page.locator('.log-message').allTextContents();
  assert.ok(
    messages.some((m) => m === 'TIMEOUT | bing_images | Timeout after 4s'),
    "the seed's TIMEOUT line is in the log",
  );
  assert.ok(messages.some((m) => m.startsWith('SUCCESS: google_images | File: ')));
  await browser.screenshot('06-logs');
  await page.getByLabel('Errors only').check();
  await page.waitForFunction(
    () => ![...document.querySelectorAll('.log-message')].some((m) => m.textContent?.startsWith('SUCCESS')),
  );
  const errorLines = await page.locator('.log-message').allTextContents();
  assert.ok(errorLines.length >= 1);
  assert.ok(errorLines.every((m) => /^(FAILED|TIMEOUT) \|/.test(m) || m.length > 0));
  assert.ok(errorLines.some((m) => m.startsWith('TIMEOUT | bing_images')));
  await browser.screenshot('07-logs-errors-only');

  // 8. The dashboard: a chart per source.
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.locator('.trend svg.chart').first().waitFor();
  assert.equal(await page.locator('.trend svg.chart').count(), 6, 'one chart per source that ran');
  await page.getByLabel('Period', { exact: true }).selectOption('1h');
  await page.locator('.trend-grid[data-range="1h"] .chart-bar[data-runs="1"]').first().waitFor();
  await browser.screenshot('08-dashboard');

  assert.deepEqual(browser.problems, [], 'no script errors, no console errors, no alert()');
}
