// The runner through the JobService, on real parts: simulated sources on port 0 answering
// their real paths, the real HTTP client and downloader, a SQLite store and real files.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import type { RunnerEvent } from '../../src/core/events.ts';
import { getSourceHealth, recordSourceOutcome } from '../../src/jobs/source-health.ts';
import { LOG_LINE_PATTERN } from '../../src/log/download-log.ts';
import { startFaultServer } from '../helpers/fault-server.ts';
import { failingServer, listFiles, mediaRequests, openHarness, type Harness } from './harness.ts';

const cleanups: (() => Promise<void>)[] = [];
let current: Harness | null = null;
async function harness(...args: Parameters<typeof openHarness>): Promise<Harness> {
  current = await openHarness(...args);
  return current;
}
afterEach(async () => {
  await current?.close();
  current = null;
  for (const c of cleanups.splice(0)) await c();
});

function logLines(h: Harness): string[] {
  h.log.flush();
  return readFileSync(join(h.config.logDir, 'download_errors.log'), 'utf8').trimEnd().split('\n');
}

describe('runner: deadlines', () => {
  test('a source that accepts and never answers ends at its deadline while the others finish', async () => {
    const h = await harness({
      sim: { sources: ['bing_images', 'pexels', 'openverse', 'duckduckgo_images'], hang: ['duckduckgo_images'] },
      // The others get a roomy deadline of their own, so a loaded machine cannot make them time out too.
      env: { SOURCE_TIMEOUT: '10', DUCKDUCKGO_IMAGES_TIMEOUT: '1' },
    });
    const started = performance.now();
    const { job_id } = await h.service.submit({
      query: 'nature',
      sources: ['bing_images', 'pexels', 'openverse', 'duckduckgo_images'],
      limit: 3,
      type: 'image',
    });
    const doc = await h.service.wait(job_id);
    const wallMs = performance.now() - started;

    assert.equal(doc.status, 'partial');
    const hung = doc.results.source_stats.duckduckgo_images!;
    // It ends at its own deadline, and the job ends when its last source ends: nothing adds up.
    assert.ok(
      hung.duration_ms >= 990 && hung.duration_ms < 1000 + 1000,
      `the hanging source ran ${hung.duration_ms} ms for a 1 s deadline`,
    );
    const longest = Math.max(...Object.values(doc.results.source_stats).map((st) => st.duration_ms));
    assert.ok(doc.duration_ms! <= longest + 500, `job ${doc.duration_ms} ms, longest source ${longest} ms`);
    assert.ok(wallMs < longest + 1500, `job took ${Math.round(wallMs)} ms`);
    assert.equal(hung.status, 'failed');
    assert.equal(hung.error, 'Timeout after 1s');
    assert.equal(hung.error_code, 'timeout');
    assert.equal(hung.success, false);
    for (const s of ['bing_images', 'pexels', 'openverse']) {
      const st = doc.results.source_stats[s]!;
      assert.equal(st.status, 'ok', `${s}: ${st.error}`);
      assert.equal(st.downloaded, 3);
    }
    assert.deepEqual(doc.results.successful_sources, ['bing_images', 'pexels', 'openverse']);
    assert.deepEqual(doc.results.failed_sources, ['duckduckgo_images']);
    assert.equal(doc.results.downloaded, 9);
    assert.equal(doc.results.files.length, 9);

    const lines = logLines(h);
    for (const line of lines) assert.match(line, LOG_LINE_PATTERN);
    assert.ok(lines.some((l) => l.endsWith('| ERROR | TIMEOUT | duckduckgo_images | Timeout after 1s')));
    assert.ok(
      !lines.some((l) => l.includes('COMPLETED | duckduckgo_images')),
      'the hanging source has no COMPLETED line',
    );
    assert.equal(lines.filter((l) => l.includes('| COMPLETED | ')).length, 3);
    assert.equal(lines.filter((l) => l.includes('| SUCCESS: ')).length, 9);
  });

  test('two hanging sources cost one deadline, not two', async () => {
    const h = await harness({
      sim: { sources: ['pexels', 'openverse', 'duckduckgo_images'], hang: ['openverse', 'duckduckgo_images'] },
      env: { SOURCE_TIMEOUT: '10', OPENVERSE_TIMEOUT: '1.5', DUCKDUCKGO_IMAGES_TIMEOUT: '1.5' },
    });
    const started = performance.now();
    const { job_id } = await h.service.submit({
      query: 'nature',
      sources: ['pexels', 'openverse', 'duckduckgo_images'],
      limit: 2,
      type: 'image',
    });
    const doc = await h.service.wait(job_id);
    const wallMs = performance.now() - started;
    // One after the other they would take 3 s.
    assert.ok(wallMs >= 1500 && wallMs < 2500, `job took ${Math.round(wallMs)} ms`);
    assert.equal(doc.results.source_stats.openverse!.error, 'Timeout after 1.5s');
    assert.equal(doc.results.source_stats.duckduckgo_images!.error, 'Timeout after 1.5s');
    assert.equal(doc.results.source_stats.pexels!.status, 'ok');
  });

  test('<ID>_TIMEOUT overrides SOURCE_TIMEOUT for that source only', async () => {
    const h = await harness({
      sim: { sources: ['pexels', 'duckduckgo_images'], hang: ['duckduckgo_images'] },
      env: { SOURCE_TIMEOUT: '20', DUCKDUCKGO_IMAGES_TIMEOUT: '0.4' },
    });
    const started = performance.now();
    const { job_id } = await h.service.submit({
      query: 'nature',
      sources: ['pexels', 'duckduckgo_images'],
      limit: 2,
      type: 'image',
    });
    const doc = await h.service.wait(job_id);
    assert.ok(performance.now() - started < 400 + 1500);
    assert.equal(doc.results.source_stats.duckduckgo_images!.error, 'Timeout after 0.4s');
    const started_ = h.events.find((e) => e.type === 'source_started' && e.source === 'pexels');
    assert.equal(started_?.type === 'source_started' && started_.timeout_ms, 20_000);
  });

  test('a media download that hangs is cut by the deadline; completed files stay, no .part remains', async () => {
    // The hanging simulation never answers its media route either.
    const h = await harness({
      sim: { sources: ['pexels', 'openverse'], hang: ['openverse'] },
      env: { URLS_TIMEOUT: '0.8', MAX_DOWNLOADS_PER_SOURCE: '2' },
    });
    const ok = (k: string): string => `${h.sim.origins.pexels}/__media/${k}.png`;
    const urls = [ok('a'), `${h.sim.origins.openverse}/__media/hang.png`, ok('b'), ok('c')];
    const { job_id } = await h.service.submit({ query: 'list', sources: [], limit: 4, type: 'any', urls });
    const doc = await h.service.wait(job_id);
    const st = doc.results.source_stats.urls!;
    assert.equal(st.error, 'Timeout after 0.8s');
    assert.equal(st.error_code, 'timeout');
    assert.equal(st.status, 'partial');
    assert.equal(st.downloaded, 3);
    assert.equal(doc.status, 'partial');
    assert.deepEqual(
      listFiles(h.config.downloadDir).filter((f) => f.endsWith('.part')),
      [],
    );
    assert.deepEqual(
      listFiles(join(h.config.downloadDir, 'list', 'urls')).filter((f) => !f.startsWith('manifest')),
      ['list_001.png', 'list_002.png', 'list_003.png'],
    );
    assert.deepEqual(await h.store.files.listPending(job_id), []);
  });
});

