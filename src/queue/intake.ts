// The distributed queue intake (docs/ARCHITECTURE.md, "Seams"): the JobService of a process
// started with REDIS_URL. It validates and records a job in the shared store and puts it in the
// `start` queue (./flow.ts); `harvester worker` processes run it. Events come back over Redis
// (./event-bus.ts) and history from the store, so any number of servers and CLIs follow any job.
// MAX_QUEUED_JOBS counts the cluster's waiting starts, under a Redis lock that every server's
// intake takes to admit a job (so two servers never both admit the last place); MAX_CONCURRENT_JOBS
// is the start queue's global concurrency, which BullMQ enforces in Redis.
import { randomUUID } from 'node:crypto';
import type { Config } from '../core/config.ts';
import { ConflictError, QueueFullError } from '../core/errors.ts';
import type { EventListener, RunnerEvent } from '../core/events.ts';
import { isActiveStatus, jobActionRefusal, noFailedSource } from '../core/job-actions.ts';
import { CANCELLED_BEFORE_START_ERROR, skipSourceStats } from '../core/job-results.ts';
import { emptySourceStats, type JobDocument, type JobSpec } from '../core/types.ts';
import { nextRunNumber } from '../jobs/job-events.ts';
import { newJobDocument } from '../jobs/new-job.ts';
import { reconcileJobFiles } from '../jobs/reconcile.ts';
import { firstFiles } from '../jobs/document-snapshot.ts';
import { claimJob, mustGetJob, mustGetSpec } from '../jobs/recorded-job.ts';
import { allRuns, failedRun, runsWhere, unfinishedRun, type RunKey } from '../jobs/run-keys.ts';
import type { JobService } from '../jobs/service.ts';
import { storedFilesPage } from '../jobs/stored-files.ts';
import { validateSpec } from '../jobs/validate-spec.ts';
import type { Engine } from '../jobs/engine.ts';
import type { DownloadLog } from '../log/download-log.ts';
import type { JobListFilter, Store } from '../store/store.ts';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { createClusterEmitter, followClusterEvents } from './event-bus.ts';
import type { StartData } from './flow.ts';
import { QUEUES, flowId, keys, openRedis, redisReachable, type QueueSettings } from './keys.ts';
import { MAX_WORKER_LIVE_MS } from './lock-timings.ts';
import { redisOutageReporter } from './redis-outage.ts';
import { REDIS_CLOSE_MS, settlesWithin } from './within.ts';
import type { WorkerGauges } from './worker.ts';

/** What a refused submission is told to wait before trying again, seconds. */
const QUEUE_FULL_RETRY_AFTER_S = 30;
/** How long one intake may hold the admission lock (a count, a store write, an add: milliseconds), ms. */
const ADMISSION_LOCK_MS = 5_000;
/** How long a submission waits for the admission lock before it is told to come back, ms. */
const ADMISSION_WAIT_MS = 10_000;
/** Deletes the admission lock only if this intake still holds it. */
const RELEASE_LOCK_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;
/** How often `wait` looks at the store besides listening for `job_finished`, ms. */
const WAIT_POLL_MS = 500;

export interface QueueIntakeOptions {
  config: Config;
  store: Store;
  settings: QueueSettings;
  /** Opens the file output of a job's DOWNLOAD_DIR (resume reconciles through it). */
  output: Engine['output'];
  log?: Pick<DownloadLog, 'write'>;
  /** Called with every event of every job (before `subscribe` listeners). */
  onEvent?: EventListener;
  /** Gets the intake's warnings (Redis lost and back), which also go to the log as WARNING lines. */
  notify?: (message: string) => void;
}

/** The queue's state for /api/health and /metrics. */
export interface QueueState {
  redis: 'ok' | string;
  /** Job runs waiting for a slot, and running. */
  jobs: { waiting: number; active: number };
  /** Source runs waiting, running, failed for good. */
  runs: { waiting: number; active: number; failed: number };
  workers: WorkerGauges[];
}

export interface QueueIntake extends JobService {
  readonly settings: QueueSettings;
  queueState(): Promise<QueueState>;
}

/** Where the queues of a configuration live: REDIS_URL, under QUEUE_PREFIX (`harvester`). */
export function queueSettings(config: Pick<Config, 'redisUrl' | 'queuePrefix'>): QueueSettings {
  if (config.redisUrl === null) throw new Error('the distributed mode needs REDIS_URL');
  return { redisUrl: config.redisUrl, prefix: config.queuePrefix };
}

