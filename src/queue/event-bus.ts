// Runner events across processes. A process that runs part of a job (a worker's source run, the
// job's start and finish) numbers each event with the job's counter in Redis, records it in the
// store, and only then publishes it on the job's channel: every server's event stream and every
// following CLI get it live, and a reader that missed it finds it in the store (the event stream
// reads gaps from history, src/server/event-stream.ts).
import { errorMessage } from '../core/errors.ts';
import type { EventListener, RunnerEvent } from '../core/events.ts';
import type { Emit } from '../jobs/job-events.ts';
import type { Store } from '../store/store.ts';
import type { Redis } from 'ioredis';
import { keys, openRedis, type QueueSettings } from './keys.ts';

export interface ClusterEmitter {
  emit: Emit;
  /** Resolves when every event emitted so far is numbered, recorded and published. */
  flush(): Promise<void>;
}

export interface ClusterEmitterOptions {
  settings: QueueSettings;
  redis: Redis;
  store: Pick<Store, 'events'>;
  jobId: string;
  run: number;
  /** This process's own sinks (the download log), called as each event happens. */
  local?: EventListener;
  warn(message: string): void;
}

export function createClusterEmitter(options: ClusterEmitterOptions): ClusterEmitter {
  const { settings, redis, store, jobId, run } = options;
  let chain: Promise<void> = Promise.resolve();
  const emit: Emit = (input) => {
    // The seq is taken from Redis in emit order; until then the event carries 0.
    const event = { ...input, job_id: jobId, ts: new Date().toISOString(), seq: 0, run } as RunnerEvent;
    try {
      options.local?.(event);
    } catch (error) {
      options.warn(`event listener failed: ${errorMessage(error)}`);
    }
    chain = chain.then(async () => {
      try {
        event.seq = await redis.incr(keys.seq(settings, jobId));
        await store.events.append(event);
        await redis.publish(keys.events(settings, jobId), JSON.stringify(event));
      } catch (error) {
        options.warn(`cannot record event ${event.type} of job ${jobId}: ${errorMessage(error)}`);
      }
    });
    return event;
  };
  return { emit, flush: () => chain };
}

/** Follows every job's events published on this cluster; returns a function that stops. */
export async function followClusterEvents(
  settings: QueueSettings,
  listener: EventListener,
): Promise<() => Promise<void>> {
  const sub = openRedis(settings, 'events');
  sub.on('error', () => {}); // reconnects by itself; commands wait meanwhile
  sub.on('pmessage', (_pattern: string, _channel: string, message: string) => {
    let event: RunnerEvent;
    try {
      event = JSON.parse(message) as RunnerEvent;
    } catch {
      return;
    }
    listener(event);
  });
  await sub.psubscribe(keys.eventsPattern(settings));
  return async () => {
    sub.disconnect();
  };
}
