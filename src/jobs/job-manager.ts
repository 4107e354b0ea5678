// The JobService (src/jobs/service.ts) the CLI and the server share: validates and records
// jobs, queues them (at most MAX_CONCURRENT_JOBS run at once), runs them with the runner,
// fans their events out (store history, download log, subscribers), and resumes, retries,
// cancels and drains them. This is the in-process queue intake (docs/ARCHITECTURE.md, "Seams"):
// the engine (./engine.ts) builds it from the parts it chose, and a queue consumer can hand jobs
// to a JobService just as the CLI and the server do.
import type { Config } from '../core/config.ts';
import { CancelledError, ConflictError, QueueFullError, errorMessage } from '../core/errors.ts';
import type { EventListener, RunnerEvent } from '../core/events.ts';
import { jobActionRefusal, noFailedSource } from '../core/job-actions.ts';
import { CANCELLED_BEFORE_START_ERROR, skipSourceStats } from '../core/job-results.ts';
import { emptySourceStats, type JobDocument, type JobSpec } from '../core/types.ts';
import type { HttpClient } from '../http/types.ts';
import type { FileOutputFactory } from '../output/file-output.ts';
import type { DownloadLog } from '../log/download-log.ts';
import type { JobListFilter, Store } from '../store/store.ts';
import { firstFiles, snapshot } from './document-snapshot.ts';
import { createEmitter, nextRunNumber, type Emit } from './job-events.ts';
import { newJobDocument } from './new-job.ts';
import { reconcileJobFiles } from './reconcile.ts';
import { claimJob, mustGetJob, mustGetSpec } from './recorded-job.ts';
import { allRuns, failedRun, runsWhere, unfinishedRun, type RunKey } from './run-keys.ts';
import { runJob } from './runner.ts';
import { storedFilesPage } from './stored-files.ts';
import type { JobService } from './service.ts';
import { validateSpec } from './validate-spec.ts';

export interface JobManagerOptions {
  config: Config;
  /** The store; the caller opened it and closes it after `shutdown`. */
  store: Store;
  /** The HTTP client (one per process, so per-host limits hold across jobs); the caller closes it after `shutdown`. */
  http: HttpClient;
  /** Opens the file output for a job's DOWNLOAD_DIR. */
  output: FileOutputFactory;
  /** The download log: gets every event and the runner's warnings. */
  log?: Pick<DownloadLog, 'onEvent' | 'write' | 'flush'>;
  /** Called with every event of every job (before `subscribe` listeners). */
  onEvent?: EventListener;
}

/** What a refused submission is told to wait before trying again, seconds. */
const QUEUE_FULL_RETRY_AFTER_S = 30;

interface ActiveJob {
  doc: JobDocument;
  spec: JobSpec;
  run: RunKey[];
  resumed: boolean;
  state: 'queued' | 'running';
  controller: AbortController;
  /** Set when a shutdown cut the job: it ends `interrupted` (resumable), not `cancelled`. */
  interrupted: boolean;
  done: Promise<JobDocument>;
  settle(doc: JobDocument): void;
}

export function createJobManager(options: JobManagerOptions): JobService {
  return new JobManager(options);
}

class JobManager implements JobService {
  private readonly config: Config;
  private readonly store: Store;
  private readonly http: HttpClient;
  private readonly output: FileOutputFactory;
  private readonly log: JobManagerOptions['log'];
  private readonly onEvent: EventListener | undefined;
  /** The download log's listener, bound once. */
  private readonly logEvent: EventListener | undefined;
  private readonly listeners = new Set<EventListener>();
  private readonly active = new Map<string, ActiveJob>();
  private readonly queue: ActiveJob[] = [];
  private running = 0;
  /** Submissions between the queue check and their enqueue. */
  private submitting = 0;
  private closing = false;

  constructor(options: JobManagerOptions) {
    this.config = options.config;
    this.store = options.store;
    this.http = options.http;
    this.output = options.output;
    this.log = options.log;
    this.onEvent = options.onEvent;
    const log = options.log;
    this.logEvent = log ? (event) => log.onEvent(event) : undefined;
  }

  async submit(input: JobSpec): Promise<JobDocument> {
    this.assertOpen();
    const spec = validateSpec(input, this.config);
    // Jobs being created count as queued, so concurrent submissions cannot overshoot the cap.
    if (this.queue.length + this.submitting >= this.config.maxQueuedJobs) {
      throw new QueueFullError(
        `the job queue is full (${this.config.maxQueuedJobs} jobs waiting, MAX_QUEUED_JOBS); retry when running jobs have finished`,
        QUEUE_FULL_RETRY_AFTER_S,
      );
    }
    this.submitting++;
    try {
      return await this.create(spec);
    } finally {
      this.submitting--;
    }
  }

  private async create(spec: JobSpec): Promise<JobDocument> {
    spec.options = { ...spec.options, downloadDir: this.config.downloadDir };
    const doc = newJobDocument(spec);
    await this.store.jobs.create(doc, spec);
    return this.enqueue(doc, spec, allRuns(spec), false);
  }

