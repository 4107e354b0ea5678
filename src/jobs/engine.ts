// The engine: the one place where every face (the CLI's commands, the server, the demo, a worker)
// gets its parts, and where each seam's implementation is chosen (docs/ARCHITECTURE.md, "Seams"):
// the store (openStore picks it from the configuration), the download log, the file output, the
// HTTP client and the queue intake (`openIntake`). It also runs the start-up chores every face
// needs: jobs whose process died are marked interrupted, old search-cache entries and the history
// of old jobs (./history-retention.ts) are pruned.
// The heavy parts load on demand, so a command that only reads the history does not load the
// runner.
import type { Config } from '../core/config.ts';
import type { EventListener } from '../core/events.ts';
import type { HttpClient } from '../http/types.ts';
import type { DownloadLog } from '../log/download-log.ts';
import type { FileOutputFactory } from '../output/file-output.ts';
import type { OpenStoreOptions } from '../store/open.ts';
import type { Store } from '../store/store.ts';
import type { JobService } from './service.ts';

/**
 * Which jobs of dead processes are marked interrupted at open: running and queued ones (a process
 * killed right after recording a job leaves it `queued`), running ones only, or none.
 */
export type InterruptAtOpen = 'running-and-queued' | 'running' | 'none';

export interface EngineOptions {
  /** Default `running-and-queued`. */
  interrupt?: InterruptAtOpen;
  /** Passed to the store (a clock, a write batch size: tests and benchmarks). */
  store?: OpenStoreOptions;
  /** Called with every event of every job, before `subscribe` listeners. */
  onEvent?: EventListener;
  /**
   * Whether jobs of this engine may hash images (near-duplicates): then the image decoder is
   * loaded at open, before any job's clock runs. Default: unless NEAR_DUPLICATE_DISTANCE is
   * negative; `harvester get` (whose jobs never hash) and source checks pass false.
   */
  perceptualHashing?: boolean;
  /** Gets the warnings of the distributed mode's intake (Redis lost and back) besides the log. */
  notify?: (message: string) => void;
}