describe('runner: media that hangs mid-body', () => {
  test('a download that stops mid-body is cut by the source deadline: its .part is removed, the other files stay', async () => {
    const faults = await startFaultServer();
    cleanups.push(() => faults.close());
    const h = await harness({
      sim: { sources: ['pexels'] },
      env: { URLS_TIMEOUT: '1', MAX_DOWNLOADS_PER_SOURCE: '2', STALL_TIMEOUT: '60', MIN_DOWNLOAD_SPEED: '0' },
    });
    const urls = [faults.url('/hang-mid-body?after=3000'), faults.url('/ok.png?key=m1'), faults.url('/ok.png?key=m2')];
    const sawPart = new Promise<boolean>((resolve) => {
      const off = h.service.subscribe((e) => {
        if (e.type === 'file_saved' && e.file.path.endsWith('_002.png')) {
          off();
          resolve(listFiles(h.config.downloadDir).some((f) => f.endsWith('.part')));
        }
      });
    });
    const doc = await h.service.wait(
      (await h.service.submit({ query: 'midbody', sources: [], limit: 3, type: 'any', urls })).job_id,
    );
    assert.equal(await sawPart, true, 'the stuck download had a .part while the others were saved');
    const st = doc.results.source_stats.urls!;
    assert.equal(st.error, 'Timeout after 1s');
    assert.equal(st.error_code, 'timeout');
    assert.equal(st.status, 'partial');
    assert.equal(st.downloaded, 2);
    assert.equal(st.failed_downloads, 0, 'cut by the deadline, not a failed download');
    assert.deepEqual(
      listFiles(h.config.downloadDir).filter((f) => f.endsWith('.part')),
      [],
    );
    assert.deepEqual(await h.store.files.listPending(), []);
  });

  test('a stalled download fails on its own and the source goes on to the next candidate', async () => {
    const faults = await startFaultServer();
    cleanups.push(() => faults.close());
    const h = await harness({
      sim: { sources: ['pexels'] },
      env: { URLS_TIMEOUT: '20', MAX_DOWNLOADS_PER_SOURCE: '1', STALL_TIMEOUT: '0.3', MAX_RETRIES_PER_DOWNLOAD: '0' },
    });
    const urls = [faults.url('/hang-mid-body?after=3000'), faults.url('/ok.png?key=s1')];
    const doc = await h.service.wait(
      (await h.service.submit({ query: 'stall', sources: [], limit: 2, type: 'any', urls })).job_id,
    );
    const st = doc.results.source_stats.urls!;
    assert.equal(st.error, null);
    assert.equal(st.error_code, null);
    assert.equal(st.status, 'partial');
    assert.equal(st.downloaded, 1);
    assert.equal(st.failed_downloads, 1);
    const failed = h.events.find((e) => e.type === 'file_failed');
    assert.ok(failed?.type === 'file_failed' && /stalled/i.test(failed.error), JSON.stringify(failed));
    assert.deepEqual(
      listFiles(h.config.downloadDir).filter((f) => f.endsWith('.part')),
      [],
    );
  });
});

