// What a job-running command opens, in order, and closes: configuration (an invalid value
// stops here, exit 2, before anything is created), the store (start-up marks jobs whose
// process died `interrupted`), the download log, and the job service.
import type { Config } from '../core/config.ts';
import type { JobService } from '../jobs/service.ts';
import { createJobManager } from '../jobs/job-manager.ts';
import { openDownloadLog, type DownloadLog } from '../log/download-log.ts';
import { openStore } from '../store/open.ts';
import type { Store } from '../store/store.ts';

export interface Session {
  config: Config;
  store: Store;
  log: DownloadLog;
  service: JobService;
  /** Writes everything buffered now (the store's batch, the log): for an immediate exit. */
  flushNow(): void;
  close(): Promise<void>;
}

export async function openSession(config: Config): Promise<Session> {
  const store = await openStore(config);
  try {
    // Queued jobs too: a process killed right after recording a job leaves it `queued`. The store
    // only marks jobs whose owning process is gone, so another live CLI's jobs are left alone.
    await store.jobs.markInterrupted({ includeQueued: true });
    const log = openDownloadLog({ logDir: config.logDir, maxBytes: config.logMaxBytes, backups: config.logBackups });
    const service = createJobManager({ config, store, log });
    return {
      config,
      store,
      log,
      service,
      flushNow() {
        log.flush();
        (store as Store & { flush?: () => void }).flush?.();
      },
      async close() {
        try {
          await service.shutdown();
        } finally {
          log.close();
          await store.close();
        }
      },
    };
  } catch (error) {
    await store.close();
    throw error;
  }
}
