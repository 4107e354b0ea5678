// The web UI as people meet it, in Chromium against a real server over a real SQLite history:
// reloads, a second tab, back/forward and bookmarks; every view checked by axe-core at desktop,
// phone and 200% zoom sizes in light and dark, with no horizontal page scrolling; the skip link,
// focus moves, the document title and what the live region says during a job; a repeated search
// that explains its 0 new files; a skipped (cooling) source; a cancelled job; and the dashboard
// over a week of seeded history for ten sources. Screenshots go to test-output/e2e/.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../src/core/config.ts';
import { emptyFilterCounts, emptySourceStats, type JobDocument, type SourceStats } from '../../src/core/types.ts';
import { recordSourceOutcome } from '../../src/jobs/source-health.ts';
import { openStore } from '../../src/store/open.ts';
import { startTestServer, type TestServer } from '../server/helpers.ts';
import { axeViolations, describeViolations } from './axe.ts';
import { openBrowser, SCREENSHOT_DIR, type Browser } from './browser.ts';

const DAY_MS = 86_400_000;
/** Ten real source ids: the dashboard must stay readable with all of them. */
const TEN_SOURCES = [
  'google_images',
  'bing_images',
  'yandex_images',
  'duckduckgo_images',
  'unsplash',
  'pexels',
  'pixabay',
  'openverse',
  'wikimedia_commons',
  'nasa_images',
] as const;
const SIZES = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
  // 200% zoom of a 1280 px window: the page lays out in 640 CSS px.
  { name: 'zoom200', width: 640, height: 450 },
] as const;

let webRoot: string;
let dataRoot: string;
let server: TestServer;
let browser: Browser;

/** Real jobs over the last week (and one today) for ten sources, written through the store. */
async function seedHistory(dir: string): Promise<void> {
  const config = loadConfig(
    { DATA_DIR: join(dir, 'data'), DOWNLOAD_DIR: join(dir, 'downloads'), LOG_DIR: join(dir, 'logs') },
    {},
  );
  const store = await openStore(config);
  const now = Date.now();
  try {
    for (let day = 6; day >= 0; day--) {
      const started = new Date(now - day * DAY_MS - (day === 0 ? 20 * 60_000 : 3 * 3_600_000));
      const finished = new Date(started.getTime() + 40_000);
      const jobId = `seeded-${day}-0123456789abcdef`;
      const sourceStats: Record<string, SourceStats> = {};
      for (const source of TEN_SOURCES) sourceStats[source] = emptySourceStats();
      const doc: JobDocument = {
        job_id: jobId,
        status: 'running',
        query: `seeded day ${day}`,
        queries: [`seeded day ${day}`],
        sources: [...TEN_SOURCES],
        limit: 5,
        type: 'image',
        created_at: started.toISOString(),
        started_at: started.toISOString(),
        finished_at: null,
        duration_ms: null,
        results: {
          downloaded: 0,
          images: 0,
          videos: 0,
          filtered: 0,
          filtered_reasons: emptyFilterCounts(),
          near_duplicates: 0,
          query_stats: {},
          source_stats: sourceStats,
          successful_sources: [],
          failed_sources: [],
          files: [],
        },
      };
      await store.jobs.create(doc, { query: doc.query, sources: doc.sources, limit: 5, type: 'image' });
      for (const [i, source] of TEN_SOURCES.entries()) {
        // A fixed pattern: every source fails on some days, never twice in a row.
        const ok = (i + day) % 4 !== 0;
        const downloaded = ok ? 1 + ((i + day) % 5) : 0;
        const error = ok ? null : 'HTTP 503 Service Unavailable';
        await store.jobs.saveSourceStats(jobId, source, {
          ...emptySourceStats(),
          status: ok ? 'ok' : 'failed',
          success: ok,
          error,
          downloaded,
          images: downloaded,
          found: downloaded,
          duration_ms: 2000 + i * 300,
          started_at: started.toISOString(),
          finished_at: finished.toISOString(),
        });
        await recordSourceOutcome(store, {
          source,
          ok,
          error,
          durationMs: 2000 + i * 300,
          downloaded,
          downloadMs: downloaded * (100 + i * 40),
          at: finished,
        });
      }
      await store.jobs.update(jobId, { status: 'partial', finished_at: finished.toISOString(), duration_ms: 40_000 });
    }
    // Yandex failed three times in a row just now: it is cooling down for five minutes.
    for (let k = 3; k >= 1; k--) {
      await recordSourceOutcome(store, {
        source: 'yandex_images',
        ok: false,
        error: 'blocked: captcha page',
        durationMs: 500,
        downloaded: 0,
        downloadMs: 0,
        at: new Date(now - k * 1000),
      });
    }
  } finally {
    await store.close();
  }
}

