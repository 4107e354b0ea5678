import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/core/config.ts';
import {
  CancelledError,
  ContentError,
  HttpStatusError,
  NetworkError,
  SourceTimeoutError,
  StalledError,
  TimeoutError,
  TooLargeError,
  TruncatedError,
  DiskError,
} from '../../src/core/errors.ts';
import { makeMp4, makePng } from '../../src/demo/media.ts';
import { downloadFile, type DownloadOptions } from '../../src/download/index.ts';
import { UnsafePathError } from '../../src/output/naming.ts';
import { watchedTransfers } from '../../src/download/stall-ticker.ts';
import { createHttpClient } from '../../src/http/client.ts';
import type { HttpClient, RetryInfo } from '../../src/http/types.ts';
import type { MediaSink } from '../../src/output/file-output.ts';
import { localDirectoryOutput } from '../../src/output/local-directory.ts';
import { toDiskError } from '../../src/output/local-part-writer.ts';
import { largeBodyChunks, makeJpeg, startFaultServer, type FaultServer } from '../helpers/fault-server.ts';

let server: FaultServer;
let http: HttpClient;
let dir: string;

before(async () => {
  server = await startFaultServer();
  http = createHttpClient(loadConfig({ ALLOW_PRIVATE_NETWORKS: 'true' }, {}));
});
after(async () => {
  await http.close();
  await server.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'harvester-dl-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
function options(path: string, extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    url: server.url(path),
    sink: localDirectoryOutput(dir).sink(''),
    commit: (info) => `file_${String(++counter).padStart(3, '0')}.${info.ext}`,
    signal: new AbortController().signal,
    timeoutMs: 5000,
    stallTimeoutMs: 3000,
    minBytesPerSecond: 1000,
    maxBytes: 10 * 1024 * 1024,
    retries: 0,
    retryBaseMs: 10,
    ...extra,
  };
}

function partsIn(directory: string): string[] {
  return existsSync(directory) ? readdirSync(directory).filter((name) => name.endsWith('.part')) : [];
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('expected a rejection');
}

/** Runs a download expected to fail, and checks that nothing at all is left in the directory. */
async function failure(path: string, extra: Partial<DownloadOptions> = {}): Promise<Error> {
  const error = await rejection(downloadFile(http, options(path, extra)));
  assert.deepEqual(partsIn(dir), [], 'a .part was left behind');
  assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], []);
  return error;
}

