// The PostgreSQL implementation of the Store seam (`pg`), chosen when DATABASE_URL is set: one
// repository per module, all sharing one connection pool and one write chain
// (./pg-connection.ts). Several processes on several machines share one database; the schema's
// keys and the repositories' row locks keep them apart. Open it with `openStore` (./open.ts).
import { hostname } from 'node:os';
import pg from 'pg';
import { StoreError, StoreUnreachableError, errorMessage } from '../core/errors.ts';
import { currentOwner, startHeartbeat, type JobOwner } from './job-owner.ts';
import { PgSearchCache } from './pg-cache.ts';
import {
  PgConnection,
  connectionFailureMessage,
  isConnectionFailure,
  type PgConnectionOptions,
} from './pg-connection.ts';
import { PgEvents } from './pg-events.ts';
import { PgFiles } from './pg-files.ts';
import { PgSourceHealth } from './pg-health.ts';
import { PgJobs, type PgJobsOptions } from './pg-jobs.ts';
import { migratePg } from './pg-schema.ts';
import type { Store } from './store.ts';

export interface PgStoreOptions extends PgConnectionOptions, PgJobsOptions {
  /** How often this store refreshes the heartbeat of the jobs it owns, ms. @default 5000 */
  heartbeatMs?: number;
  /** How long connecting may take before it fails, ms. @default 5000 */
  connectTimeoutMs?: number;
  /** How long one statement may wait for the server's answer before the store counts it unreachable, ms. @default 20000 */
  queryTimeoutMs?: number;
}

/**
 * A server that stops answering without closing the connection (a network partition, a frozen
 * host) would otherwise keep a statement waiting for TCP to give up, many minutes: past this the
 * statement fails and the store reports the server unreachable. Well above any statement
 * Harvester runs (milliseconds), so only a server that is gone reaches it.
 */
const QUERY_TIMEOUT_MS = 20_000;
/** Connections one process keeps to the database at most. */
const POOL_SIZE = 10;
const INT8_OID = 20;

export class PgStore implements Store {
  readonly jobs: PgJobs;
  readonly events: PgEvents;
  readonly files: PgFiles;
  readonly cache: PgSearchCache;
  readonly health: PgSourceHealth;
  private readonly connection: PgConnection;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(pool: pg.Pool, label: string, owner: JobOwner, options: PgStoreOptions = {}) {
    this.connection = new PgConnection(pool, label, owner, options);
    this.jobs = new PgJobs(this.connection, options);
    this.events = new PgEvents(this.connection);
    this.files = new PgFiles(this.connection);
    this.cache = new PgSearchCache(this.connection);
    this.health = new PgSourceHealth(this.connection);
    this.heartbeat = startHeartbeat(() => this.jobs.heartbeat(), options.heartbeatMs);
  }

  /** The database without credentials, for messages. */
  get label(): string {
    return this.connection.label;
  }

  get owner(): JobOwner {
    return this.connection.owner;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.connection.close();
  }
}

/** `PostgreSQL at host:port/db`: where the store is, never with the user's password. */
export function databaseLabel(url: string): string {
  try {
    const u = new URL(url);
    return `PostgreSQL at ${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/**
 * Connects to the database at `url`, migrates it (or refuses a newer one) and returns the store.
 * An unreachable server fails within `connectTimeoutMs` with a StoreError naming the host.
 */
export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<PgStore> {
  const label = databaseLabel(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_SIZE,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    query_timeout: options.queryTimeoutMs ?? QUERY_TIMEOUT_MS,
    // Idle connections to a server that vanished are noticed by TCP keep-alive probes.
    keepAlive: true,
    application_name: `harvester ${hostname()}:${process.pid}`,
    // A commit returns before its WAL reaches the disk (PostgreSQL flushes it within a fraction of
    // a second): a crash of the database server, not of Harvester, may lose the last writes but
    // never leaves them half-done — the trade SQLite's synchronous=NORMAL makes.
    options: '-c synchronous_commit=off',
    // Counts and millisecond times are BIGINT: read them as numbers (all stay below 2^53).
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', () => {
    // An idle connection dropped (server restart, network): the pool replaces it, and the next
    // query on a dead one fails with its own error.
  });
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await pool.end().catch(() => {});
    const Failure = isConnectionFailure(error) ? StoreUnreachableError : StoreError;
    throw new Failure(`cannot connect to ${label} (DATABASE_URL): ${connectionFailureMessage(error)}`, {
      cause: error,
    });
  }
  try {
    await client.query('BEGIN');
    await migratePg(client, label);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    client.release();
    await pool.end().catch(() => {});
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot use ${label}: ${errorMessage(error)}`, { cause: error });
  }
  client.release();
  return new PgStore(pool, label, currentOwner(), options);
}
