// What the PostgreSQL repositories share: one connection pool, this process as job owner, the
// clock, and one write chain. Writes of one store run one after another in the order they were
// issued (a file recorded right after its job was created, without awaiting, must find the job),
// each in its own transaction when it has several statements; reads wait for the writes issued
// before them and then run on any pooled connection, so they see them. Across processes the
// database itself (row locks, unique keys) keeps writes apart.
import pg from 'pg';
import { NotFoundError, StoreError, StoreUnreachableError, errorMessage } from '../core/errors.ts';
import type { JobOwner } from './job-owner.ts';

/** What a repository runs its SQL on: the pool, or the client of a transaction. */
export type Queryable = Pick<pg.Pool, 'query'>;

export interface PgConnectionOptions {
  /** The clock (tests). */
  now?: () => number;
}

export class PgConnection {
  readonly now: () => number;
  private closed = false;
  /** Settles when every write issued so far has settled. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    readonly pool: pg.Pool,
    /** The database without credentials, for messages (`PostgreSQL at host:port/db`). */
    readonly label: string,
    readonly owner: JobOwner,
    options: PgConnectionOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A write of one statement (or several that need not land together). */
  write<T>(run: (db: Queryable) => Promise<T>): Promise<T> {
    return this.enqueue(() => run(this.pool));
  }

  /** A write of several statements that land together or not at all (one transaction). */
  writeAtomic<T>(run: (db: Queryable) => Promise<T>): Promise<T> {
    return this.enqueue(() => this.transaction(run));
  }

  read<T>(run: (db: Queryable) => Promise<T>): Promise<T> {
    if (this.closed) return this.closedError();
    return this.tail
      .then(() => run(this.pool))
      .catch((error: unknown) => Promise.reject(this.wrap(error, 'cannot read')));
  }

  /** Runs `run` inside BEGIN … COMMIT on one pooled client; any error rolls it back. */
  async transaction<T>(run: (db: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        // The connection itself failed; releasing it with the error below discards it.
      });
      throw error;
    } finally {
      client.release();
    }
  }

  /** Waits for the writes issued so far, then closes the pool; later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.pool.end();
  }

  private enqueue<T>(run: () => Promise<T>): Promise<T> {
    if (this.closed) return this.closedError();
    const result = this.tail.then(run).catch((error: unknown) => Promise.reject(this.wrap(error, 'cannot record')));
    this.tail = result.catch(() => {
      // The caller hears about the failure; the chain goes on with the next write.
    });
    return result;
  }

  private closedError<T>(): Promise<T> {
    return Promise.reject(new StoreError(`store ${this.label} is closed`));
  }

  private wrap(error: unknown, what: string): unknown {
    if (error instanceof NotFoundError || error instanceof StoreError) return error;
    if (isConnectionFailure(error)) {
      return new StoreUnreachableError(`${this.label} is unreachable (${what}): ${connectionFailureMessage(error)}`, {
        cause: error,
      });
    }
    return new StoreError(`${what} in ${this.label}: ${errorMessage(error)}`, { cause: error });
  }
}

/** System errors of a connection that went away or never came. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/** What `pg` says when a connection ends or times out (it gives these no code). */
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection ended/i;

/**
 * Whether `error` means the server cannot be reached, rather than that a statement failed: a
 * refused, reset or timed-out connection, or the server shutting down (SQLSTATE 57P01-57P03) or
 * dropping the connection (class 08).
 */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some((e: unknown) => isConnectionFailure(e));
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || /^(08|57P0[123])/.test(code))) return true;
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

/** Node reports a refused connection to a name with several addresses as an AggregateError with no message. */
export function connectionFailureMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map((e: unknown) => errorMessage(e)))].join('; ');
  }
  return errorMessage(error);
}

/** Whether `error` is PostgreSQL's unique_violation (another writer took the key first). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '23505';
}
