// What the SQLite repositories share: one database handle, one write queue (one transaction per
// event-loop turn), prepared statements cached by their SQL, this process as job owner, and the
// clock. Reads flush the queue first, so they always see what was written before them (but for
// `readCommitted`, the hot path's).
import type Database from 'better-sqlite3';
import { NotFoundError, StoreError, errorMessage } from '../core/errors.ts';
import type { JobOwner } from './job-owner.ts';
import { WriteQueue, type WriteQueueOptions } from './write-queue.ts';

export interface SqliteConnectionOptions extends WriteQueueOptions {
  /** The clock (tests). */
  now?: () => number;
}

export class SqliteConnection {
  readonly writes: WriteQueue;
  readonly now: () => number;
  private closed = false;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(
    readonly db: Database.Database,
    /** The database file, for messages. */
    readonly file: string,
    readonly owner: JobOwner,
    options: SqliteConnectionOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.writes = new WriteQueue(db, { ...options, wrapError: (error) => this.wrap(error, 'cannot record') });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A write of one statement. */
  write<T>(run: () => T): Promise<T> {
    if (this.closed) return this.closedError();
    return this.writes.enqueue(run);
  }

  /** A write of several statements that must land together. */
  writeAtomic<T>(run: () => T): Promise<T> {
    if (this.closed) return this.closedError();
    return this.writes.enqueue(run, { atomic: true });
  }

  read<T>(run: () => T): Promise<T> {
    if (this.closed) return this.closedError();
    try {
      this.writes.flush();
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(this.wrap(error, 'cannot read'));
    }
  }

  /**
   * A read of what is committed, leaving queued writes queued: for the hot path (the download
   * archive, asked once or twice per file), where a flush per read would commit one small
   * transaction per file. The caller accounts for its own queued writes.
   */
  readCommitted<T>(run: () => T): Promise<T> {
    if (this.closed) return this.closedError();
    try {
      return Promise.resolve(run());
    } catch (error) {
      return Promise.reject(this.wrap(error, 'cannot read'));
    }
  }

  /** Prepared statements, cached by their SQL (preparing costs more than running a small insert). */
  stmt(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Commits what is queued and closes the handle; later calls reject. */
  close(): void {
    if (this.closed) return;
    try {
      this.writes.flush();
      // Keeps query plans good as tables grow; cheap when there is nothing to do.
      this.db.pragma('optimize');
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  private closedError<T>(): Promise<T> {
    return Promise.reject(new StoreError(`store ${this.file} is closed`));
  }

  private wrap(error: unknown, what: string): unknown {
    if (error instanceof NotFoundError || error instanceof StoreError) return error;
    return new StoreError(`${what} in ${this.file}: ${errorMessage(error)}`, { cause: error });
  }
}
