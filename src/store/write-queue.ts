// Batched writes (recording must not slow downloading). Every write is queued and
// all writes queued in the same turn of the event loop (or up to `maxBatch`) are committed in one
// transaction; each caller's promise settles once its row is committed (or its statement failed).
// With WAL and synchronous=NORMAL a commit does not fsync, and one commit per batch instead of per
// row keeps the hot path to a queue push. Reads call `flush()` first, so they see every write
// queued before them.
import type Database from 'better-sqlite3';

interface QueuedWrite {
  run: () => unknown;
  /** Runs in its own savepoint: several statements that must land together or not at all. */
  atomic: boolean;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface WriteQueueOptions {
  /** Most writes committed in one transaction; reaching it flushes at once. @default 1000 */
  maxBatch?: number;
  /** Wait before flushing a new batch, ms; 0 flushes on the next turn (setImmediate). @default 0 */
  flushDelayMs?: number;
  /** Turns a failed statement's error into the error the caller sees. */
  wrapError?: (error: unknown) => unknown;
}

export class WriteQueue {
  private queue: QueuedWrite[] = [];
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | null = null;
  private readonly maxBatch: number;
  private readonly flushDelayMs: number;
  private readonly wrapError: (error: unknown) => unknown;
  /** Writes committed so far, and transactions used for them (for benchmarks and tests). */
  readonly counters = { writes: 0, transactions: 0 };

  constructor(
    private readonly db: Database.Database,
    options: WriteQueueOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1000;
    this.flushDelayMs = options.flushDelayMs ?? 0;
    this.wrapError = options.wrapError ?? ((e) => e);
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * Queues `run` (synchronous statements) and resolves with its result once committed. A single
   * statement that fails is undone by SQLite alone (the batch's transaction stays open); `atomic`
   * gives a write of several statements its own savepoint, so it lands whole or not at all.
   */
  enqueue<T>(run: () => T, options: { atomic?: boolean } = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, atomic: options.atomic === true, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else this.schedule();
    });
  }

  /** Commits every queued write now, in one transaction. */
  flush(): void {
    if (this.scheduled !== null) {
      if (this.flushDelayMs > 0) clearTimeout(this.scheduled as NodeJS.Timeout);
      else clearImmediate(this.scheduled as NodeJS.Immediate);
      this.scheduled = null;
    }
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const results: { ok: boolean; value: unknown }[] = [];
      // A failing write rolls back only itself (its statement, or its savepoint when atomic — a
      // nested better-sqlite3 transaction) and the rest of the batch still commits. Savepoints
      // cost about as much as the insert itself, so only writes that need one get one.
      const commit = this.db.transaction(() => {
        for (const write of batch) {
          try {
            results.push({ ok: true, value: write.atomic ? this.db.transaction(write.run)() : write.run() });
          } catch (error) {
            results.push({ ok: false, value: error });
          }
        }
      });
      try {
        commit.immediate();
      } catch (error) {
        // The commit itself failed (disk full, database locked past busy_timeout): nothing of
        // this batch was written, so every caller hears about it.
        const wrapped = this.wrapError(error);
        for (const write of batch) write.reject(wrapped);
        continue;
      }
      this.counters.transactions++;
      batch.forEach((write, i) => {
        const r = results[i]!;
        if (r.ok) {
          this.counters.writes++;
          write.resolve(r.value);
        } else {
          write.reject(this.wrapError(r.value));
        }
      });
    }
  }

  private schedule(): void {
    if (this.scheduled !== null) return;
    const run = (): void => {
      this.scheduled = null;
      this.flush();
    };
    this.scheduled = this.flushDelayMs > 0 ? setTimeout(run, this.flushDelayMs) : setImmediate(run);
  }
}
