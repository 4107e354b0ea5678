// Opens the store of a configuration: the PostgreSQL database of DATABASE_URL when it is set
// (./pg-store.ts), otherwise the embedded DATA_DIR/harvester.db (SQLite, WAL, synchronous=NORMAL).
// Anything that makes the SQLite file unusable — not a database, corrupt, written by a newer Harvester, not
// writable — is a StoreError with a message naming the file (the CLI exits 2, the server
// refuses to start). An existing file is never deleted, recreated or "repaired".
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Config } from '../core/config.ts';
import { StoreError, errorMessage } from '../core/errors.ts';
import { currentOwner } from './job-owner.ts';
import type { PgStoreOptions } from './pg-store.ts';
import { checkVersion, migrate } from './schema.ts';
import { SqliteStore, type SqliteStoreOptions } from './sqlite-store.ts';
import type { Store } from './store.ts';

export const DATABASE_FILE = 'harvester.db';
const SQLITE_HEADER = 'SQLite format 3\0';
/** How long a write waits for another process's write lock before failing, ms. */
const BUSY_TIMEOUT_MS = 5_000;

export type OpenStoreOptions = SqliteStoreOptions & PgStoreOptions;

/** The database file of a configuration. */
export function databasePath(config: Pick<Config, 'dataDir'>): string {
  return join(config.dataDir, DATABASE_FILE);
}

/** Whether the configuration's store already exists (a command that only reads creates nothing). */
export function storeExists(config: Pick<Config, 'dataDir' | 'databaseUrl'>): boolean {
  return config.databaseUrl !== null || existsSync(databasePath(config));
}

export async function openStore(config: Config, options: OpenStoreOptions = {}): Promise<Store> {
  if (config.databaseUrl === null) return openSqliteStore(config, options);
  // `pg` loads only when it is used: the embedded default pays nothing for it.
  const { openPgStore } = await import('./pg-store.ts');
  return openPgStore(config.databaseUrl, options);
}

/** The embedded SQLite store of `config`, whatever DATABASE_URL says (SQLite-only tools and tests). */
export async function openSqliteStore(
  config: Pick<Config, 'dataDir'>,
  options: SqliteStoreOptions = {},
): Promise<SqliteStore> {
  const file = databasePath(config);
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (error) {
    throw new StoreError(`cannot create DATA_DIR ${config.dataDir}: ${errorMessage(error)}`);
  }
  checkHeader(file);

  let db: Database.Database;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new StoreError(`cannot open database ${file}: ${errorMessage(error)}`);
  }
  try {
    // Checked before anything writes to the file (the WAL switch does), so a damaged database
    // is reported as it is, not made worse.
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(String(check));
  } catch (error) {
    db.close();
    throw new StoreError(
      `database ${file} is corrupt (${errorMessage(error)}); nothing was changed — ` +
        'restore it from a backup or move it away to start a new history',
    );
  }
  try {
    // Refuse a newer schema before anything writes (switching to WAL rewrites the header).
    checkVersion(db, file);
    db.pragma('journal_mode = WAL');
    // WAL + NORMAL: a commit survives a killed process (not a power cut), with no fsync per write.
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    migrate(db, file);
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot use database ${file}: ${errorMessage(error)}`);
  }

  return new SqliteStore(db, file, currentOwner(), options);
}

/** A non-empty file that does not start with SQLite's header is not a database: refuse it untouched. */
function checkHeader(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new StoreError(`cannot read database ${file}: ${errorMessage(error)}`);
  }
  if (size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    readSync(fd, header, 0, header.length, 0);
  } catch (error) {
    throw new StoreError(`cannot read database ${file}: ${errorMessage(error)}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (header.toString('latin1') !== SQLITE_HEADER) {
    throw new StoreError(
      `database ${file} is corrupt or not a Harvester database (no SQLite header); nothing was changed — ` +
        'move it away or point DATA_DIR elsewhere',
    );
  }
}
