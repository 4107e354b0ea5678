// The SQLite implementation of the Store seam (better-sqlite3, WAL, synchronous=NORMAL): one
// repository per module, all sharing one connection and its write queue (so writes of every
// repository queued in the same turn commit in one transaction). Open it with `openStore`
// (./open.ts).
import type Database from 'better-sqlite3';
import { startHeartbeat, type JobOwner } from './job-owner.ts';
import { SqliteSearchCache } from './sqlite-cache.ts';
import { SqliteConnection, type SqliteConnectionOptions } from './sqlite-connection.ts';
import { SqliteEvents } from './sqlite-events.ts';
import { SqliteFiles } from './sqlite-files.ts';
import { SqliteSourceHealth } from './sqlite-health.ts';
import { SqliteJobs, type SqliteJobsOptions } from './sqlite-jobs.ts';
import type { Store } from './store.ts';

export interface SqliteStoreOptions extends SqliteConnectionOptions, SqliteJobsOptions {
  /** How often this store refreshes the heartbeat of the jobs it owns, ms. @default 5000 */
  heartbeatMs?: number;
}

export class SqliteStore implements Store {
  readonly jobs: SqliteJobs;
  readonly events: SqliteEvents;
  readonly files: SqliteFiles;
  readonly cache: SqliteSearchCache;
  readonly health: SqliteSourceHealth;
  private readonly connection: SqliteConnection;
  private readonly heartbeat: NodeJS.Timeout;

  constructor(db: Database.Database, file: string, owner: JobOwner, options: SqliteStoreOptions = {}) {
    this.connection = new SqliteConnection(db, file, owner, options);
    this.jobs = new SqliteJobs(this.connection, options);
    this.events = new SqliteEvents(this.connection);
    this.files = new SqliteFiles(this.connection);
    this.cache = new SqliteSearchCache(this.connection);
    this.health = new SqliteSourceHealth(this.connection);
    this.heartbeat = startHeartbeat(() => this.jobs.heartbeat(), options.heartbeatMs);
  }

  /** The database file, for messages. */
  get file(): string {
    return this.connection.file;
  }

  get owner(): JobOwner {
    return this.connection.owner;
  }

  /** Writes committed and transactions used so far (batching figures for tests and benchmarks). */
  get writeCounters(): { writes: number; transactions: number } {
    return { ...this.connection.writes.counters };
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.connection.close();
  }

  /** The connection's durability settings, as SQLite reports them (diagnostics, tests). */
  settings(): { journalMode: string; synchronous: string; foreignKeys: boolean; busyTimeoutMs: number } {
    const { db } = this.connection;
    const sync = db.pragma('synchronous', { simple: true }) as number;
    return {
      journalMode: String(db.pragma('journal_mode', { simple: true })),
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][sync] ?? String(sync),
      foreignKeys: db.pragma('foreign_keys', { simple: true }) === 1,
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    };
  }

  /** Commits every queued write now (tests, benchmarks, before handing the file to another process). */
  flush(): void {
    if (!this.connection.isClosed) this.connection.writes.flush();
  }
}