/** Whether a job service is the distributed intake (it reports the queue's state). */
export function isQueueIntake(jobs: JobService): jobs is QueueIntake {
  return jobs instanceof ClusterIntake;
}

export async function openQueueIntake(options: QueueIntakeOptions): Promise<QueueIntake> {
  const intake = new ClusterIntake(options);
  await intake.open();
  return intake;
}

class ClusterIntake implements QueueIntake {
  readonly settings: QueueSettings;
  private readonly config: Config;
  private readonly store: Store;
  private readonly redis: Redis;
  private readonly startQueue: Queue<StartData>;
  private readonly runsQueue: Queue;
  private readonly listeners = new Set<EventListener>();
  private stopFollowing: (() => Promise<void>) | null = null;
  private closing = false;

  constructor(private readonly o: QueueIntakeOptions) {
    this.settings = o.settings;
    this.config = o.config;
    this.store = o.store;
    this.redis = openRedis(o.settings, 'intake');
    const outage = redisOutageReporter('job intake', (message) => {
      o.log?.write('WARNING', message);
      o.notify?.(message);
    });
    outage.watch(this.redis);
    const common = { connection: this.redis, prefix: o.settings.prefix };
    this.startQueue = new Queue<StartData>(QUEUES.start, common);
    this.runsQueue = new Queue(QUEUES.runs, common);
    // Their errors are their connection's, which the outage reporter already follows.
    for (const q of [this.startQueue, this.runsQueue]) q.on('error', (error) => void outage.error(error));
  }

  async open(): Promise<void> {
    try {
      await redisReachable(this.redis, this.settings);
    } catch (error) {
      this.redis.disconnect();
      throw error;
    }
    await this.startQueue.setGlobalConcurrency(this.config.maxConcurrentJobs);
    this.stopFollowing = await followClusterEvents(this.settings, (event) => this.dispatch(event));
  }

  async submit(input: JobSpec): Promise<JobDocument> {
    this.assertOpen();
    const spec = validateSpec(input, this.config);
    spec.options = { ...spec.options, downloadDir: this.config.downloadDir };
    return this.admitted(async () => {
      const waiting = await this.startQueue.getJobCountByTypes('waiting', 'prioritized', 'delayed');
      if (waiting >= this.config.maxQueuedJobs) {
        throw new QueueFullError(
          `the job queue is full (${this.config.maxQueuedJobs} jobs waiting, MAX_QUEUED_JOBS); retry when running jobs have finished`,
          QUEUE_FULL_RETRY_AFTER_S,
        );
      }
      const doc = newJobDocument(spec);
      await this.store.jobs.create(doc, spec);
      await this.enqueue(doc, { run: 1, keys: allRuns(spec), resumed: false });
      return doc;
    });
  }

  async wait(jobId: string, options: { files?: number } = {}): Promise<JobDocument> {
    const doc = await this.ended(jobId);
    // `job_finished` carries the document's first files: the whole list comes from the store.
    if (options.files !== undefined) return firstFiles(doc, options.files);
    return doc.results.files_total === undefined ? doc : mustGetJob(this.store, jobId);
  }