describe('runner: pools and retries', () => {
  test('at most MAX_CONCURRENT_SOURCES sources run at once; the rest wait for a free slot', async () => {
    const h = await harness({
      sim: { sources: ['openverse', 'duckduckgo_images'], hang: ['openverse', 'duckduckgo_images'] },
      env: { MAX_CONCURRENT_SOURCES: '1', SOURCE_TIMEOUT: '0.5' },
    });
    const started = performance.now();
    const doc = await h.service.wait(
      (
        await h.service.submit({
          query: 'nature',
          sources: ['openverse', 'duckduckgo_images'],
          limit: 1,
          type: 'image',
        })
      ).job_id,
    );
    assert.ok(performance.now() - started >= 1000, 'two 0.5 s deadlines one after the other');
    const order = h.events
      .filter((e) => e.type === 'source_started' || e.type === 'source_finished')
      .map((e) => `${e.type}:${'source' in e ? e.source : ''}`);
    assert.deepEqual(order, [
      'source_started:openverse',
      'source_finished:openverse',
      'source_started:duckduckgo_images',
      'source_finished:duckduckgo_images',
    ]);
    assert.equal(doc.status, 'failed');
  });

  test('a failing search is retried MAX_RETRIES_PER_SOURCE times, then the source fails with the error', async () => {
    const down = await failingServer((close) => cleanups.push(close));
    const h = await harness({
      sim: { sources: ['pexels'] },
      env: { OPENVERSE_BASE_URL: down, MAX_RETRIES_PER_SOURCE: '1' },
    });
    const doc = await h.service.wait(
      (await h.service.submit({ query: 'nature', sources: ['openverse', 'pexels'], limit: 1, type: 'image' })).job_id,
    );
    const st = doc.results.source_stats.openverse!;
    assert.equal(st.status, 'failed');
    assert.equal(st.error, 'HTTP 500');
    assert.equal(st.error_code, 'http_error');
    assert.equal(st.retries, 1);
    const retry = h.events.find((e) => e.type === 'retry');
    assert.ok(
      retry?.type === 'retry' && retry.phase === 'search' && retry.attempt === 2 && retry.source === 'openverse',
    );
    assert.ok(
      logLines(h).some((l) =>
        / \| WARNING \| RETRY \| openverse \| search attempt 2 in \d+\.\d\ds after HTTP 500 \| URL: /.test(l),
      ),
    );
    assert.equal(doc.results.source_stats.pexels!.status, 'ok');
  });

  test('a download that fails once with a transient error is retried and saved', async () => {
    const faults = await startFaultServer();
    cleanups.push(() => faults.close());
    const h = await harness({ sim: { sources: ['pexels'] } });
    const urls = [faults.url('/flaky?failures=1&status=503&key=k1'), faults.url('/ok.png?key=k2')];
    const doc = await h.service.wait(
      (await h.service.submit({ query: 'flaky', sources: [], limit: 2, type: 'any', urls })).job_id,
    );
    const st = doc.results.source_stats.urls!;
    assert.equal(st.downloaded, 2);
    assert.equal(st.failed_downloads, 0);
    assert.equal(st.retries, 1);
    assert.equal(st.status, 'ok');
    const retry = h.events.find((e) => e.type === 'retry');
    assert.ok(retry?.type === 'retry' && retry.phase === 'download' && retry.error === 'HTTP 503');
  });

  test('--write-metadata writes a JSON sidecar next to each file', async () => {
    const h = await harness({ sim: { sources: ['pexels'] } });
    const doc = await h.service.wait(
      (
        await h.service.submit({
          query: 'meta',
          sources: ['pexels'],
          limit: 2,
          type: 'image',
          options: { writeMetadata: true },
        })
      ).job_id,
    );
    assert.equal(doc.results.files.length, 2);
    for (const f of doc.results.files)
      assert.ok(existsSync(join(h.config.downloadDir, `${f.path}.json`)), `${f.path}.json`);
    assert.ok(existsSync(join(h.config.downloadDir, 'meta', 'manifest.json')));
  });
});