export interface Engine {
  readonly config: Config;
  readonly store: Store;
  readonly log: DownloadLog;
  /** Opens the file output of a job's DOWNLOAD_DIR. */
  readonly output: FileOutputFactory;
  /** The process's one HTTP client (per-host limits hold across jobs and source checks). */
  readonly http: HttpClient;
  /** The queue intake: where jobs are submitted, followed, cancelled, resumed. */
  readonly jobs: JobService;
  /** Jobs marked interrupted at open (their process died while they were running or queued). */
  readonly interrupted: readonly string[];
  /** Writes everything buffered now (the store's batch, the log): for an immediate exit. */
  flushNow(): void;
  /** Stops the intake (running jobs end `interrupted` after `drainMs`), then closes the log, HTTP client and store. */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** The parts a queue intake is built from. */
interface IntakeParts {
  config: Config;
  store: Store;
  log: DownloadLog;
  output: FileOutputFactory;
  http: HttpClient;
  onEvent?: EventListener;
  notify?: (message: string) => void;
}

/**
 * The queue intake: the one place it is chosen. Without REDIS_URL every process runs its jobs
 * itself with the in-process queue (MAX_CONCURRENT_JOBS at a time). With REDIS_URL jobs go to the
 * BullMQ queues that `harvester worker` processes take them from (src/queue/intake.ts). The queue
 * layer sits above this one; it is loaded here, by name, only in the distributed mode, so the
 * embedded path never loads BullMQ.
 */
async function openIntake(parts: IntakeParts): Promise<JobService> {
  if (parts.config.redisUrl !== null) {
    const { openQueueIntake, queueSettings } = await import('../queue/intake.ts');
    return openQueueIntake({ ...parts, settings: queueSettings(parts.config) });
  }
  const { createJobManager } = await import('./job-manager.ts');
  return createJobManager(parts);
}

/** Opens every part for a face that runs jobs. A failure closes what was opened and rethrows. */
export async function openEngine(config: Config, options: EngineOptions = {}): Promise<Engine> {
  const hashing = options.perceptualHashing ?? config.nearDuplicateDistance >= 0;
  const [{ openDownloadLog }, { createHttpClient }, output] = await Promise.all([
    import('../log/download-log.ts'),
    import('../http/index.ts'),
    openFileOutputs(),
    hashing && import('../download/perceptual-hash.ts').then((m) => m.preloadPerceptualHashing()),
  ]);
  const { store, interrupted } = await openWithChores(config, options.interrupt ?? 'running-and-queued', options.store);
  const closers: (() => Promise<void> | void)[] = [() => store.close()];
  try {
    const log = openDownloadLog({ logDir: config.logDir, maxBytes: config.logMaxBytes, backups: config.logBackups });
    closers.unshift(() => log.close());
    const http = createHttpClient(config);
    closers.unshift(() => http.close());
    const jobs = await openIntake({
      config,
      store,
      log,
      output,
      http,
      onEvent: options.onEvent,
      notify: options.notify,
    });
    let closing: Promise<void> | null = null;
    return {
      config,
      store,
      log,
      output,
      http,
      jobs,
      interrupted,
      flushNow() {
        log.flush();
        (store as Store & { flush?: () => void }).flush?.();
      },
      close(closeOptions = {}) {
        closing ??= (async () => {
          try {
            await jobs.shutdown(closeOptions);
          } finally {
            await closeAll(closers);
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    await closeAll(closers);
    throw error;
  }
}

/**
 * The file output: the one place its implementation is chosen (today the local directory). For
 * faces that read saved files outside a job (the CLI's export); openEngine uses it too.
 */
export async function openFileOutputs(): Promise<FileOutputFactory> {
  const { localDirectoryOutput } = await import('../output/local-directory.ts');
  return localDirectoryOutput;
}

export interface EngineStoreOptions {
  /** Open only a store that already exists (null otherwise): reading the history creates nothing. */
  ifExists?: boolean;
  /** Default `none`. */
  interrupt?: InterruptAtOpen;
}

/**
 * The store alone, for faces that read the history or record outside jobs (listing jobs, source
 * health, source checks); the caller closes it.
 */
export async function openEngineStore(config: Config, options: EngineStoreOptions = {}): Promise<Store | null> {
  if (options.ifExists === true) {
    const { storeExists } = await import('../store/open.ts');
    if (!storeExists(config)) return null;
  }
  const { store } = await openWithChores(config, options.interrupt ?? 'none');
  return store;
}

/** Opens the store and runs the start-up chores; closes it again when a chore fails. */
async function openWithChores(
  config: Config,
  interrupt: InterruptAtOpen,
  storeOptions: OpenStoreOptions = {},
): Promise<{ store: Store; interrupted: string[] }> {
  const { openStore } = await import('../store/open.ts');
  const store = await openStore(config, storeOptions);
  try {
    // The store only marks jobs whose owning process is gone: another live process's are left alone.
    // In the distributed mode the queue owns a job's life (a dead worker's runs go back to the
    // queue), so the process that submitted it dying interrupts nothing, whichever command opens.
    const interrupted =
      interrupt === 'none' || config.redisUrl !== null
        ? []
        : await store.jobs.markInterrupted({ includeQueued: interrupt === 'running-and-queued' });
    if (config.searchCacheTtlMs >= 0) await store.cache.prune(config.searchCacheTtlMs);
    const { pruneHistory } = await import('./history-retention.ts');
    await pruneHistory(store, config);
    return { store, interrupted };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Runs every closer in order, even when one throws; rethrows the first failure. */
async function closeAll(closers: readonly (() => Promise<void> | void)[]): Promise<void> {
  let failure: unknown = null;
  for (const close of closers) {
    try {
      await close();
    } catch (error) {
      failure ??= error;
    }
  }
  if (failure !== null) throw failure;
}
