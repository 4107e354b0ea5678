// Where the distributed mode keeps its state in Redis (docs/ARCHITECTURE.md, "Queue intake"):
// the BullMQ queues and the few keys beside them, all under one prefix (QUEUE_PREFIX, `harvester`
// by default; tests and `harvester demo --cluster` give each its own), so several clusters or test
// runs can share one Redis.
import { Redis } from 'ioredis';
import { maskUrl } from '../core/config.ts';
import { QueueUnreachableError, errorMessage } from '../core/errors.ts';
import { within } from './within.ts';

/** How long a face of the distributed mode waits for Redis when it starts, ms (PostgreSQL's too). */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

/** The three queues of a job's flow. */
export const QUEUES = {
  /** One entry per job run waiting for a slot (its global concurrency is MAX_CONCURRENT_JOBS). */
  start: 'start',
  /** The flow's children: one per source run (one source on one query). */
  runs: 'runs',
  /** The flow's parent: ends the job when its children have ended. */
  finish: 'finish',
} as const;

export interface QueueSettings {
  redisUrl: string;
  /** Prefix of every key (BullMQ's `prefix` too). */
  prefix: string;
}

export const keys = {
  /** The last event number of a job, across every process that emits its events. */
  seq: (s: QueueSettings, jobId: string) => `${s.prefix}:seq:${jobId}`,
  /** Set while a job is cancelled (the workers running its sources check it when they start). */
  cancel: (s: QueueSettings, jobId: string) => `${s.prefix}:cancel:${jobId}`,
  /** Which source run of a job saved each content hash (de-duplication across workers). */
  shas: (s: QueueSettings, jobId: string) => `${s.prefix}:shas:${jobId}`,
  /** Pub/sub channel of one job's runner events. */
  events: (s: QueueSettings, jobId: string) => `${s.prefix}:events:${jobId}`,
  eventsPattern: (s: QueueSettings) => `${s.prefix}:events:*`,
  /** Pub/sub channel of cancels, heard by every worker. */
  control: (s: QueueSettings) => `${s.prefix}:control`,
  /** Held by the one intake that is admitting a job (MAX_QUEUED_JOBS across servers). */
  admission: (s: QueueSettings) => `${s.prefix}:admission`,
  /** Sorted set of live workers by their last heartbeat (ms). */
  workers: (s: QueueSettings) => `${s.prefix}:workers`,
  /** A worker's gauges, as JSON, expiring with its heartbeat. */
  worker: (s: QueueSettings, name: string) => `${s.prefix}:worker:${name}`,
};

/** The BullMQ id of a job run's entries (ids may not contain `:`). */
export function flowId(jobId: string, run: number): string {
  return `${jobId}.r${run}`;
}

/**
 * A Redis connection as BullMQ needs it: commands wait for a reconnect instead of failing
 * (`maxRetriesPerRequest: null`), so a Redis restart delays work rather than losing it.
 */
export function openRedis(settings: QueueSettings, name: string): Redis {
  return new Redis(settings.redisUrl, {
    maxRetriesPerRequest: null,
    connectionName: `${settings.prefix}:${name}`,
    // Reconnect quickly and keep trying: a restarted Redis is back within seconds.
    retryStrategy: (times) => Math.min(200 * times, 2_000),
  });
}

/**
 * Resolves once `redis` is connected; rejects with a QueueUnreachableError naming REDIS_URL
 * (without its password) and the last connection error when it is not within `timeoutMs`. A face
 * that starts while Redis is down stops at once rather than waiting silently for it.
 */
export async function redisReachable(
  redis: Redis,
  settings: QueueSettings,
  timeoutMs = REDIS_CONNECT_TIMEOUT_MS,
): Promise<void> {
  if (redis.status === 'ready') return;
  let last: unknown = null;
  const remember = (error: unknown): void => void (last = error);
  redis.on('error', remember);
  try {
    await within(
      new Promise<void>((resolve) => redis.once('ready', () => resolve())),
      timeoutMs,
      `no answer within ${timeoutMs / 1000} s`,
    );
  } catch (error) {
    const why = last === null ? errorMessage(error) : errorMessage(last);
    throw new QueueUnreachableError(`cannot connect to Redis at ${maskUrl(settings.redisUrl)} (REDIS_URL): ${why}`, {
      cause: last ?? error,
    });
  } finally {
    redis.off('error', remember);
  }
}

/** Deletes every key under a prefix (a cluster that lived only for a while: `harvester demo --cluster`). */
export async function dropQueueKeys(settings: QueueSettings): Promise<number> {
  // Not openRedis: a Redis that is gone makes this fail rather than wait for it.
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: 1, connectionName: `${settings.prefix}:cleanup` });
  redis.on('error', () => {});
  let dropped = 0;
  try {
    let cursor = '0';
    do {
      // The prefix holds no glob characters (QUEUE_PREFIX's rule in src/core/config.ts).
      const [next, found] = await redis.scan(cursor, 'MATCH', `${settings.prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) dropped += await redis.unlink(...found);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return dropped;
}