describe('saving', () => {
  test('a PNG is streamed to disk, hashed, sized and named by its sniffed extension', async () => {
    const expected = makePng('pic', 300, 200);
    let seen: unknown;
    const outcome = await downloadFile(
      http,
      options('/ok.png?key=pic&w=300&h=200', {
        commit: (info) => {
          seen = info;
          assert.deepEqual(partsIn(dir).length, 1, 'commit runs while the .part exists');
          return 'nature_001.png';
        },
      }),
    );
    assert.equal(outcome.status, 'saved');
    if (outcome.status !== 'saved') return;
    const sha256 = createHash('sha256').update(expected).digest('hex');
    assert.deepEqual(seen, {
      sha256,
      ext: 'png',
      mime: 'image/png',
      kind: 'image',
      bytes: expected.length,
      width: 300,
      height: 200,
    });
    assert.equal(outcome.path, join(dir, 'nature_001.png'));
    assert.equal(outcome.attempts, 1);
    assert.deepEqual(readFileSync(outcome.path), expected);
    assert.deepEqual(readdirSync(dir), ['nature_001.png']);
  });

  test('a JPEG served with a wrong Content-Type is saved as .jpg, an MP4 as a video without dimensions', async () => {
    const jpg = await downloadFile(http, options('/ok.jpg?w=40&h=24', { kind: 'image' }));
    assert.ok(jpg.status === 'saved' && jpg.ext === 'jpg' && jpg.width === 40 && jpg.height === 24);
    assert.deepEqual(readFileSync(jpg.path), makeJpeg(40, 24));
    const mp4 = await downloadFile(http, options('/ok.mp4?key=v&size=9000', { kind: 'video' }));
    assert.ok(mp4.status === 'saved');
    assert.equal(mp4.kind, 'video');
    assert.equal(mp4.ext, 'mp4');
    assert.equal(mp4.width, null);
    assert.deepEqual(readFileSync(mp4.path), makeMp4('v', 9000));
  });

  test('commit returning null discards the file as a duplicate', async () => {
    const outcome = await downloadFile(http, options('/ok.png?key=dup', { commit: () => null }));
    assert.equal(outcome.status, 'duplicate');
    assert.equal(outcome.bytes, makePng('dup').length);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('an existing file is never overwritten', async () => {
    writeFileSync(join(dir, 'taken.png'), 'precious');
    const error = await rejection(downloadFile(http, options('/ok.png', { commit: () => 'taken.png' })));
    assert.ok(error instanceof DiskError);
    assert.match(error.message, /already exists/);
    assert.equal(readFileSync(join(dir, 'taken.png'), 'utf8'), 'precious');
    assert.deepEqual(partsIn(dir), []);
  });

  test('a name taken at the rename: renamed gives another, and the file there is left as it was', async () => {
    writeFileSync(join(dir, 'taken_001.png'), 'precious');
    writeFileSync(join(dir, 'taken_002.png'), 'precious too');
    const asked: string[] = [];
    const outcome = await downloadFile(
      http,
      options('/ok.png?key=moved', {
        commit: () => 'taken_001.png',
        renamed: (taken) => {
          asked.push(taken);
          return `taken_00${asked.length + 1}.png`;
        },
      }),
    );
    assert.deepEqual(asked, ['taken_001.png', 'taken_002.png']);
    assert.ok(outcome.status === 'saved' && outcome.fileName === 'taken_003.png');
    assert.deepEqual(readFileSync(join(dir, 'taken_003.png')), makePng('moved'));
    assert.equal(readFileSync(join(dir, 'taken_001.png'), 'utf8'), 'precious');
    assert.equal(readFileSync(join(dir, 'taken_002.png'), 'utf8'), 'precious too');
    assert.deepEqual(partsIn(dir), []);
  });

  test('a hostile name from commit cannot escape the directory', async () => {
    for (const name of ['../escape.png', '/tmp/escape.png', '..', 'a/b.png']) {
      const error = await rejection(downloadFile(http, options('/ok.png', { commit: () => name })));
      assert.ok(error instanceof UnsafePathError, name);
    }
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(existsSync(join(dir, '..', 'escape.png')), false);
  });

  test('many downloads sharing one signal raise no listener-leak warning, and leave no listener behind', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    const shared = new AbortController().signal;
    try {
      const outcomes = await Promise.all(
        Array.from({ length: 40 }, (_, i) => downloadFile(http, options(`/ok.png?key=many${i}`, { signal: shared }))),
      );
      assert.equal(outcomes.filter((o) => o.status === 'saved').length, 40);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(
        warnings.filter((name) => name === 'MaxListenersExceededWarning'),
        [],
      );
      assert.equal(getEventListeners(shared, 'abort').length, 0);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('bad options are refused with a clear error before any request', async () => {
    const before = server.log.length;
    await assert.rejects(
      downloadFile(http, options('/ok.png', { sink: undefined as unknown as MediaSink })),
      /sink must be a MediaSink/,
    );
    await assert.rejects(
      downloadFile(http, options('/ok.png', { timeoutMs: 0 })),
      /timeoutMs must be a positive number/,
    );
    await assert.rejects(downloadFile(http, options('/ok.png', { retries: -1 })), /retries must be an integer >= 0/);
    await assert.rejects(downloadFile(http, { ...options('/ok.png'), url: '' }), /url must be a non-empty string/);
    await assert.rejects(
      downloadFile(http, { ...options('/ok.png'), url: 'file:///etc/passwd' }),
      /only http and https/,
    );
    assert.equal(server.log.length, before);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('the directory is created when missing', async () => {
    const nested = join(dir, 'cats', 'bing_images');
    const outcome = await downloadFile(
      http,
      options('/ok.png', { sink: localDirectoryOutput(dir).sink('cats/bing_images') }),
    );
    assert.ok(outcome.status === 'saved' && outcome.path.startsWith(nested));
  });
});

describe('refusals', () => {
  test('an HTML page served as image/jpeg is a ContentError, not retried', async () => {
    const before = server.hits('/html-as-image');
    const error = await failure('/html-as-image', { retries: 2 });
    assert.ok(error instanceof ContentError);
    assert.match(error.message, /not an image or video: an HTML page \(served as image\/jpeg\)/);
    assert.equal(server.hits('/html-as-image') - before, 1);
  });

  test('SVG is refused', async () => {
    const error = await failure('/svg');
    assert.ok(error instanceof ContentError);
    assert.match(error.message, /SVG/);
  });

  test('content of another kind than expected is refused', async () => {
    const error = await failure('/ok.png', { kind: 'video' });
    assert.ok(error instanceof ContentError);
    assert.match(error.message, /expected a video, got image\/png/);
  });

  test('oversized by Content-Length is refused before anything is written', async () => {
    let opened = false;
    const error = await failure('/oversized?bytes=5000000', {
      maxBytes: 1024 * 1024,
      sink: { open: () => ((opened = true), Promise.reject(new Error('must not open'))) },
    });
    assert.ok(error instanceof TooLargeError);
    assert.match(error.message, /5000000 bytes, over MAX_FILE_SIZE_MB \(1 MB\)/);
    assert.equal(opened, false);
  });

  test('oversized without Content-Length is stopped by the byte count while streaming', async () => {
    const error = await failure('/oversized?bytes=5000000&length=0', { maxBytes: 1024 * 1024 });
    assert.ok(error instanceof TooLargeError);
    assert.match(error.message, /while streaming/);
  });

  test('a body shorter than its Content-Length is a TruncatedError, retried', async () => {
    const before = server.hits('/truncated');
    const retries: RetryInfo[] = [];
    const error = await failure('/truncated?declared=20000&sent=5000', { retries: 1, onRetry: (i) => retries.push(i) });
    assert.ok(error instanceof TruncatedError, `${error.name}: ${error.message}`);
    assert.match(error.message, /body ended after \d+ of 20000 bytes/);
    assert.equal(server.hits('/truncated') - before, 2);
    assert.equal(retries.length, 1);
  });

  test('a reset mid-body is retried, then reported as a network error', async () => {
    const before = server.hits('/reset');
    const error = await failure('/reset?after=3000', { retries: 2 });
    assert.ok(error instanceof NetworkError || error instanceof TruncatedError, `${error.name}: ${error.message}`);
    assert.equal(server.hits('/reset') - before, 3);
  });

  test('a 404 is an HttpStatusError and not retried; a 503 is retried', async () => {
    const e404 = await failure('/status/404', { retries: 2 });
    assert.ok(e404 instanceof HttpStatusError && e404.status === 404);
    const before = server.hits('/status/503');
    const e503 = await failure('/status/503', { retries: 2 });
    assert.ok(e503 instanceof HttpStatusError && e503.status === 503);
    assert.equal(server.hits('/status/503') - before, 3);
  });
});

describe('stalls, hangs and deadlines', () => {
  test('a download that drips bytes is stalled and aborted', async () => {
    const startedAt = performance.now();
    const error = await failure('/drip?bytes=10&intervalMs=100', { stallTimeoutMs: 400, minBytesPerSecond: 1000 });
    assert.ok(error instanceof StalledError, `${error.name}: ${error.message}`);
    assert.match(error.message, /Download stalled: \d+ bytes in \d+(\.\d)?s \(below 1000 B\/s for 0\.4s\)/);
    assert.ok(performance.now() - startedAt < 1500);
  });

  test('a hang mid-body is a stall, retried while time is left', async () => {
    const before = server.hits('/hang-mid-body');
    const error = await failure('/hang-mid-body?after=4000', { stallTimeoutMs: 300, retries: 1 });
    assert.ok(error instanceof StalledError);
    assert.equal(server.hits('/hang-mid-body') - before, 2);
  });

  test('a server that accepts and never answers, or sends headers then nothing, is a stall', async () => {
    const hang = await failure('/hang', { stallTimeoutMs: 300 });
    assert.ok(hang instanceof StalledError);
    const silent = await failure('/headers-then-silence', { stallTimeoutMs: 300 });
    assert.ok(silent instanceof StalledError);
  });

  test('DOWNLOAD_TIMEOUT bounds the whole transfer, retries included', async () => {
    const startedAt = performance.now();
    // 100 bytes every 50 ms is fast enough not to stall (2000 B/s > 100 B/s) but needs ~40 s.
    const error = await failure('/drip?bytes=100&intervalMs=50', {
      timeoutMs: 600,
      minBytesPerSecond: 100,
      retries: 3,
    });
    const elapsedMs = performance.now() - startedAt;
    assert.ok(error instanceof TimeoutError, `${error.name}: ${error.message}`);
    assert.equal(error.phase, 'download');
    assert.equal(error.message, 'Download timeout after 0.6s');
    assert.ok(elapsedMs >= 550 && elapsedMs < 1500, `${elapsedMs} ms`);
  });

  test('retries stop at the deadline: a Retry-After past it gives up at once', async () => {
    const startedAt = performance.now();
    const error = await failure('/status/429?retryAfter=10', { timeoutMs: 2000, retries: 3 });
    assert.ok(error instanceof HttpStatusError && error.status === 429);
    assert.ok(performance.now() - startedAt < 1000);
  });

  test('429 then success: the retry waits for Retry-After and the file is saved', async () => {
    const retries: RetryInfo[] = [];
    const outcome = await downloadFile(
      http,
      options('/flaky?failures=1&status=429&retryAfter=1&key=dl429', { retries: 2, onRetry: (i) => retries.push(i) }),
    );
    assert.ok(outcome.status === 'saved');
    assert.equal(outcome.attempts, 2);
    assert.equal(retries.length, 1);
    const hits = server.log.filter((r) => r.path.includes('key=dl429'));
    assert.ok(hits[1]!.atMs - hits[0]!.atMs >= 1000);
  });

  test('the source deadline firing mid-body aborts with its reason and leaves no .part', async () => {
    const controller = new AbortController();
    const reason = new SourceTimeoutError(30_000);
    setTimeout(() => controller.abort(reason), 200);
    const error = await failure('/hang-mid-body?after=4000', {
      signal: controller.signal,
      stallTimeoutMs: 5000,
      retries: 2,
    });
    assert.equal(error, reason);
  });

  test('a cancel during the retry delay ends the download at once', async () => {
    const controller = new AbortController();
    const reason = new CancelledError('cancelled by the user');
    const startedAt = performance.now();
    const error = await failure('/status/503?retryAfter=2', {
      signal: controller.signal,
      retries: 2,
      onRetry: () => setTimeout(() => controller.abort(reason), 50),
    });
    assert.equal(error, reason);
    assert.ok(performance.now() - startedAt < 1000);
  });

  test('no stall watch survives a finished download', async () => {
    await failure('/html-as-image');
    await failure('/hang', { stallTimeoutMs: 200 });
    await downloadFile(http, options('/ok.png', { sink: localDirectoryOutput(dir).sink('saved') }));
    assert.equal(watchedTransfers(), 0);
  });
});

describe('resume', () => {
  test('a transfer cut mid-body resumes with Range + If-Range and only the rest is fetched', async () => {
    const expected = makePng('res1', 300, 300);
    const outcome = await downloadFile(http, options('/resumable?key=res1&cut=20000', { retries: 2 }));
    assert.ok(outcome.status === 'saved');
    assert.equal(outcome.attempts, 2);
    assert.equal(outcome.sha256, createHash('sha256').update(expected).digest('hex'));
    assert.deepEqual(readFileSync(outcome.path), expected);
    const requests = server.log.filter((r) => r.path.includes('key=res1'));
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.headers.range, undefined);
    assert.match(String(requests[1]!.headers.range), /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(String(requests[1]!.headers.range))![0]) > 0);
    assert.equal(requests[1]!.headers['if-range'], '"v1-res1"');
    assert.deepEqual(partsIn(dir), []);
  });

  test('a server that ignores the range gets a fresh start, and the file is still right', async () => {
    const expected = makePng('res2', 300, 300);
    const outcome = await downloadFile(http, options('/resumable?key=res2&cut=20000&ranges=ignore', { retries: 2 }));
    assert.ok(outcome.status === 'saved');
    assert.equal(outcome.bytes, expected.length);
    assert.deepEqual(readFileSync(outcome.path), expected);
    assert.deepEqual(readdirSync(dir), [outcome.fileName]);
  });

  test('a kept partial is removed when no retry is left', async () => {
    const error = await failure('/resumable?key=res3&cut=20000', { retries: 0 });
    assert.ok(error instanceof TruncatedError);
  });
});

describe('disk', () => {
  test('ENOSPC while writing is a DiskError "no space left on device" and the partial is removed (injected at the write layer)', async () => {
    const local = localDirectoryOutput(dir).sink('');
    const error = await failure('/large?bytes=2000000', {
      sink: {
        async open() {
          const part = await local.open();
          let written = 0;
          return {
            path: part.path,
            name: part.name,
            write(chunk: Buffer) {
              written += chunk.length;
              if (written > 500_000) {
                const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
                throw toDiskError(enospc, part.path);
              }
              return part.write(chunk);
            },
            drain: () => part.drain(),
            finish: () => part.finish(),
            commit: (name: string) => part.commit(name),
            discard: () => part.discard(),
          };
        },
      },
    });
    assert.ok(error instanceof DiskError);
    assert.match(error.message, /no space left on device/);
  });

  test('ENOSPC on a real full file system (a 1 MiB tmpfs; skipped where mounting is not allowed)', async (t) => {
    const mount = join(dir, 'small-fs');
    mkdirSync(mount);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mount], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)');
      return;
    }
    try {
      const error = await rejection(
        downloadFile(http, options('/large?bytes=3000000', { sink: localDirectoryOutput(mount).sink('') })),
      );
      assert.ok(error instanceof DiskError, `${error.name}: ${error.message}`);
      assert.match(error.message, /no space left on device/);
      assert.deepEqual(readdirSync(mount), []);
      // Space is back once the partial is gone: the next download works.
      const outcome = await downloadFile(http, options('/ok.png', { sink: localDirectoryOutput(mount).sink('') }));
      assert.equal(outcome.status, 'saved');
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});

describe('large files', () => {
  test('a 1 GiB streamed download completes with the right SHA-256', async () => {
    const size = 1024 * 1024 * 1024;
    const expected = createHash('sha256');
    for (const chunk of largeBodyChunks(size)) expected.update(chunk);
    const outcome = await downloadFile(
      http,
      options(`/large?bytes=${size}`, { maxBytes: 2 * size, timeoutMs: 120_000, stallTimeoutMs: 5000 }),
    );
    assert.ok(outcome.status === 'saved');
    assert.equal(outcome.bytes, size);
    assert.equal(outcome.sha256, expected.digest('hex'));
    assert.equal(outcome.ext, 'png');
  });
});