describe('runner: manifests and the end of a job', () => {
  test('the manifest lists every file on disk before the store first shows the job ended', async () => {
    const h = await harness({ sim: { sources: ['pexels'] } });
    const seenAtEnd: { status: string; files: number | null }[] = [];
    const updateJob = h.store.jobs.update.bind(h.store.jobs);
    // Looks at the disk at the moment the ended status is recorded: a crash right after must
    // leave either a resumable job or a complete manifest, never a completed job without one.
    h.store.jobs.update = async (jobId, patch) => {
      if (patch.status !== undefined && patch.status !== 'running' && patch.status !== 'queued') {
        const path = join(h.config.downloadDir, 'ended', 'manifest.json');
        const files = existsSync(path)
          ? (JSON.parse(readFileSync(path, 'utf8')) as { files: unknown[] }).files.length
          : null;
        seenAtEnd.push({ status: patch.status, files });
      }
      return updateJob(jobId, patch);
    };
    const doc = await h.service.wait(
      (await h.service.submit({ query: 'ended', sources: ['pexels'], limit: 2, type: 'image' })).job_id,
    );
    assert.equal(doc.status, 'completed');
    assert.equal(doc.results.files.length, 2);
    assert.deepEqual(seenAtEnd, [{ status: 'completed', files: 2 }]);
  });
});

