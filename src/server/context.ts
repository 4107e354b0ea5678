// What the app and its routes receive: the configuration, the job service and the store (the
// same ones the CLI uses), plus server options. Tests build the app with their own.
import type { Config } from '../core/config.ts';
import type { SourceId } from '../core/types.ts';
import { ConfigError } from '../core/errors.ts';
import type { HttpClient } from '../http/types.ts';
import type { JobService } from '../jobs/service.ts';
import type { FileOutput } from '../output/file-output.ts';
import type { Source } from '../sources/source.ts';
import type { Store } from '../store/store.ts';
import type { QueueState } from '../queue/intake.ts';
import type { ServerMetrics } from './metrics.ts';

export interface AppDeps {
  config: Config;
  jobs: JobService;
  store: Store;
  /** The saved files the file routes serve: the file output of the server's DOWNLOAD_DIR. */
  output: FileOutput;
  /** The process's HTTP client (the engine's): source checks share its per-host limits with jobs. */
  http: HttpClient;
  /** Directory of the built web UI (web-dist/); null serves no UI. */
  webRoot?: string | null;
  /** The download log; default `LOG_DIR/download_errors.log`. */
  logFile?: string;
  /** Keep-alive comment interval of event streams, ms (default 15 s). */
  heartbeatMs?: number;
  /** Largest request body, bytes (default 16 KiB). */
  bodyLimitBytes?: number;
  /** Time a client has to send its whole request, headers and body, ms (default 30 s): slow bodies end with 408. */
  requestTimeoutMs?: number;
  /** Time a client has to send its request headers, ms (default 10 s). */
  headersTimeoutMs?: number;
  /** Open connections the server accepts at once (default 512); more are refused at accept. */
  maxConnections?: number;
  /** Event streams one client address may hold open at once (default 16). */
  maxStreamsPerClient?: number;
  /** The sources this server offers (default: every source); `serve --demo` offers the simulated ones. */
  offeredSources?: readonly SourceId[];
  /** Shown by /api/health and the UI: the server runs against simulated sources. */
  demo?: boolean;
  version?: string;
  /** Server log level on stderr (default silent). */
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  /** The clock (tests). */
  now?: () => Date;
  /** The cluster queue's state (distributed mode): /api/health and /metrics show it. */
  queueState?: (() => Promise<QueueState>) | null;
}

/** Dependencies as the routes see them: defaults applied, metrics created. */
export interface RouteDeps extends Required<Omit<AppDeps, 'webRoot' | 'logLevel' | 'offeredSources'>> {
  /** The sources this server offers, in registry order. */
  sources: readonly Source[];
  webRoot: string | null;
  metrics: ServerMetrics;
  /** False once the server is shutting down (/api/health answers 503). */
  isReady(): boolean;
}

/** A bad request field that the schema cannot judge alone (a source this server does not offer). */
export class FieldError extends ConfigError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}
