// PostgreSQL search cache: successful search answers by key, with when they were stored and last served.
import type { PgConnection } from './pg-connection.ts';
import type { CachedPage, SearchCacheRepository } from './store.ts';
import { cacheValues, cachedPageOf, type CacheRow } from './store-rows.ts';

export class PgSearchCache implements SearchCacheRepository {
  constructor(private readonly c: PgConnection) {}

  get(key: string, maxAgeMs: number): Promise<CachedPage | null> {
    // A hit is remembered in the same statement, so that a run this answer fails can drop it
    // (deleteSource); as a write it also sees every write issued before it.
    return this.c.write(async (db) => {
      const now = this.c.now();
      const { rows } = await db.query<CacheRow>(
        `UPDATE search_cache SET last_hit_ms = $3 WHERE key = $1 AND stored_ms >= $2
         RETURNING status, url, headers, text, stored_at, source`,
        [key, now - maxAgeMs, now],
      );
      return rows[0] === undefined ? null : cachedPageOf(rows[0]);
    });
  }

  put(key: string, page: CachedPage): Promise<void> {
    return this.c.write(async (db) => {
      await db.query(
        `INSERT INTO search_cache (key, status, url, headers, text, stored_at, stored_ms, source, last_hit_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
         ON CONFLICT (key) DO UPDATE SET status = EXCLUDED.status, url = EXCLUDED.url, headers = EXCLUDED.headers,
           text = EXCLUDED.text, stored_at = EXCLUDED.stored_at, stored_ms = EXCLUDED.stored_ms,
           source = EXCLUDED.source, last_hit_ms = NULL`,
        cacheValues(key, page, this.c.now()),
      );
    });
  }

  delete(key: string): Promise<void> {
    return this.c.write(async (db) => {
      await db.query(`DELETE FROM search_cache WHERE key = $1`, [key]);
    });
  }

  deleteSource(source: string, sinceMs: number): Promise<number> {
    return this.c.write(async (db) => {
      const { rowCount } = await db.query(
        `DELETE FROM search_cache WHERE source = $1 AND (stored_ms >= $2 OR last_hit_ms >= $2)`,
        [source, sinceMs],
      );
      return rowCount ?? 0;
    });
  }

  prune(maxAgeMs: number): Promise<number> {
    return this.c.write(async (db) => {
      const { rowCount } = await db.query(`DELETE FROM search_cache WHERE stored_ms < $1`, [this.c.now() - maxAgeMs]);
      return rowCount ?? 0;
    });
  }
}
