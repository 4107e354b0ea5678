// The PostgreSQL schema and its versioned migrations: the same tables and columns as SQLite's
// (./schema.ts), so both read back through ./store-rows.ts. The table `harvester_schema` holds
// the version. Migrating runs in one transaction under a transaction-level advisory lock, so two
// processes starting at once cannot both migrate (the second waits, then finds the work done),
// and a crash mid-way leaves the previous version intact. A database from a newer Harvester is
// refused, never "repaired". Text columns that are sorted on use the "C" collation so that order
// is by code point, as in SQLite, whatever the database's locale.
import { StoreError } from '../core/errors.ts';
import type { Queryable } from './pg-connection.ts';

/** Migration N (index N-1) takes the schema from version N-1 to N. Never edit a shipped one: append. */
export const PG_MIGRATIONS: readonly string[] = [
  // v1: everything SQLite's v1–v4 hold: jobs (one or several queries) with their source and run
  // stats, files, in-flight files, events, search cache, source outcomes, health and checks.
  `
  CREATE TABLE jobs (
    job_id           TEXT PRIMARY KEY,
    -- Insertion order: jobs created in the same millisecond are listed newest inserted first.
    seq              BIGINT GENERATED ALWAYS AS IDENTITY,
    status           TEXT NOT NULL,
    query            TEXT NOT NULL,
    sources          TEXT NOT NULL,          -- JSON array of source names, in the job's order
    limit_per_source INTEGER NOT NULL,
    media_type       TEXT NOT NULL,
    spec             TEXT NOT NULL,          -- JSON JobSpec as submitted
    queries          TEXT,                   -- JSON array of every query, null for a one-query job
    created_at       TEXT COLLATE "C" NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    duration_ms      BIGINT,
    owner_token      TEXT,
    owner_pid        INTEGER,
    owner_host       TEXT,
    heartbeat_ms     BIGINT
  );
  CREATE INDEX jobs_created_at ON jobs (created_at DESC, seq DESC);
  CREATE INDEX jobs_status ON jobs (status);

  CREATE TABLE source_stats (
    job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    stats  TEXT NOT NULL,                    -- JSON SourceStats
    PRIMARY KEY (job_id, source)
  );

  CREATE TABLE query_runs (
    job_id      TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    query_index INTEGER NOT NULL,
    source      TEXT COLLATE "C" NOT NULL,
    stats       TEXT NOT NULL,               -- JSON SourceStats of this run
    PRIMARY KEY (job_id, query_index, source)
  );

  CREATE TABLE files (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- order of saving
    job_id       TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    path         TEXT NOT NULL,              -- relative to DOWNLOAD_DIR, forward slashes
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    bytes        BIGINT NOT NULL,
    saved_at     TEXT NOT NULL,
    doc          TEXT NOT NULL,              -- JSON SavedFile
    query        TEXT,
    phash        TEXT,
    -- Two writers of one job can never record the same file twice.
    CONSTRAINT files_job_path UNIQUE (job_id, path)
  );
  CREATE INDEX files_candidate_id ON files (candidate_id);
  CREATE INDEX files_sha256 ON files (sha256);
  CREATE INDEX files_path ON files (path);

  CREATE TABLE pending_files (
    job_id     TEXT COLLATE "C" NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    path       TEXT COLLATE "C" NOT NULL,    -- relative to DOWNLOAD_DIR, with or without extension
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, path)
  );
  CREATE INDEX pending_files_path ON pending_files (path);

  -- (job_id, seq) is the key: two writers can never record the same place in a job's history.
  CREATE TABLE events (
    job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    type   TEXT NOT NULL,
    data   TEXT NOT NULL,                    -- JSON RunnerEvent
    PRIMARY KEY (job_id, seq)
  );

  CREATE TABLE search_cache (
    key         TEXT PRIMARY KEY,
    status      INTEGER NOT NULL,
    url         TEXT NOT NULL,
    headers     TEXT NOT NULL,               -- JSON object
    text        TEXT NOT NULL,
    stored_at   TEXT NOT NULL,
    stored_ms   BIGINT NOT NULL,
    source      TEXT,
    last_hit_ms BIGINT
  );
  CREATE INDEX search_cache_stored_ms ON search_cache (stored_ms);
  CREATE INDEX search_cache_source ON search_cache (source);

  CREATE TABLE source_outcomes (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT NOT NULL,
    ok          SMALLINT NOT NULL,           -- 1 ok, 0 failed, -1 skipped
    error       TEXT,
    duration_ms BIGINT NOT NULL,
    downloaded  INTEGER NOT NULL,
    download_ms BIGINT NOT NULL,
    at          TEXT NOT NULL,
    at_ms       BIGINT NOT NULL
  );
  CREATE INDEX source_outcomes_at_ms ON source_outcomes (at_ms);
  CREATE INDEX source_outcomes_source_at_ms ON source_outcomes (source, at_ms);

  CREATE TABLE source_health (
    source               TEXT COLLATE "C" PRIMARY KEY,
    runs                 INTEGER NOT NULL,
    successes            INTEGER NOT NULL,
    downloaded           INTEGER NOT NULL,
    download_ms          BIGINT NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_error           TEXT,
    last_error_at        TEXT,
    last_run_at          TEXT,
    cooling_until        TEXT
  );

  CREATE TABLE source_checks (
    source      TEXT COLLATE "C" PRIMARY KEY,
    status      TEXT NOT NULL,
    found       INTEGER NOT NULL,
    duration_ms BIGINT NOT NULL,
    detail      TEXT NOT NULL,
    checked_at  TEXT NOT NULL
  );
  `,
  // v2 (SQLite's v5): a file_saved event references its file's row instead of holding the file
  // again; an event's data no longer repeats its job_id, seq and type, a file's doc no longer
  // repeats its columns (rows written before keep their whole JSON and read back the same).
  `
  ALTER TABLE events ADD COLUMN file_id BIGINT;
  `,
];

/** The schema version this build writes and understands. */
export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** The advisory lock key that serialises migrations ('harv' in ASCII). */
const MIGRATION_LOCK = 0x68617276;

/**
 * Brings the database to PG_SCHEMA_VERSION, in one transaction under the migration lock (`db`
 * must be the client of a transaction). Throws StoreError for a newer database. Returns the
 * version found before migrating.
 */
export async function migratePg(db: Queryable, label: string): Promise<number> {
  await db.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await db.query('CREATE TABLE IF NOT EXISTS harvester_schema (version INTEGER NOT NULL)');
  const { rows } = await db.query<{ version: number }>('SELECT version FROM harvester_schema');
  if (rows.length === 0) await db.query('INSERT INTO harvester_schema (version) VALUES (0)');
  const found = rows[0]?.version ?? 0;
  if (found > PG_SCHEMA_VERSION) {
    throw new StoreError(
      `${label} was written by a newer Harvester (schema v${found}, this one knows v${PG_SCHEMA_VERSION}); ` +
        'upgrade Harvester or point DATABASE_URL elsewhere',
    );
  }
  for (let v = found; v < PG_SCHEMA_VERSION; v++) await db.query(PG_MIGRATIONS[v]!);
  if (found < PG_SCHEMA_VERSION) await db.query('UPDATE harvester_schema SET version = $1', [PG_SCHEMA_VERSION]);
  return found;
}