describe('runner: what gets downloaded', () => {
  test('never saves more than the limit and pulls candidates only as needed', async () => {
    const h = await harness({ sim: { sources: ['pexels', 'bing_images'] } });
    const { job_id } = await h.service.submit({
      query: 'nature',
      sources: ['pexels', 'bing_images'],
      limit: 2,
      type: 'image',
    });
    const doc = await h.service.wait(job_id);
    for (const s of ['pexels', 'bing_images'] as const) {
      const st = doc.results.source_stats[s]!;
      assert.equal(st.downloaded, 2);
      assert.equal(st.found, 2, `${s} yielded ${st.found} candidates for a limit of 2 with no failure`);
      // Two files, and before each its thumbnail (thumbnails first: ./near-duplicates.ts).
      const files = doc.results.files.filter((f) => f.source === s).map((f) => new URL(f.url).pathname);
      const thumbnails = doc.results.files.filter((f) => f.source === s).map((f) => new URL(f.thumbnail_url!).pathname);
      assert.deepEqual([...mediaRequests(h.sim, s)].sort(), [...files, ...thumbnails].sort());
    }
    assert.equal(doc.status, 'completed');
  });

  test('--type video keeps only videos', async () => {
    const h = await harness({ sim: { sources: ['pexels'] } });
    const { job_id } = await h.service.submit({ query: 'ocean', sources: ['pexels'], limit: 2, type: 'video' });
    const doc = await h.service.wait(job_id);
    assert.equal(doc.results.videos, 2);
    assert.equal(doc.results.images, 0);
    assert.ok(
      doc.results.files.every((f) => f.kind === 'video' && f.path.endsWith('.mp4')),
      JSON.stringify(doc.results.files.map((f) => f.path)),
    );
  });

  test('duplicates within a job (same candidate or same bytes) are skipped and counted', async () => {
    const h = await harness({ sim: { sources: ['pexels'] } });
    const a = `${h.sim.origins.pexels}/__media/a.png`;
    const b = `${h.sim.origins.pexels}/__media/b.png`;
    // Same path, another query string: another URL, the same bytes.
    const urls = [a, a, b, `${b}?size=large`];
    const { job_id } = await h.service.submit({ query: 'dupes', sources: [], limit: 4, type: 'any', urls });
    const doc = await h.service.wait(job_id);
    const st = doc.results.source_stats.urls!;
    assert.equal(st.downloaded, 2);
    assert.equal(st.skipped_duplicates, 2);
    assert.equal(st.status, 'ok');
    assert.equal(new Set(doc.results.files.map((f) => f.sha256)).size, 2);
  });

  test('the download archive skips what an earlier job saved, unless noArchive; numbering continues', async () => {
    const h = await harness({ sim: { sources: ['pexels'] } });
    const urls = ['x', 'y'].map((k) => `${h.sim.origins.pexels}/__media/${k}.png`);
    const first = await h.service.wait(
      (await h.service.submit({ query: 'arch', sources: [], limit: 2, type: 'any', urls })).job_id,
    );
    assert.equal(first.results.downloaded, 2);
    const second = await h.service.wait(
      (await h.service.submit({ query: 'arch', sources: [], limit: 2, type: 'any', urls })).job_id,
    );
    assert.equal(second.results.downloaded, 0);
    assert.equal(second.results.source_stats.urls!.skipped_existing, 2);
    assert.deepEqual(
      second.results.source_stats.urls!.existing_jobs,
      [first.job_id],
      'the job that already has the files is named',
    );
    assert.deepEqual(first.results.source_stats.urls!.existing_jobs, []);
    assert.equal(second.status, 'completed');
    const third = await h.service.wait(
      (
        await h.service.submit({
          query: 'arch',
          sources: [],
          limit: 2,
          type: 'any',
          urls,
          options: { noArchive: true },
        })
      ).job_id,
    );
    assert.equal(third.results.downloaded, 2);
    assert.deepEqual(third.results.source_stats.urls!.existing_jobs, []);
    assert.deepEqual(third.results.files.map((f) => f.path).sort(), [
      'arch/urls/arch_003.png',
      'arch/urls/arch_004.png',
    ]);
  });

  test('a file another process writes under the next name meanwhile is kept; the job takes the number after it', async () => {
    const h = await harness({ sim: { sources: ['pexels'] }, env: { MAX_DOWNLOADS_PER_SOURCE: '1' } });
    const folder = join(h.config.downloadDir, 'race', 'urls');
    let written = false;
    // Once the first file is saved (the folder was scanned for numbers then), "another process"
    // writes the name the second file would get.
    const unsubscribe = h.service.subscribe((e) => {
      if (e.type !== 'file_saved' || written) return;
      written = true;
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'race_002.png'), 'theirs');
    });
    const urls = ['p', 'q'].map((k) => `${h.sim.origins.pexels}/__media/${k}.png`);
    const doc = await h.service.wait(
      (await h.service.submit({ query: 'race', sources: [], limit: 2, type: 'any', urls })).job_id,
    );
    unsubscribe();
    assert.equal(doc.status, 'completed');
    assert.deepEqual(
      doc.results.files.map((f) => f.path),
      ['race/urls/race_001.png', 'race/urls/race_003.png'],
    );
    const stored = await h.store.files.list(doc.job_id, { offset: 0, limit: 10 });
    assert.deepEqual(
      stored.map((f) => f.path),
      ['race/urls/race_001.png', 'race/urls/race_003.png'],
    );
    assert.equal(readFileSync(join(folder, 'race_002.png'), 'utf8'), 'theirs');
    assert.deepEqual(listFiles(folder), ['race_001.png', 'race_002.png', 'race_003.png']);
  });

  test('when every download fails the source fails, saying so and naming the commonest cause', async () => {
    const h = await harness({ sim: { sources: ['pexels'] } });
    const urls = [`${h.sim.origins.pexels}/missing-1.png`, `${h.sim.origins.pexels}/missing-2.png`];
    const doc = await h.service.wait(
      (await h.service.submit({ query: 'gone', sources: [], limit: 2, type: 'any', urls })).job_id,
    );
    const st = doc.results.source_stats.urls!;
    assert.equal(st.status, 'failed');
    assert.equal(st.failed_downloads, 2);
    assert.equal(st.error, 'every download failed (2 of 2); commonest cause: HTTP 404 (2)');
    assert.equal(st.error_code, 'downloads_failed');
    assert.equal(doc.status, 'failed');
    const failed = logLines(h).filter((l) => l.includes('| FAILED | urls |'));
    assert.equal(failed.length, 3, failed.join('\n')); // two downloads, then the source
  });

  test('a source without its key is skipped with the reason; the others run', async () => {
    const h = await harness({ sim: { sources: ['pexels', 'bing_images'] }, env: { PEXELS_API_KEY: '' } });
    const doc = await h.service.wait(
      (await h.service.submit({ query: 'nature', sources: ['pexels', 'bing_images'], limit: 1, type: 'image' })).job_id,
    );
    const st = doc.results.source_stats.pexels!;
    assert.equal(st.status, 'skipped');
    assert.equal(st.error, 'pexels: needs PEXELS_API_KEY');
    assert.equal(st.error_code, 'not_configured');
    assert.equal((h.sim.requests.pexels ?? []).length, 0);
    assert.equal(doc.results.source_stats.bing_images!.status, 'ok');
    assert.equal(doc.status, 'partial');
    assert.deepEqual(doc.results.failed_sources, ['pexels']);
  });

  test('a cooling source is skipped with when it will be tried again; force runs it', async () => {
    const h = await harness({ sim: { sources: ['openverse'] } });
    for (let i = 0; i < 3; i++) {
      await recordSourceOutcome(h.store, {
        source: 'openverse',
        ok: false,
        error: 'HTTP 503',
        durationMs: 10,
        downloaded: 0,
        downloadMs: 0,
        at: new Date(),
      });
    }
    const skipped = await h.service.wait(
      (await h.service.submit({ query: 'nature', sources: ['openverse'], limit: 1, type: 'image' })).job_id,
    );
    const st = skipped.results.source_stats.openverse!;
    assert.equal(st.status, 'skipped');
    assert.match(st.error ?? '', /^cooling down after 3 consecutive failures; retry after /);
    assert.ok(st.retry_after !== null && Date.parse(st.retry_after) > Date.now());
    assert.equal(skipped.status, 'failed');
    const forced = await h.service.wait(
      (
        await h.service.submit({
          query: 'nature',
          sources: ['openverse'],
          limit: 1,
          type: 'image',
          options: { force: true },
        })
      ).job_id,
    );
    assert.equal(forced.results.source_stats.openverse!.status, 'ok');
  });
});