before(async () => {
  webRoot = mkdtempSync(join(tmpdir(), 'harvester-web-'));
  dataRoot = mkdtempSync(join(tmpdir(), 'harvester-a11y-'));
  const { buildWeb } = (await import(pathToFileURL(join(process.cwd(), 'scripts', 'build-web.mjs')).href)) as {
    buildWeb(options: { outDir: string }): Promise<unknown>;
  };
  await buildWeb({ outDir: webRoot });
  await seedHistory(dataRoot);
  server = await startTestServer({
    sources: ['google_images', 'yandex_images', 'bing_images', 'unsplash', 'pexels'],
    hang: ['bing_images'],
    webRoot,
    env: { DATA_DIR: join(dataRoot, 'data'), BING_IMAGES_TIMEOUT: '600', REQUEST_TIMEOUT: '900' },
  });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  rmSync(webRoot, { recursive: true, force: true });
  rmSync(dataRoot, { recursive: true, force: true });
});

/** Records every text the live regions are given, as a screen reader would receive it. */
async function listenToLiveRegions(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __heard: string[]; __listening?: boolean };
    w.__heard = [];
    if (w.__listening) return;
    w.__listening = true;
    for (const id of ['announce-polite', 'announce-assertive']) {
      const region = document.getElementById(id)!;
      new MutationObserver(() => {
        const text = region.textContent?.trim();
        if (text) w.__heard.push(`${id === 'announce-assertive' ? '!' : ''}${text}`);
      }).observe(region, { childList: true, characterData: true, subtree: true });
    }
  });
}

async function heard(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __heard: string[] }).__heard);
}

async function h1(page: Page): Promise<string> {
  const headings = page.locator('main h1');
  await headings.first().waitFor();
  assert.equal(await headings.count(), 1, 'one h1 per view');
  return (await headings.first().textContent()) ?? '';
}

