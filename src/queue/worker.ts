// A queue worker (`harvester worker`, or `serve --worker` in-process): takes the entries of the
// three queues of a job's flow (./flow.ts) and runs them with the jobs layer's own pieces — the
// runner's start and finish of a job (src/jobs/runner.ts) and one source run at a time
// (`runOneKey`), so a job run by workers is the same job as one run in-process.
//
// Nothing lost: a source run holds a short BullMQ lock its worker renews (./lock-timings.ts); when
// the worker dies the lock expires and the stalled check hands the run to another worker within
// seconds, which first
// makes disk and store agree for that run's folder (src/jobs/reconcile.ts) and then goes on from
// the files already recorded. Closing drains: running source runs end by their own deadline.
import { CancelledError, StoreUnreachableError, errorMessage } from '../core/errors.ts';
import { sourceTimeoutMs, type Config } from '../core/config.ts';
import { CANCELLED_BEFORE_START_ERROR, jobStatusOf, skipSourceStats } from '../core/job-results.ts';
import type { JobDocument, JobSpec } from '../core/types.ts';
import { reconcileJobFiles } from '../jobs/reconcile.ts';
import { RunBook } from '../jobs/run-book.ts';
import { emitJobStarted, finishJob, jobRunShared, runOneKey, startJob } from '../jobs/runner.ts';
import { processWorkerName } from '../jobs/worker-name.ts';
import type { Engine } from '../jobs/engine.ts';
import type { DownloadLog } from '../log/download-log.ts';
import type { Store } from '../store/store.ts';
import { FlowProducer, Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { createClusterEmitter } from './event-bus.ts';
import { runEntryId, type FinishData, type RunData, type StartData } from './flow.ts';
import { QUEUES, flowId, keys, openRedis, redisReachable, type QueueSettings } from './keys.ts';
import { lockTimings, type LockTimings } from './lock-timings.ts';
import { redisOutageReporter, type RedisOutageReporter } from './redis-outage.ts';
import { REDIS_CLOSE_MS, settlesWithin } from './within.ts';

/** How often a start holding a job's slot looks whether the job has ended, ms. */
const SLOT_POLL_MS = 250;
/** A run whose worker failed for good ends with this error. */
const LOST_RUN_ERROR = 'its worker failed';
/**
 * A source run that failed (its store unreachable: see docs/ARCHITECTURE.md, "PostgreSQL lost")
 * is taken again after 1, 2, 4, 8 and 16 s: a store back within about half a minute costs the job
 * nothing; past that the run fails for good and the job ends saying why.
 */
const RUN_RETRIES = { attempts: 6, backoff: { type: 'exponential', delay: 1_000 } } as const;
/**
 * Ending a job needs the store: its finish waits for it, trying every 5 s for an hour, so a job
 * whose store came back late still ends with its real status rather than staying `running`.
 */
/** How long a drain waits past the longest run deadline for the runs' last writes and reports, ms. */
const DRAIN_GRACE_MS = 5_000;

const FINISH_RETRIES = { attempts: 720, backoff: { type: 'fixed', delay: 5_000 } } as const;

export interface QueueWorkerOptions {
  config: Config;
  store: Store;
  http: Engine['http'];
  output: Engine['output'];
  log: Pick<DownloadLog, 'onEvent' | 'write' | 'flush'>;
  settings: QueueSettings;
  /** Source runs taken at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** Also gets the warnings written to the log (the CLI prints them on stderr). */
  notify?: (message: string) => void;
}

/** What a worker reports about itself (/api/health, /metrics). */
export interface WorkerGauges {
  worker: string;
  concurrency: number;
  active_runs: number;
  completed_runs: number;
  failed_runs: number;
  started_at: string;
}

export interface QueueWorker {
  readonly name: string;
  /** Its lock, renewal, stalled-check and heartbeat intervals (./lock-timings.ts). */
  readonly timings: LockTimings;
  gauges(): WorkerGauges;
  /**
   * Stops taking work; running source runs end (by their deadline at the latest), then everything
   * closes. Resolves false when Redis was away and the worker stopped waiting for it: its queue
   * client then still holds reconnect timers, and the process must exit rather than wait for them.
   */
  close(): Promise<boolean>;
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const worker = new ClusterWorker(options);
  await worker.start();
  return worker;
}

class ClusterWorker implements QueueWorker {
  readonly name = processWorkerName();
  readonly timings: LockTimings;
  private readonly redis: Redis;
  private readonly control: Redis;
  private readonly finishQueue: Queue<FinishData>;
  private readonly flows: FlowProducer;
  private readonly outage: RedisOutageReporter;
  private readonly workers: Worker[] = [];
  /** Abort controllers of the source runs in progress, by job id. */
  private readonly running = new Map<string, Set<AbortController>>();
  private readonly closing = new AbortController();
  private readonly startedAt = new Date().toISOString();
  private completed = 0;
  private failed = 0;
  private active = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed: Promise<boolean> | null = null;
  /** The longest deadline of a run this worker took (or may take), ms: how long a drain may last. */
  private longestDeadlineMs: number;

  constructor(private readonly o: QueueWorkerOptions) {
    this.timings = lockTimings(o.config.sourceTimeoutMs);
    this.longestDeadlineMs = Math.max(o.config.sourceTimeoutMs, ...Object.values(o.config.sourceTimeoutOverridesMs));
    this.redis = openRedis(o.settings, `worker:${this.name}`);
    this.control = openRedis(o.settings, `control:${this.name}`);
    this.outage = redisOutageReporter(`worker ${this.name}`, (message) => this.warn(message));
    for (const c of [this.redis, this.control]) this.outage.watch(c);
    const connection = this.redis;
    this.finishQueue = new Queue<FinishData>(QUEUES.finish, { connection, prefix: o.settings.prefix });
    this.flows = new FlowProducer({ connection, prefix: o.settings.prefix });
    // Their errors are their connection's, which the outage reporter already follows.
    this.finishQueue.on('error', (error) => void this.outage.error(error));
    this.flows.on('error', (error) => void this.outage.error(error));
  }

  async start(): Promise<void> {
    const { settings, config } = this.o;
    try {
      await redisReachable(this.redis, settings);
    } catch (error) {
      this.redis.disconnect();
      this.control.disconnect();
      throw error;
    }
    this.control.on('message', (_channel: string, message: string) => this.onControl(message));
    await this.control.subscribe(keys.control(settings));
    const { lockMs, renewMs, stalledCheckMs, heartbeatMs } = this.timings;
    const common = {
      connection: this.redis,
      prefix: settings.prefix,
      autorun: true,
      lockDuration: lockMs,
      lockRenewTime: renewMs,
      stalledInterval: stalledCheckMs,
    };
    const startQueue = new Queue(QUEUES.start, { connection: this.redis, prefix: settings.prefix });
    startQueue.on('error', (error) => void this.outage.error(error));
    await startQueue.setGlobalConcurrency(config.maxConcurrentJobs);
    await startQueue.close();
    this.workers.push(
      new Worker<StartData>(QUEUES.start, (job) => this.startRun(job), {
        ...common,
        concurrency: config.maxConcurrentJobs,
        maxStalledCount: 100,
      }),
      new Worker<RunData>(QUEUES.runs, (job) => this.sourceRun(job), {
        ...common,
        concurrency: this.o.concurrency,
        // A run taken again after a death resumes from its files; a run that kills its worker every
        // time (a crash it causes) ends failed after a few.
        maxStalledCount: 3,
      }),
      new Worker<FinishData>(QUEUES.finish, (job) => this.finishRun(job), {
        ...common,
        concurrency: 2,
        maxStalledCount: 100,
      }),
    );
    for (const w of this.workers) {
      w.on('error', (error) => {
        if (!this.outage.error(error)) this.warn(`queue worker: ${errorMessage(error)}`);
      });
      await w.waitUntilReady();
    }
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs);
    this.heartbeat.unref();
  }

  gauges(): WorkerGauges {
    return {
      worker: this.name,
      concurrency: this.o.concurrency,
      active_runs: this.active,
      completed_runs: this.completed,
      failed_runs: this.failed,
      started_at: this.startedAt,
    };
  }

  close(): Promise<boolean> {
    this.closed ??= (async () => {
      this.closing.abort();
      clearInterval(this.heartbeat);
      // Runs end by their deadline; BullMQ's close then reports them, which needs Redis. While
      // Redis is away that wait has no end, so it stops at the longest deadline plus a grace (at
      // once when no run is going on): what could not be reported goes back to the queue when
      // its lock expires, and resumes.
      const drainMs = this.active > 0 ? this.longestDeadlineMs + DRAIN_GRACE_MS : REDIS_CLOSE_MS;
      const drained = await settlesWithin(Promise.all(this.workers.map((w) => w.close())), drainMs);
      if (!drained) {
        this.warn(
          `worker ${this.name}: the drain did not end within ${drainMs / 1000} s (Redis does not answer); ` +
            'stopping: its unfinished runs go back to the queue when their lock expires',
        );
      }
      const quick = (work: Promise<unknown>): Promise<boolean> => settlesWithin(work, REDIS_CLOSE_MS);
      await quick(
        this.redis
          .multi()
          .zrem(keys.workers(this.o.settings), this.name)
          .del(keys.worker(this.o.settings, this.name))
          .exec(),
      );
      await quick(this.flows.close());
      await quick(this.finishQueue.close());
      this.o.log.flush();
      this.control.disconnect();
      this.redis.disconnect();
      return drained;
    })();
    return this.closed;
  }

  // ---- the three processors ---------------------------------------------------------------

  /** Starts a job run and holds its slot (MAX_CONCURRENT_JOBS across the cluster) until it has ended. */
  private async startRun(entry: Job<StartData>): Promise<void> {
    const { jobId, run } = entry.data;
    const id = flowId(jobId, run);
    if ((await this.finishQueue.getJobState(id)) === 'unknown') {
      const loaded = await this.load(jobId);
      if (loaded === null) return;
      const { job, spec } = loaded;
      const emitter = this.emitter(jobId, run);
      if (await this.isCancelled(jobId)) {
        await this.endUnstarted(job, spec, entry.data, emitter.emit);
        await emitter.flush();
        return;
      }
      await startJob(job, spec, this.o.store);
      const book = await RunBook.open(job, spec, this.o.store);
      await book.restart(entry.data.keys);
      emitJobStarted(emitter.emit, spec, book.queries, entry.data.resumed);
      await emitter.flush();
      const config = this.configFor(spec);
      await this.flows.add({
        name: 'finish',
        queueName: QUEUES.finish,
        data: {
          jobId,
          run,
          keys: entry.data.keys,
          priorDurationMs: entry.data.priorDurationMs,
          startedAtMs: Date.now(),
        } satisfies FinishData,
        opts: { jobId: id, ...FINISH_RETRIES, removeOnComplete: { age: 3600 }, removeOnFail: { age: 86_400 } },
        children: entry.data.keys.map((key) => ({
          name: 'run',
          queueName: QUEUES.runs,
          data: { jobId, run, ...key, timeoutMs: sourceTimeoutMs(config, key.source) } satisfies RunData,
          opts: {
            jobId: runEntryId(id, key),
            ...RUN_RETRIES,
            // A run that failed for good still lets the parent end the job (it names the run's failure).
            ignoreDependencyOnFailure: true,
            removeOnComplete: { age: 3600 },
            removeOnFail: { age: 86_400 },
          },
        })),
      });
    }
    // Hold the slot until the job run has ended. A worker that closes leaves the entry to another
    // worker (which finds the flow and holds the slot in turn).
    for (;;) {
      const state = await this.finishQueue.getJobState(id);
      if (state === 'completed' || state === 'failed' || state === 'unknown') return;
      if (this.closing.signal.aborted)
        throw new Error('worker closing: the job goes on, another worker holds its slot');
      await sleep(SLOT_POLL_MS);
    }
  }

  /** Runs one source run of a job from the shared store. */
  private async sourceRun(entry: Job<RunData>): Promise<string> {
    const { jobId, run } = entry.data;
    const key = { query: entry.data.query, source: entry.data.source };
    const controller = new AbortController();
    this.longestDeadlineMs = Math.max(this.longestDeadlineMs, entry.data.timeoutMs);
    const mine = this.running.get(jobId) ?? new Set();
    mine.add(controller);
    this.running.set(jobId, mine);
    this.active++;
    try {
      if (await this.isCancelled(jobId)) controller.abort(new CancelledError('cancelled'));
      let loaded = await this.load(jobId);
      if (loaded === null) return 'gone';
      const config = this.configFor(loaded.spec, entry.data);
      if (entry.attemptsStarted > 1 || entry.stalledCounter > 0) {
        // Taken again after its worker died: drop what that worker left half-done in this run's folder.
        const query = loaded.job.queries[key.query] ?? loaded.job.query;
        await reconcileJobFiles(this.o.output(config.downloadDir), this.o.store, jobId, {
          scope: { query, source: key.source },
        });
        loaded = await this.load(jobId);
        if (loaded === null) return 'gone';
      }
      const { job, spec } = loaded;
      const book = await RunBook.open(job, spec, this.o.store, { shared: true });
      await book.restart([key]);
      const emitter = this.emitter(jobId, run);
      // The first write or read that finds the store unreachable stops the run at once: nothing it
      // saved after could be recorded. The entry then fails and is taken again later (RUN_RETRIES).
      let unreachable: StoreUnreachableError | null = null;
      const store = watchedStore(this.o.store, (error) => {
        unreachable ??= error;
        controller.abort(error);
      });
      const shared = jobRunShared(
        {
          spec,
          config,
          store,
          http: this.o.http,
          output: this.o.output(config.downloadDir),
          signal: controller.signal,
          emit: emitter.emit,
          warn: (message) => this.warn(message),
          worker: this.name,
        },
        job,
      );
      // Two runs of the job on two workers must not both keep the same picture; a run taken again
      // after its worker died keeps what that worker claimed.
      const owner = `${key.query}.${key.source}`;
      const shas = keys.shas(this.o.settings, jobId);
      shared.claimSha = async (sha) =>
        (await this.redis.hsetnx(shas, sha, owner)) === 1 || (await this.redis.hget(shas, sha)) === owner;
      await runOneKey(shared, book, key);
      await emitter.flush();
      if (unreachable !== null) {
        this.warn(`${jobId} ${key.source}: ${errorMessage(unreachable)}; the run goes back to the queue`);
        throw unreachable;
      }
      this.completed++;
      return book.run(key).stats.status;
    } catch (error) {
      this.failed++;
      throw error;
    } finally {
      this.active--;
      mine.delete(controller);
      if (mine.size === 0) this.running.delete(jobId);
      this.o.log.flush();
    }
  }

  /** Ends a job run whose source runs have all ended: status, summary, manifests, `job_finished`. */
  private async finishRun(entry: Job<FinishData>): Promise<void> {
    const { jobId, run } = entry.data;
    let loaded = await this.load(jobId);
    if (loaded === null) return;
    if (loaded.job.status !== 'running') return; // already ended (this entry taken again after it finished)
    // Runs that failed for good (their store unreachable through every retry, a worker that kept
    // dying): their folders may hold what their last attempt left half-done, and they end with
    // its reason, counting the files they did record.
    const failures = await entry.getIgnoredChildrenFailures();
    const failed = entry.data.keys.flatMap((key) => {
      const reason = failures[`${this.o.settings.prefix}:${QUEUES.runs}:${runEntryId(flowId(jobId, run), key)}`];
      return reason === undefined ? [] : [{ key, reason }];
    });
    for (const { key } of failed) {
      const query = loaded.job.queries[key.query] ?? loaded.job.query;
      await reconcileJobFiles(this.o.output(this.configFor(loaded.spec).downloadDir), this.o.store, jobId, {
        scope: { query, source: key.source },
      });
    }
    if (failed.length > 0) loaded = await this.load(jobId);
    if (loaded === null) return;
    const { job, spec } = loaded;
    const book = await RunBook.open(job, spec, this.o.store, { shared: true });
    await book.restart(failed.map((f) => f.key));
    for (const { key, reason } of failed) await book.settle([key], { error: reason, code: 'network' });
    await book.settle(entry.data.keys, { error: LOST_RUN_ERROR, code: 'network' });
    const cancelled = await this.isCancelled(jobId);
    const cut = entry.data.keys.some((key) => book.run(key).stats.error_code === 'cancelled');
    const stats = job.results.source_stats;
    const emitter = this.emitter(jobId, run);
    await finishJob({
      job,
      spec,
      store: this.o.store,
      output: this.o.output(this.configFor(spec).downloadDir),
      emit: emitter.emit,
      warn: (message) => this.warn(message),
      queryStats: book.queryStats,
      status: cancelled && cut ? 'cancelled' : jobStatusOf(spec.sources.map((n) => stats[n]!)),
      durationMs: Math.round(entry.data.priorDurationMs + Date.now() - entry.data.startedAtMs),
    });
    await emitter.flush();
    await this.redis.del(keys.cancel(this.o.settings, jobId), keys.shas(this.o.settings, jobId));
    this.o.log.flush();
  }

  // ---- helpers ----------------------------------------------------------------------------

  /** A job cancelled before any of its runs started. */
  private async endUnstarted(
    job: JobDocument,
    spec: JobSpec,
    data: StartData,
    emit: ReturnType<typeof this.emitter>['emit'],
  ): Promise<void> {
    const { store } = this.o;
    for (const name of new Set(data.keys.map((key) => key.source))) {
      const st = job.results.source_stats[name]!;
      skipSourceStats(st, { error: CANCELLED_BEFORE_START_ERROR, code: 'cancelled' });
      await store.jobs.saveSourceStats(job.job_id, name, { ...st });
    }
    job.status = 'cancelled';
    job.finished_at = new Date().toISOString();
    await store.jobs.update(job.job_id, { status: 'cancelled', finished_at: job.finished_at });
    const final = await store.jobs.get(job.job_id);
    emit({ type: 'job_finished', status: 'cancelled', job: final ?? job });
    void spec;
  }

  private async load(jobId: string): Promise<{ job: JobDocument; spec: JobSpec } | null> {
    const [job, spec] = await Promise.all([this.o.store.jobs.get(jobId), this.o.store.jobs.getSpec(jobId)]);
    if (job === null || spec === null) {
      this.warn(`job ${jobId} is not in the store: its queue entry is dropped`);
      return null;
    }
    return { job, spec };
  }

  /** The configuration a job runs with: its own DOWNLOAD_DIR, and the deadline its run carries. */
  private configFor(spec: JobSpec, run?: RunData): Config {
    const dir = spec.options?.downloadDir;
    let config = this.o.config;
    if (dir && dir !== config.downloadDir) config = { ...config, downloadDir: dir };
    if (run !== undefined) {
      config = {
        ...config,
        sourceTimeoutOverridesMs: { ...config.sourceTimeoutOverridesMs, [run.source]: run.timeoutMs },
      };
    }
    return config;
  }

  private emitter(jobId: string, run: number) {
    return createClusterEmitter({
      settings: this.o.settings,
      redis: this.redis,
      store: this.o.store,
      jobId,
      run,
      local: (event) => this.o.log.onEvent(event),
      warn: (message) => this.warn(message),
    });
  }

  private async isCancelled(jobId: string): Promise<boolean> {
    return (await this.redis.exists(keys.cancel(this.o.settings, jobId))) === 1;
  }

  private onControl(message: string): void {
    let parsed: { cancel?: unknown };
    try {
      parsed = JSON.parse(message) as { cancel?: unknown };
    } catch {
      return;
    }
    if (typeof parsed.cancel !== 'string') return;
    for (const controller of this.running.get(parsed.cancel) ?? []) controller.abort(new CancelledError('cancelled'));
  }

  private async beat(): Promise<void> {
    const { settings } = this.o;
    await this.redis
      .multi()
      .zadd(keys.workers(settings), Date.now(), this.name)
      .set(keys.worker(settings, this.name), JSON.stringify(this.gauges()), 'PX', this.timings.liveMs)
      .exec()
      .catch(() => {});
  }

  private warn(message: string): void {
    this.o.log.write('WARNING', message);
    this.o.notify?.(message);
  }
}

/**
 * `store` as one source run sees it: every repository call that fails because the server is
 * unreachable also calls `onUnreachable` (which stops the run), then fails as it would have.
 */
function watchedStore(store: Store, onUnreachable: (error: StoreUnreachableError) => void): Store {
  const watch = <T extends object>(repository: T): T =>
    new Proxy(repository, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(result instanceof Promise)) return result;
          return result.catch((error: unknown) => {
            if (error instanceof StoreUnreachableError) onUnreachable(error);
            throw error;
          });
        };
      },
    });
  return {
    jobs: watch(store.jobs),
    events: watch(store.events),
    files: watch(store.files),
    cache: watch(store.cache),
    health: watch(store.health),
    close: () => store.close(),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