  async wait(jobId: string, options: { files?: number } = {}): Promise<JobDocument> {
    const active = this.active.get(jobId);
    if (active) return this.listing(await active.done, options.files);
    // Not running here: ended, interrupted, or run by another process; what is recorded is the answer.
    return mustGetJob(this.store, jobId, options);
  }

  async cancel(jobId: string): Promise<boolean> {
    const active = this.active.get(jobId);
    if (!active) return false;
    if (active.state === 'queued') {
      this.queue.splice(this.queue.indexOf(active), 1);
      await this.endUnstarted(active, 'cancelled');
      return true;
    }
    active.controller.abort(new CancelledError('cancelled'));
    return true;
  }

  async resume(jobId: string): Promise<JobDocument> {
    this.assertOpen();
    this.assertIdle(jobId);
    const before = await mustGetJob(this.store, jobId);
    const refusal = jobActionRefusal('resume', before);
    if (refusal !== null) throw new ConflictError(refusal);
    const spec = await mustGetSpec(this.store, jobId);
    await claimJob(this.store, jobId, before.status);
    // Disk and store must agree before the job goes on: drop records whose file is gone, delete
    // partial files the crash left. The document read afterwards lists every file that is there.
    await reconcileJobFiles(this.output(this.configFor(spec).downloadDir), this.store, jobId);
    const doc = await mustGetJob(this.store, jobId);
    const run = runsWhere(spec, withAllSources(doc, spec), await this.store.jobs.listRunStats(jobId), unfinishedRun);
    return this.enqueue(doc, spec, run, true);
  }

  async retry(jobId: string): Promise<JobDocument> {
    this.assertOpen();
    this.assertIdle(jobId);
    const doc = await mustGetJob(this.store, jobId);
    const refusal = jobActionRefusal('retry', doc);
    if (refusal !== null) throw new ConflictError(refusal);
    const spec = await mustGetSpec(this.store, jobId);
    const run = runsWhere(spec, doc, await this.store.jobs.listRunStats(jobId), failedRun);
    if (run.length === 0) throw new ConflictError(noFailedSource(jobId));
    await claimJob(this.store, jobId, doc.status);
    return this.enqueue(doc, spec, run, true);
  }

  /**
   * Takes an ended or interrupted job for this process, atomically in the store: of two processes
   * (two CLIs, a CLI and a server) resuming or retrying the same job at once, exactly one runs it.
   */

  async get(jobId: string, options: { files?: number } = {}): Promise<JobDocument | null> {
    const active = this.active.get(jobId);
    if (active) return this.listing(snapshot(active.doc, active.spec, options.files), options.files);
    return this.store.jobs.get(jobId, options);
  }

  files(jobId: string, page: { offset: number; limit: number }) {
    // A running job's too: the runner lists only its first files, and records each in the store first.
    return storedFilesPage(this.store, jobId, page);
  }