  /** The job's document once it has ended (listing every file, or its first ones). */
  private async ended(jobId: string): Promise<JobDocument> {
    const first = await mustGetJob(this.store, jobId);
    if (!isActiveStatus(first.status)) return first;
    return new Promise<JobDocument>((resolve, reject) => {
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (doc: JobDocument): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        resolve(doc);
      };
      const check = (): void => {
        this.store.jobs.get(jobId).then(
          (doc) => {
            if (doc !== null && !isActiveStatus(doc.status)) finish(doc);
            else if (!done) timer = setTimeout(check, WAIT_POLL_MS);
          },
          (error: unknown) => {
            done = true;
            unsubscribe();
            reject(error);
          },
        );
      };
      const unsubscribe = this.subscribe((event) => {
        if (event.job_id === jobId && event.type === 'job_finished') finish(event.job);
      });
      check();
    });
  }

  async cancel(jobId: string): Promise<boolean> {
    const doc = await this.store.jobs.get(jobId);
    if (doc === null || !isActiveStatus(doc.status)) return false;
    await this.redis.set(keys.cancel(this.settings, jobId), '1', 'EX', 86_400);
    await this.redis.publish(keys.control(this.settings), JSON.stringify({ cancel: jobId }));
    // Still waiting for a slot: it never starts. (A start already taken ends the job itself.)
    const run = await this.liveRun(jobId);
    const entry = await this.startQueue.getJob(flowId(jobId, run));
    if (entry !== undefined && (await entry.getState()) === 'waiting') {
      try {
        await entry.remove();
      } catch {
        return true; // taken meanwhile: its worker sees the cancel
      }
      await this.endUnstarted(doc, entry.data.keys, run);
    }
    return true;
  }

  async resume(jobId: string): Promise<JobDocument> {
    this.assertOpen();
    const before = await mustGetJob(this.store, jobId);
    const refusal = jobActionRefusal('resume', before);
    if (refusal !== null) throw new ConflictError(refusal);
    const spec = await mustGetSpec(this.store, jobId);
    await claimJob(this.store, jobId, before.status);
    await reconcileJobFiles(this.o.output(this.configFor(spec).downloadDir), this.store, jobId);
    const doc = await mustGetJob(this.store, jobId);
    for (const s of spec.sources) doc.results.source_stats[s] ??= emptySourceStats();
    const run = runsWhere(spec, doc, await this.store.jobs.listRunStats(jobId), unfinishedRun);
    return this.rerun(doc, run);
  }

  async retry(jobId: string): Promise<JobDocument> {
    this.assertOpen();
    const doc = await mustGetJob(this.store, jobId);
    const refusal = jobActionRefusal('retry', doc);
    if (refusal !== null) throw new ConflictError(refusal);
    const spec = await mustGetSpec(this.store, jobId);
    const run = runsWhere(spec, doc, await this.store.jobs.listRunStats(jobId), failedRun);
    if (run.length === 0) throw new ConflictError(noFailedSource(jobId));
    await claimJob(this.store, jobId, doc.status);
    return this.rerun(doc, run);
  }

  get(jobId: string, options?: { files?: number }): Promise<JobDocument | null> {
    return this.store.jobs.get(jobId, options);
  }

  files(jobId: string, page: { offset: number; limit: number }) {
    return storedFilesPage(this.store, jobId, page);
  }

  list(filter?: JobListFilter) {
    return this.store.jobs.list(filter);
  }

  history(jobId: string, afterSeq?: number): Promise<RunnerEvent[]> {
    return this.store.events.list(jobId, afterSeq);
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops following; the cluster's jobs go on on its workers. */
  async shutdown(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await this.stopFollowing?.();
    // Closing a queue waits for Redis; while Redis is away the intake stops waiting after a while.
    await settlesWithin(Promise.all([this.startQueue.close(), this.runsQueue.close()]), REDIS_CLOSE_MS);
    this.redis.disconnect();
  }

  async queueState(): Promise<QueueState> {
    let redis = 'ok';
    try {
      await this.redis.ping();
    } catch (error) {
      redis = String(error);
    }
    const [jobs, runs, workers] = await Promise.all([
      this.startQueue.getJobCounts('waiting', 'prioritized', 'delayed', 'active'),
      this.runsQueue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'failed'),
      this.liveWorkers(),
    ]);
    return {
      redis,
      jobs: { waiting: (jobs.waiting ?? 0) + (jobs.prioritized ?? 0) + (jobs.delayed ?? 0), active: jobs.active ?? 0 },
      runs: {
        waiting: (runs.waiting ?? 0) + (runs.prioritized ?? 0) + (runs.delayed ?? 0),
        active: runs.active ?? 0,
        failed: runs.failed ?? 0,
      },
      workers,
    };
  }

  // ---- internals --------------------------------------------------------------------------

  private async liveWorkers(): Promise<WorkerGauges[]> {
    // Each worker's gauges expire with its own heartbeat (./lock-timings.ts): a name whose gauges
    // are gone is a dead worker.
    const since = Date.now() - MAX_WORKER_LIVE_MS;
    const names = await this.redis.zrangebyscore(keys.workers(this.settings), since, '+inf');
    if (names.length === 0) return [];
    const raw = await this.redis.mget(names.map((name) => keys.worker(this.settings, name)));
    return raw.flatMap((json) => (json === null ? [] : [JSON.parse(json) as WorkerGauges]));
  }

  /**
   * Runs `admit` (count the waiting jobs, record one, add it) while this intake holds the cluster's
   * admission lock, so that the count cannot change between the check and the add: servers admit
   * one job at a time. The lock expires by itself if its holder dies.
   */
  private async admitted<T>(admit: () => Promise<T>): Promise<T> {
    const key = keys.admission(this.settings);
    const token = randomUUID();
    const deadline = Date.now() + ADMISSION_WAIT_MS;
    while ((await this.redis.set(key, token, 'PX', ADMISSION_LOCK_MS, 'NX')) !== 'OK') {
      if (Date.now() > deadline) {
        throw new QueueFullError(
          'the job queue is busy admitting other jobs; retry in a moment',
          QUEUE_FULL_RETRY_AFTER_S,
        );
      }
      await sleep(5 + Math.random() * 20);
    }
    try {
      return await admit();
    } finally {
      await this.redis.eval(RELEASE_LOCK_SCRIPT, 1, key, token).catch(() => {
        // Expires by itself.
      });
    }
  }

  private async enqueue(doc: JobDocument, data: Omit<StartData, 'jobId' | 'priorDurationMs'>): Promise<void> {
    const entry: StartData = {
      jobId: doc.job_id,
      priorDurationMs: data.resumed ? (doc.duration_ms ?? 0) : 0,
      ...data,
    };
    await this.startQueue.add('start', entry, {
      jobId: flowId(doc.job_id, data.run),
      // Taken again when its worker closes or dies while holding the slot, or cannot reach the
      // store to start the job (then after a second, not in a tight loop).
      attempts: 1000,
      backoff: { type: 'fixed', delay: 1_000 },
      removeOnComplete: { age: 3600 },
      removeOnFail: { age: 86_400 },
    });
  }

  /** Resume or retry: the job's next run, numbered after its recorded history. */
  private async rerun(doc: JobDocument, keysToRun: RunKey[]): Promise<JobDocument> {
    const jobId = doc.job_id;
    const lastSeq = await this.store.events.lastSeq(jobId);
    const run = nextRunNumber(lastSeq > 0 ? await this.store.events.list(jobId, lastSeq - 1) : []);
    await this.redis.set(keys.seq(this.settings, jobId), String(lastSeq));
    await this.redis.del(keys.cancel(this.settings, jobId));
    doc.status = 'queued';
    await this.store.jobs.update(jobId, { status: 'queued' });
    await this.enqueue(doc, { run, keys: keysToRun, resumed: true });
    return doc;
  }

  /** The run number of a job's latest run (1 for a new job). */
  private async liveRun(jobId: string): Promise<number> {
    const lastSeq = await this.store.events.lastSeq(jobId);
    if (lastSeq === 0) return 1;
    const [last] = await this.store.events.list(jobId, lastSeq - 1);
    if (last === undefined) return 1;
    // A job_finished ends its run: a job queued again after it is in the next one.
    return last.type === 'job_finished' ? last.run + 1 : last.run;
  }

  private async endUnstarted(doc: JobDocument, keysToRun: RunKey[], run: number): Promise<void> {
    for (const name of new Set(keysToRun.map((key) => key.source))) {
      const st = doc.results.source_stats[name] ?? emptySourceStats();
      skipSourceStats(st, { error: CANCELLED_BEFORE_START_ERROR, code: 'cancelled' });
      await this.store.jobs.saveSourceStats(doc.job_id, name, { ...st });
    }
    const finishedAt = new Date().toISOString();
    await this.store.jobs.update(doc.job_id, { status: 'cancelled', finished_at: finishedAt });
    const final = (await this.store.jobs.get(doc.job_id)) ?? doc;
    const emitter = createClusterEmitter({
      settings: this.settings,
      redis: this.redis,
      store: this.store,
      jobId: doc.job_id,
      run,
      warn: (message) => this.warn(message),
    });
    emitter.emit({ type: 'job_finished', status: 'cancelled', job: final });
    await emitter.flush();
    await this.redis.del(keys.cancel(this.settings, doc.job_id));
  }

  private configFor(spec: JobSpec): Config {
    const dir = spec.options?.downloadDir;
    return dir && dir !== this.config.downloadDir ? { ...this.config, downloadDir: dir } : this.config;
  }

  private assertOpen(): void {
    if (this.closing) throw new ConflictError('the job service is shutting down');
  }

  private dispatch(event: RunnerEvent): void {
    const sinks: EventListener[] = [];
    if (this.o.onEvent) sinks.push(this.o.onEvent);
    sinks.push(...this.listeners);
    for (const sink of sinks) {
      try {
        sink(event);
      } catch (error) {
        this.warn(`event listener failed: ${(error as Error).message}`);
      }
    }
  }

  private warn(message: string): void {
    this.o.log?.write('WARNING', message);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