describe('runner: cancel, events', () => {
  test('cancel stops every source at once, keeps completed files and removes partial ones', async () => {
    const h = await harness({
      sim: { sources: ['pexels', 'openverse'], hang: ['openverse'] },
      env: { SOURCE_TIMEOUT: '30' },
    });
    const saved = new Promise<void>((resolve) => {
      const off = h.service.subscribe((e) => {
        if (e.type === 'source_finished' && e.source === 'pexels') {
          off();
          resolve();
        }
      });
    });
    const { job_id } = await h.service.submit({
      query: 'nature',
      sources: ['pexels', 'openverse'],
      limit: 2,
      type: 'image',
    });
    await saved;
    const cancelledAt = performance.now();
    assert.equal(await h.service.cancel(job_id), true);
    const doc = await h.service.wait(job_id);
    assert.ok(performance.now() - cancelledAt < 1000, 'the hanging source stopped promptly');
    assert.equal(doc.status, 'cancelled');
    assert.equal(doc.results.source_stats.openverse!.error, 'Cancelled');
    assert.equal(doc.results.source_stats.openverse!.error_code, 'cancelled');
    assert.equal(doc.results.source_stats.pexels!.status, 'ok');
    assert.equal(doc.results.downloaded, 2);
    assert.deepEqual(
      listFiles(h.config.downloadDir).filter((f) => f.endsWith('.part')),
      [],
    );
    assert.equal(await h.service.cancel(job_id), false);
    // A cancel is not the source's fault: its health is untouched.
    assert.equal((await getSourceHealth(h.store.health, 'openverse')).runs, 0);
  });

  test('events are numbered from 1, stored as emitted, and end with job_finished', async () => {
    const h = await harness({ sim: { sources: ['pexels'] } });
    const { job_id } = await h.service.submit({ query: 'nature', sources: ['pexels'], limit: 2, type: 'image' });
    const doc = await h.service.wait(job_id);
    const live = h.events.filter((e) => e.job_id === job_id);
    assert.deepEqual(
      live.map((e) => e.seq),
      live.map((_, i) => i + 1),
    );
    assert.equal(live[0]!.type, 'job_started');
    assert.equal(live.at(-1)!.type, 'job_finished');
    for (const e of live.filter((x): x is Extract<RunnerEvent, { type: 'file_saved' }> => x.type === 'file_saved')) {
      assert.equal(doc.results.files[e.index]!.path, e.file.path);
    }
    assert.deepEqual(
      (await h.service.history(job_id)).map((e) => e.seq),
      live.map((e) => e.seq),
    );
    assert.deepEqual(await h.service.get(job_id), doc);
  });
});