  /**
   * `doc` listing `files` of its files, or every one of them: a runner's document lists only its
   * first files (./job-file-list.ts), so the whole list comes from the store, where every file is.
   */
  private async listing(doc: JobDocument, files: number | undefined): Promise<JobDocument> {
    const { files_total: total, ...results } = doc.results;
    if (total === undefined) return doc;
    if (files !== undefined) return firstFiles(doc, files);
    const all = await this.store.files.list(doc.job_id, { offset: 0, limit: await this.store.files.count(doc.job_id) });
    return { ...doc, results: { ...results, files: all } };
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

  async shutdown(options: { drainMs?: number } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const job of this.queue.splice(0)) await this.endUnstarted(job, 'interrupted');
    const running = [...this.active.values()];
    if (running.length > 0) {
      // Jobs may finish on their own within drainMs; those still running then are cut and end
      // `interrupted`, so `resume` can finish them later.
      let timer: NodeJS.Timeout | undefined;
      const drained = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.drainMs ?? 0)));
      await Promise.race([Promise.all(running.map((j) => j.done)), drained]);
      clearTimeout(timer);
      for (const job of this.active.values()) {
        job.interrupted = true;
        job.controller.abort(new CancelledError('shutting down'));
      }
      await Promise.all(running.map((j) => j.done));
    }
    this.log?.flush();
  }

  // ---- internals --------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closing) throw new ConflictError('the job service is shutting down');
  }

  private assertIdle(jobId: string): void {
    if (this.active.has(jobId)) throw new ConflictError(`job ${jobId} is already ${this.active.get(jobId)!.state}`);
  }

  private async enqueue(doc: JobDocument, spec: JobSpec, run: RunKey[], resumed: boolean): Promise<JobDocument> {
    let settle!: (doc: JobDocument) => void;
    const done = new Promise<JobDocument>((resolve) => (settle = resolve));
    const job: ActiveJob = {
      doc,
      spec,
      run,
      resumed,
      state: 'queued',
      controller: new AbortController(),
      interrupted: false,
      done,
      settle,
    };
    this.active.set(doc.job_id, job);
    if (resumed) {
      doc.status = 'queued';
      try {
        // `queued` also makes this process the job's owner, so a concurrent start-up does not mark it interrupted.
        await this.store.jobs.update(doc.job_id, { status: 'queued' });
      } catch (error) {
        this.active.delete(doc.job_id);
        throw error;
      }
    }
    this.queue.push(job);
    this.pump();
    return snapshot(doc, spec);
  }

  /** The configuration a job runs with: its files stay in the folder it was started with. */
  private configFor(spec: JobSpec): Config {
    const dir = spec.options?.downloadDir;
    return dir && dir !== this.config.downloadDir ? { ...this.config, downloadDir: dir } : this.config;
  }

  private pump(): void {
    while (this.running < this.config.maxConcurrentJobs && this.queue.length > 0) {
      const job = this.queue.shift()!;
      job.state = 'running';
      job.doc.status = 'running';
      this.running++;
      void this.start(job);
    }
  }

  private async start(job: ActiveJob): Promise<void> {
    const jobId = job.doc.job_id;
    let result: JobDocument = job.doc;
    let emit: Emit | undefined;
    try {
      emit = await this.emitterFor(job);
      const config = this.configFor(job.spec);
      result = await runJob({
        job: job.doc,
        spec: job.spec,
        run: job.run,
        resumed: job.resumed,
        config,
        store: this.store,
        http: this.http,
        output: this.output(config.downloadDir),
        signal: job.controller.signal,
        emit,
        warn: (message) => this.warn(message),
        abortedStatus: () => (job.interrupted ? 'interrupted' : 'cancelled'),
      });
    } catch (error) {
      // The runner only throws when the store itself fails; the job cannot be trusted to go on.
      // It still ends with job_finished, so that every follower of its events stops waiting.
      this.warn(`job ${jobId} stopped: ${errorMessage(error)}`);
      job.doc.status = 'failed';
      job.doc.finished_at = new Date().toISOString();
      await this.store.jobs.update(jobId, { status: 'failed', finished_at: job.doc.finished_at }).catch(() => {});
      result = snapshot(job.doc, job.spec);
      try {
        emit ??= createEmitter(jobId, 0, 1, (event) => this.dispatch(event));
        emit({ type: 'job_finished', status: 'failed', job: result });
      } catch {}
    } finally {
      this.running--;
      this.active.delete(jobId);
      this.log?.flush();
      job.settle(result);
      this.pump();
    }
  }

  /** Ends a job that never started (cancelled in the queue, or queued at shutdown). */
  private async endUnstarted(job: ActiveJob, status: 'cancelled' | 'interrupted'): Promise<void> {
    const { doc } = job;
    this.active.delete(doc.job_id);
    doc.status = status;
    doc.finished_at = new Date().toISOString();
    try {
      if (status === 'cancelled') {
        for (const name of new Set(job.run.map((key) => key.source))) {
          const st = doc.results.source_stats[name]!;
          skipSourceStats(st, { error: CANCELLED_BEFORE_START_ERROR, code: 'cancelled' });
          await this.store.jobs.saveSourceStats(doc.job_id, name, { ...st });
        }
      }
      await this.store.jobs.update(doc.job_id, { status, finished_at: doc.finished_at });
      const emit = await this.emitterFor(job);
      const final = snapshot(doc, job.spec);
      emit({ type: 'job_finished', status, job: final });
      job.settle(final);
    } catch (error) {
      this.warn(`job ${doc.job_id}: cannot record its end: ${errorMessage(error)}`);
      job.settle(doc);
    }
  }

  private async emitterFor(job: ActiveJob): Promise<Emit> {
    const jobId = job.doc.job_id;
    if (!job.resumed) return createEmitter(jobId, 0, 1, (event) => this.dispatch(event));
    const lastSeq = await this.store.events.lastSeq(jobId);
    // The last event says which run came before; only history from before runs were numbered is read whole.
    let history = lastSeq > 0 ? await this.store.events.list(jobId, lastSeq - 1) : [];
    if (history.length > 0 && typeof (history[0] as { run?: unknown }).run !== 'number')
      history = await this.store.events.list(jobId);
    return createEmitter(jobId, lastSeq, nextRunNumber(history), (event) => this.dispatch(event));
  }

  private dispatch(event: RunnerEvent): void {
    this.store.events
      .append(event)
      .catch((error: unknown) =>
        this.warn(`cannot record event ${event.seq} of job ${event.job_id}: ${errorMessage(error)}`),
      );
    // The log, the engine's listener, then the subscribers as they were when the event came.
    if (this.logEvent) this.deliver(this.logEvent, event);
    if (this.onEvent) this.deliver(this.onEvent, event);
    if (this.listeners.size > 0) for (const listener of [...this.listeners]) this.deliver(listener, event);
  }

  private deliver(sink: EventListener, event: RunnerEvent): void {
    try {
      sink(event);
    } catch (error) {
      // A broken subscriber (a closed SSE stream) must not stop the job or other subscribers.
      this.warn(`event listener failed: ${errorMessage(error)}`);
    }
  }

  private warn(message: string): void {
    this.log?.write('WARNING', message);
  }
}

/** `doc` with an empty (pending) stats entry for every source of the job that has none. */
function withAllSources(doc: JobDocument, spec: JobSpec): JobDocument {
  for (const s of spec.sources) doc.results.source_stats[s] ??= emptySourceStats();
  return doc;
}
