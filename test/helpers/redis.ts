// Redis for tests: the shared server (127.0.0.1:6379, or REDIS_TEST_URL) under a key prefix of
// the test's own, removed afterwards; or a private redis-server on a free port that a test may
// stop and start again (never the shared one).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { QueueSettings } from '../../src/queue/keys.ts';

export const SHARED_REDIS_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix on the shared Redis; `drop` deletes every key under it. */
export function redisPrefix(url = SHARED_REDIS_URL): QueueSettings & { drop(): Promise<void> } {
  const prefix = `harvester-test-${randomUUID().slice(0, 8)}`;
  return {
    redisUrl: url,
    prefix,
    async drop() {
      const redis = new Redis(url, { maxRetriesPerRequest: 1 });
      try {
        let cursor = '0';
        do {
          const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (found.length > 0) await redis.del(...found);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  /** Stops the server (SIGTERM); its append-only file keeps the data, as a production Redis's would. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A redis-server of this test alone, on a free port, persisting to its own append-only file. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'harvester-redis-'));
  let child: ChildProcess | null = null;
  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const proc = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out.slice(-500)}`)));
      proc.once('error', reject);
    });
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGTERM');
    });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Database numbers tests may lease (0 is the shared default, left alone). */
const LEASED_DBS = 15;

/**
 * A Redis database number of this test's own on the shared server, for processes that use the
 * default `harvester` prefix (the CLI, the server, workers): leased with a key in database 0,
 * emptied before and after use.
 */
export async function leaseRedisDb(url = SHARED_REDIS_URL): Promise<{ url: string; release(): Promise<void> }> {
  const admin = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    const token = randomUUID();
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      for (let db = 1; db <= LEASED_DBS; db++) {
        const lease = `harvester-test-db-lease:${db}`;
        if ((await admin.set(lease, token, 'EX', 900, 'NX')) !== 'OK') continue;
        const dbUrl = `${url.replace(/\/\d*$/, '')}/${db}`;
        const flush = async (): Promise<void> => {
          const c = new Redis(dbUrl, { maxRetriesPerRequest: 1 });
          try {
            await c.flushdb();
          } finally {
            c.disconnect();
          }
        };
        await flush();
        return {
          url: dbUrl,
          async release() {
            await flush();
            const r = new Redis(url, { maxRetriesPerRequest: 1 });
            try {
              if ((await r.get(lease)) === token) await r.del(lease);
            } finally {
              r.disconnect();
            }
          },
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`no free Redis database of ${LEASED_DBS} on ${url} within a minute`);
  } finally {
    admin.disconnect();
  }
}