/** No horizontal page scrolling: the document is no wider than the window. */
async function assertNoHorizontalScroll(page: Page, where: string): Promise<void> {
  const { scrollWidth, innerWidth, wide } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    wide: [...document.querySelectorAll('body *')]
      .filter(
        (el) =>
          el.getBoundingClientRect().right > window.innerWidth + 1 &&
          !el.closest('.table-wrap, .sr-only, .skip-link, .svg-defs'),
      )
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`),
  }));
  assert.ok(
    scrollWidth <= innerWidth,
    `${where}: page is ${scrollWidth} px wide in a ${innerWidth} px window (${wide.join(', ')})`,
  );
}

/** Headings never skip a level (h1 → h3). */
async function assertHeadingOutline(page: Page, where: string): Promise<void> {
  const levels = await page.evaluate(() =>
    [...document.querySelectorAll('main h1, main h2, main h3, main h4, main h5, main h6')]
      .filter((el) => el.getClientRects().length > 0 || el.classList.contains('sr-only'))
      .map((el) => Number(el.tagName[1])),
  );
  assert.equal(levels[0], 1, `${where}: the outline starts with h1 (${levels.join(' ')})`);
  for (let i = 1; i < levels.length; i++)
    assert.ok(levels[i]! <= levels[i - 1]! + 1, `${where}: heading levels ${levels.join(' ')} skip one`);
}

/** Loads the view afresh (a new document, as from a bookmark). */
async function gotoView(page: Page, hash: string, ready: string): Promise<void> {
  await page.goto('about:blank');
  await page.goto(`${server.url}/${hash}`);
  await page.locator(ready).first().waitFor();
}

describe('the web UI: reloads, tabs, history, phones, zoom, screen readers (axe-core)', () => {
  let firstJob = '';
  let hangingJob = '';

  test(
    'a job from the form: focus, title, live announcements; the same search again explains its 0 new files',
    { timeout: 90_000 },
    async () => {
      const { page } = browser;
      try {
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.goto(server.url);
        await page.locator('.source-option').first().waitFor();
        await listenToLiveRegions(page);
        assert.equal(await page.title(), 'Harvester · Search');
        // Sources whose simulated results run out: the repeated search then finds nothing new.
        await page.getByRole('button', { name: 'none' }).click();
        for (const id of ['google_images', 'unsplash', 'pexels']) await page.locator(`#source-${id}`).check();
        await page.getByLabel('Query').fill('red fox');
        await page.getByLabel('Files per source').fill('100');
        await page.getByRole('button', { name: 'Start' }).click();
        await page.waitForURL(/#\/jobs\//);
        firstJob = decodeURIComponent(page.url().split('#/jobs/')[1]!);
        // The focus goes to the new view's heading, which names the job.
        await page.waitForFunction(
          () => document.activeElement?.id === 'job-title' && document.activeElement.textContent === '“red fox”',
        );
        await page.locator('.job-status .pill-completed').waitFor({ timeout: 30_000 });
        assert.equal(await page.title(), 'Harvester · red fox · completed');
        const saved = await page.locator('.thumb').count();
        assert.ok(saved >= 10, `the simulated sources saved their results (${saved})`);
        await page.waitForFunction(() =>
          (window as unknown as { __heard: string[] }).__heard.some((t) => t.includes('Job completed')),
        );
        const said = await heard(page);
        assert.ok(
          said.some((t) => /Google Images finished: \d+ files? saved/.test(t)),
          `a source's end is announced: ${said.join(' | ')}`,
        );
        assert.ok(
          said.some((t) => t.includes('10 files saved')),
          `every ten files are announced: ${said.join(' | ')}`,
        );
        assert.ok(
          said.some((t) => new RegExp(`Job completed: ${saved} files saved`).test(t)),
          `the job's end with its counts: ${said.join(' | ')}`,
        );
        assert.ok(said.length <= 8, `few words, rate-limited: ${said.length} announcements`);
        assert.ok(!said.some((t) => /live|reconnect/.test(t)), 'the connection state does not chatter');

        // The same search again: nothing new, and the view says why and where the files are.
        await page.getByRole('link', { name: 'Search' }).click();
        await page.waitForFunction(() => document.activeElement?.id === 'search-title');
        assert.equal(await page.getByLabel('Query').inputValue(), 'red fox', 'the form comes back as it was submitted');
        await page.getByRole('button', { name: 'Start' }).click();
        await page.waitForURL((u) => u.hash.startsWith('#/jobs/') && !u.hash.includes(firstJob));
        const outcome = page.locator('.outcome [data-outcome="existing"]');
        await outcome.waitFor({ timeout: 30_000 });
        const text = (await outcome.textContent()) ?? '';
        assert.match(
          text,
          new RegExp(`^0 new files — ${saved} were already saved by job ${firstJob.slice(0, 8)}… \\(open it\\)\\.$`),
        );
        assert.match(
          (await page.locator('.source-card[data-source="google_images"] [data-note="existing"]').textContent()) ?? '',
          /^\d+ already saved by job /,
        );
        await browser.screenshot('a11y-01-already-saved-desktop');
        await page.setViewportSize({ width: 390, height: 844 });
        await assertNoHorizontalScroll(page, 'already saved, phone');
        await browser.screenshot('a11y-01-already-saved-phone');
        await page.setViewportSize({ width: 1280, height: 900 });
        await outcome.getByRole('link', { name: `job ${firstJob.slice(0, 8)}…` }).click();
        await page.waitForURL((u) => u.hash === `#/jobs/${firstJob}`);
        await page.waitForFunction(() => document.activeElement?.id === 'job-title');
        await page
          .locator('.thumb')
          .nth(saved - 1)
          .waitFor();
        assert.deepEqual(browser.problems, []);
      } catch (error) {
        await browser.screenshot('a11y-failure-1').catch(() => {});
        throw error;
      }
    },
  );

  test('works across reloads, a second tab, back/forward and bookmarks', { timeout: 60_000 }, async () => {
    const { page, context } = browser;
    try {
      await gotoView(page, '#/history', '.history-table tbody tr');
      assert.equal(await h1(page), 'Job history');
      // A reload revalidates the page (a conditional request): it must come back styled and working.
      await page.reload();
      await page.locator('.history-table tbody tr').first().waitFor();
      assert.equal(await h1(page), 'Job history');
      assert.notEqual(
        await page.locator('.topbar').evaluate((el) => getComputedStyle(el).position),
        'static',
        'the stylesheet applies after a reload',
      );
      // A second tab opens a bookmark of a job.
      const tab = await context.newPage();
      try {
        await tab.goto(`${server.url}/#/jobs/${encodeURIComponent(firstJob)}`);
        await tab.locator('.job-status .pill-completed').waitFor();
        assert.equal(await h1(tab), '“red fox”');
        assert.equal(await tab.title(), 'Harvester · red fox · completed');
        await tab.reload();
        await tab.locator('.job-status .pill-completed').waitFor();
        // The view rebuilds itself from the replayed events: the thumbnails come back with them.
        await tab.locator('.thumb img').first().waitFor({ timeout: 10_000 });
        assert.ok((await tab.locator('.thumb img').count()) > 0);
      } finally {
        await tab.close();
      }
      // Back and forward through views.
      await page.getByRole('link', { name: 'Logs' }).click();
      assert.equal(await h1(page), 'Download log');
      await page.getByRole('link', { name: 'Dashboard' }).click();
      assert.equal(await h1(page), 'Dashboard');
      await page.goBack();
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Download log');
      assert.equal(await page.title(), 'Harvester · Logs');
      await page.goBack();
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Job history');
      await page.goForward();
      await page.waitForFunction(() => document.querySelector('main h1')?.textContent === 'Download log');
      assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), 'Logs');
    } catch (error) {
      await browser.screenshot('a11y-failure-2').catch(() => {});
      throw error;
    }
  });

  test('the skip link moves the focus to the main region and keeps the view', { timeout: 30_000 }, async () => {
    const { page } = browser;
    await gotoView(page, '#/history', '.history-table tbody tr');
    // Wait for the view, not only its first row: the first Tab must start from the page's top.
    await h1(page);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    assert.ok(await page.locator('.skip-link').isVisible(), 'the skip link shows when focused');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'main');
    assert.equal(new URL(page.url()).hash, '#/history');
    assert.equal(await h1(page), 'Job history');
  });

  test(
    'a cooling source is skipped and says when it will be tried again; Cancel leaves the focus on the job status',
    { timeout: 60_000 },
    async () => {
      const { page } = browser;
      try {
        await page.setViewportSize({ width: 1280, height: 900 });
        await gotoView(page, '#/', '.source-option');
        const yandex = page.locator('label[for="source-yandex_images"]');
        assert.match((await yandex.textContent()) ?? '', /cooling down/);
        assert.match(
          (await yandex.textContent()) ?? '',
          /tried again in [45] min \(\d/,
          'the retry time is local and relative, in plain view',
        );
        assert.match((await yandex.textContent()) ?? '', /last error: blocked: captcha page/);
        await page.getByRole('button', { name: 'none' }).click();
        await page.locator('#source-yandex_images').check();
        await page.locator('#source-bing_images').check();
        await page.getByLabel('Query').fill('heron');
        await listenToLiveRegions(page);
        await page.getByRole('button', { name: 'Start' }).click();
        await page.waitForURL(/#\/jobs\//);
        hangingJob = decodeURIComponent(page.url().split('#/jobs/')[1]!);
        const skipped = page.locator('.outcome [data-outcome="skipped"][data-source="yandex_images"]');
        await skipped.waitFor({ timeout: 20_000 });
        assert.match(
          (await skipped.textContent()) ?? '',
          /^Yandex Images was skipped: .*cooling.*\. It will be tried again in [45] min \(\d{1,2}:\d{2}/,
        );
        assert.doesNotMatch((await skipped.textContent()) ?? '', /Z\b|T\d\d:/, 'no raw UTC timestamp');
        await page.locator('.source-card[data-source="bing_images"][data-phase="running"]').waitFor();
        await page.waitForFunction(() =>
          / of its 10 min 0 s deadline$/.test(
            document.querySelector('.source-card[data-source="bing_images"] .deadline-text')?.textContent ?? '',
          ),
        );
        assert.equal(await page.title(), 'Harvester · heron · running');
        await page.waitForFunction(() =>
          (window as unknown as { __heard: string[] }).__heard.some((t) => t.includes('Yandex Images skipped')),
        );
      } catch (error) {
        await browser.screenshot('a11y-failure-3').catch(() => {});
        throw error;
      }
    },
  );

  test(
    'axe-core finds no violation on any view at 1280 px, 390 px and 200% zoom, light and dark; nothing scrolls sideways',
    { timeout: 480_000 },
    async () => {
      const { page } = browser;
      const views: { name: string; hash: string; ready: string; open?: (p: Page) => Promise<void> }[] = [
        { name: 'search', hash: '#/', ready: '.source-option' },
        {
          name: 'job-running',
          hash: `#/jobs/${encodeURIComponent(hangingJob)}`,
          ready: '.source-card[data-phase="running"]',
        },
        { name: 'job-finished', hash: `#/jobs/${encodeURIComponent(firstJob)}`, ready: '.job-status .pill-completed' },
        { name: 'history', hash: '#/history', ready: '.history-table tbody tr' },
        { name: 'logs', hash: '#/logs', ready: '.log-line' },
        { name: 'dashboard', hash: '#/dashboard', ready: '.trend svg.chart' },
        {
          name: 'token-dialog',
          hash: '#/',
          ready: '.source-option',
          open: async (p) => {
            await p.getByRole('button', { name: 'API token' }).click();
            await p.getByRole('dialog', { name: 'API token' }).waitFor();
          },
        },
      ];
      const failures: string[] = [];
      try {
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          for (const size of SIZES) {
            await page.setViewportSize({ width: size.width, height: size.height });
            for (const view of views) {
              const where = `${view.name} ${size.name} ${scheme}`;
              await gotoView(page, view.hash, view.ready);
              await view.open?.(page);
              const violations = await axeViolations(page);
              if (violations.length > 0) failures.push(describeViolations(where, violations));
              if (!view.open) {
                await assertNoHorizontalScroll(page, where);
                await assertHeadingOutline(page, where);
                await h1(page);
              }
              if (
                size.name !== 'zoom200' &&
                (scheme === 'light' || view.name.startsWith('job') || view.name === 'dashboard')
              )
                await browser.screenshot(`a11y-${view.name}-${size.name}-${scheme}`);
            }
          }
        }
        await page.emulateMedia({ colorScheme: 'light' });
        // Reflow at 320 CSS px (400% zoom of 1280).
        await page.setViewportSize({ width: 320, height: 640 });
        for (const view of views.filter((v) => !v.open)) {
          await gotoView(page, view.hash, view.ready);
          await assertNoHorizontalScroll(page, `${view.name} at 320 px`);
        }
      } finally {
        await page.emulateMedia({ colorScheme: 'light' });
        await page.setViewportSize({ width: 1280, height: 900 });
      }
      assert.deepEqual(failures, [], failures.join('\n'));
    },
  );

  test(
    'targets are at least 24 px, and 44 px on a phone; sizes follow the reader’s base font size',
    { timeout: 60_000 },
    async () => {
      const { page } = browser;
      const measure = async (): Promise<string[]> =>
        page.evaluate(() =>
          [
            ...document.querySelectorAll<HTMLElement>(
              'button, a.button, nav a, select, input:not([type="checkbox"]), .source-option, .check',
            ),
          ]
            .filter((el) => el.getClientRects().length > 0 && !el.closest('dialog:not([open])'))
            .map((el) => ({ el, box: el.getBoundingClientRect() }))
            .filter(({ box }) => box.height > 0)
            .map(
              ({ el, box }) =>
                `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} "${(el.textContent ?? '').trim().slice(0, 20)}" ${Math.round(box.width)}×${Math.round(box.height)}`,
            ),
        );
      for (const [width, min] of [
        [1280, 24],
        [390, 44],
      ] as const) {
        await page.setViewportSize({ width, height: 900 });
        for (const hash of ['#/', '#/history', '#/logs', '#/dashboard', `#/jobs/${encodeURIComponent(hangingJob)}`]) {
          await gotoView(page, hash, 'main h1');
          await page.locator('main button, main select, main .source-option').first().waitFor();
          const small = (await measure()).filter((d) => {
            const [w, hgt] = d.split(' ').pop()!.split('×').map(Number);
            return w! < min || hgt! < min;
          });
          assert.deepEqual(small, [], `${hash} at ${width} px: targets under ${min} px`);
        }
      }
      await page.setViewportSize({ width: 1280, height: 900 });
      await gotoView(page, '#/history', 'main h1');
      const root = await page.evaluate(() => getComputedStyle(document.documentElement).fontSize);
      assert.equal(root, '16px', 'the root size is the browser’s (the reader’s) own');
      // A reader who sets a larger base size gets larger text throughout.
      const [before, after] = await page.evaluate(() => {
        const heading = document.querySelector('main h1')!;
        const a = parseFloat(getComputedStyle(heading).fontSize);
        document.documentElement.style.fontSize = '150%';
        const b = parseFloat(getComputedStyle(heading).fontSize);
        document.documentElement.style.fontSize = '';
        return [a, b];
      });
      assert.ok(Math.abs(after! / before! - 1.5) < 0.01, `h1 scales with the base size (${before} → ${after})`);
    },
  );

  test(
    'Cancel moves the focus to the job status, and the view says the job was cancelled',
    { timeout: 60_000 },
    async () => {
      const { page } = browser;
      try {
        await page.setViewportSize({ width: 390, height: 844 });
        await gotoView(page, `#/jobs/${encodeURIComponent(hangingJob)}`, '.source-card[data-phase="running"]');
        await listenToLiveRegions(page);
        const cancel = page.getByRole('button', { name: 'Cancel' });
        await cancel.focus();
        await page.keyboard.press('Enter');
        await page.waitForFunction(() => document.activeElement?.id === 'job-status');
        await page.locator('.job-status .pill-cancelled').waitFor({ timeout: 20_000 });
        assert.equal(
          await page.evaluate(() => document.activeElement?.id),
          'job-status',
          'the focus stays on the status after the buttons change',
        );
        const cancelled = page.locator('.outcome [data-outcome="cancelled"]');
        await cancelled.waitFor();
        assert.match(
          (await cancelled.textContent()) ?? '',
          /^Cancelled (just now|\d+ s ago) \(\d{1,2}:\d{2}:\d{2}.*\): the 0 files saved before that are kept\. Resume runs the sources that had not finished\.$/,
        );
        assert.equal(await page.title(), 'Harvester · heron · cancelled');
        await page.waitForFunction(() =>
          (window as unknown as { __heard: string[] }).__heard.some((t) => t.includes('Job cancelled')),
        );
        assert.ok(await page.getByRole('button', { name: 'Resume' }).isVisible());
        await assertNoHorizontalScroll(page, 'cancelled job, phone');
        await browser.screenshot('a11y-cancelled-phone');
      } catch (error) {
        await browser.screenshot('a11y-failure-cancel').catch(() => {});
        throw error;
      } finally {
        await page.setViewportSize({ width: 1280, height: 900 });
      }
    },
  );

  test(
    'the dashboard reads a week of history for ten sources: a chart each, a legend, values on hover and by keyboard',
    { timeout: 60_000 },
    async () => {
      const { page } = browser;
      await gotoView(page, '#/dashboard', '.trend svg.chart');
      assert.equal(await page.locator('.trend-grid').getAttribute('data-range'), '7d');
      const charts = page.locator('.trend');
      const ids = await charts.evaluateAll((els) => els.map((e) => e.getAttribute('data-source')));
      for (const id of TEN_SOURCES) assert.ok(ids.includes(id), `${id} has its own chart (${ids.join(', ')})`);
      assert.match((await page.locator('.legend').textContent()) ?? '', /successful runs.*failed runs/);
      // Seven days of runs, today's included: bars in seven daily slots, failures drawn apart.
      const google = page.locator('.trend[data-source="google_images"]');
      const withRuns = await google
        .locator('.chart-bar')
        .evaluateAll((bars) => bars.filter((b) => Number(b.getAttribute('data-runs')) > 0).length);
      assert.ok(withRuns >= 6, `runs on six or seven distinct days (${withRuns})`);
      assert.ok((await page.locator('.chart-failed').count()) >= 10, 'failed runs are drawn');
      // Hover shows a period's figures as text.
      const bar = google.locator('.chart-bar[data-runs="1"]').last();
      await bar.hover();
      assert.match(
        (await google.locator('.chart-tip').textContent()) ?? '',
        /: 1 run, [01] ok, [01] failed, \d+ files/,
      );
      // So does the keyboard.
      await google.locator('svg.chart').focus();
      await page.keyboard.press('End');
      await page.keyboard.press('ArrowLeft');
      assert.match((await google.locator('.chart-tip').textContent()) ?? '', /: (1 run|no runs)/);
      await browser.screenshot('a11y-dashboard-week-desktop');
      await page.setViewportSize({ width: 390, height: 844 });
      await assertNoHorizontalScroll(page, 'dashboard, phone');
      await browser.screenshot('a11y-dashboard-week-phone');
      await page.setViewportSize({ width: 1280, height: 900 });
      assert.ok(SCREENSHOT_DIR.endsWith(join('test-output', 'e2e')));
      assert.deepEqual(browser.problems, []);
    },
  );
});
