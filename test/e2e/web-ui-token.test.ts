// End to end in Chromium with API_TOKEN set: the UI asks for the token when the API refuses it,
// keeps it in localStorage, sends it as a Bearer header, and passes it as ?access_token= to the
// event stream and the thumbnails (which cannot send headers).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startTestServer, type TestServer } from '../server/helpers.ts';
import { openBrowser, type Browser } from './browser.ts';

const TOKEN = 'e2e-token-0123456789';
let webRoot: string;
let server: TestServer;
let browser: Browser;

before(async () => {
  webRoot = mkdtempSync(join(tmpdir(), 'harvester-web-'));
  const { buildWeb } = (await import(pathToFileURL(join(process.cwd(), 'scripts', 'build-web.mjs')).href)) as {
    buildWeb(options: { outDir: string }): Promise<unknown>;
  };
  await buildWeb({ outDir: webRoot });
  server = await startTestServer({ sources: ['google_images'], webRoot, env: { API_TOKEN: TOKEN } });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await server?.dispose();
  rmSync(webRoot, { recursive: true, force: true });
});

describe('the web UI with API_TOKEN', () => {
  test('asks for the token, then works with it everywhere', { timeout: 60_000 }, async () => {
    const { page } = browser;
    try {
      await page.goto(server.url);
      const dialog = page.getByRole('dialog', { name: 'API token' });
      await dialog.waitFor();
      assert.match((await page.locator('#token-reason').textContent()) ?? '', /missing bearer token/);
      await page.getByLabel('Token', { exact: true }).fill(TOKEN);
      await browser.screenshot('09-token-dialog');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('.source-option').first().waitFor();
      assert.equal(await page.evaluate(() => localStorage.getItem('harvester.apiToken')), TOKEN);

      // Only the simulated source is checked, so nothing reaches the real services.
      await page.getByRole('button', { name: 'none' }).click();
      await page.locator('#source-google_images').check();
      await page.getByLabel('Query').fill('heron');
      await page.getByLabel('Files per source').fill('2');
      await page.getByRole('button', { name: 'Start' }).click();
      await page.locator('.job-status .pill-completed').waitFor({ timeout: 30_000 });
      await page.locator('.thumb img').nth(1).waitFor();
      await page.waitForFunction(() =>
        [...document.querySelectorAll<HTMLImageElement>('.thumb img')].every((i) => i.complete && i.naturalWidth > 0),
      );
      const src = await page.locator('.thumb img').first().getAttribute('src');
      assert.match(src ?? '', /\?access_token=/, 'thumbnails carry the token in the URL');
      await browser.screenshot('10-token-job');
      assert.deepEqual(
        browser.problems.filter((p) => !/401/.test(p)),
        [],
        'nothing but the first refusal went wrong',
      );
    } catch (error) {
      await browser.screenshot('failure-token').catch(() => {});
      throw error;
    }
  });
});
