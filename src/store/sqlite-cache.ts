// SQLite search cache: successful search answers by key, with when they were stored and last served.
import type { SqliteConnection } from './sqlite-connection.ts';
import type { CachedPage, SearchCacheRepository } from './store.ts';
import { cacheValues, cachedPageOf, type CacheRow } from './store-rows.ts';

export class SqliteSearchCache implements SearchCacheRepository {
  constructor(private readonly c: SqliteConnection) {}

  get(key: string, maxAgeMs: number): Promise<CachedPage | null> {
    return this.c.read(() => {
      const row = this.c
        .stmt(`SELECT status, url, headers, text, stored_at, source FROM search_cache WHERE key = ? AND stored_ms >= ?`)
        .get(key, this.c.now() - maxAgeMs) as CacheRow | undefined;
      if (row === undefined) return null;
      // Remembered so that a run this answer fails can drop it (deleteSource).
      void this.c.writes
        .enqueue(() => this.c.stmt(`UPDATE search_cache SET last_hit_ms = ? WHERE key = ?`).run(this.c.now(), key))
        .catch(() => {});
      return cachedPageOf(row);
    });
  }

  put(key: string, page: CachedPage): Promise<void> {
    return this.c.write(() => {
      this.c
        .stmt(
          `INSERT OR REPLACE INTO search_cache (key, status, url, headers, text, stored_at, stored_ms, source, last_hit_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
        )
        .run(...cacheValues(key, page, this.c.now()));
    });
  }

  delete(key: string): Promise<void> {
    return this.c.write(() => {
      this.c.stmt(`DELETE FROM search_cache WHERE key = ?`).run(key);
    });
  }

  deleteSource(source: string, sinceMs: number): Promise<number> {
    return this.c.write(
      () =>
        this.c
          .stmt(`DELETE FROM search_cache WHERE source = ? AND (stored_ms >= ? OR last_hit_ms >= ?)`)
          .run(source, sinceMs, sinceMs).changes,
    );
  }

  prune(maxAgeMs: number): Promise<number> {
    return this.c.write(
      () => this.c.stmt(`DELETE FROM search_cache WHERE stored_ms < ?`).run(this.c.now() - maxAgeMs).changes,
    );
  }
}
