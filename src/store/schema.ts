// The SQLite schema and its versioned migrations. `PRAGMA user_version` holds the
// schema version; each migration moves it up by one inside one transaction, so a crash mid-way
// leaves the previous version intact. A database from a newer Harvester is refused, never
// "repaired" into this version's shape.
import type Database from 'better-sqlite3';
import { StoreError } from '../core/errors.ts';

/** Migration N (index N-1) takes the schema from version N-1 to N. Never edit a shipped one: append. */
export const MIGRATIONS: readonly string[] = [
  // v1: jobs, their source stats, files, in-flight file names, events, search cache, source health.
  `
  CREATE TABLE jobs (
    job_id           TEXT PRIMARY KEY,
    status           TEXT NOT NULL,
    query            TEXT NOT NULL,
    sources          TEXT NOT NULL,          -- JSON array of source names, in the job's order
    limit_per_source INTEGER NOT NULL,
    media_type       TEXT NOT NULL,
    spec             TEXT NOT NULL,          -- JSON JobSpec as submitted
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT,
    duration_ms      INTEGER,
    -- Who is running the job: markInterrupted only touches jobs whose owner is gone.
    owner_token      TEXT,
    owner_pid        INTEGER,
    owner_host       TEXT,
    heartbeat_ms     INTEGER
  );
  CREATE INDEX jobs_created_at ON jobs (created_at);
  CREATE INDEX jobs_status ON jobs (status);

  CREATE TABLE source_stats (
    job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    stats  TEXT NOT NULL,                    -- JSON SourceStats
    PRIMARY KEY (job_id, source)
  ) WITHOUT ROWID;

  CREATE TABLE files (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- order of saving
    job_id       TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    path         TEXT NOT NULL,              -- relative to DOWNLOAD_DIR, forward slashes
    source       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    candidate_id TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    bytes        INTEGER NOT NULL,
    saved_at     TEXT NOT NULL,
    doc          TEXT NOT NULL               -- JSON SavedFile
  );
  CREATE UNIQUE INDEX files_job_path ON files (job_id, path);
  CREATE INDEX files_candidate_id ON files (candidate_id);
  CREATE INDEX files_sha256 ON files (sha256);
  CREATE INDEX files_path ON files (path);

  -- A file a job is downloading: written before the download starts, deleted when the file is
  -- recorded or abandoned. After a crash it names exactly the files that may be half-done or
  -- complete-but-unrecorded, even when several jobs share a directory.
  CREATE TABLE pending_files (
    job_id     TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    path       TEXT NOT NULL,                -- relative to DOWNLOAD_DIR, with or without extension
    created_at TEXT NOT NULL,
    PRIMARY KEY (job_id, path)
  ) WITHOUT ROWID;
  CREATE INDEX pending_files_path ON pending_files (path);

  CREATE TABLE events (
    job_id TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    type   TEXT NOT NULL,
    data   TEXT NOT NULL,                    -- JSON RunnerEvent
    PRIMARY KEY (job_id, seq)
  ) WITHOUT ROWID;

  CREATE TABLE search_cache (
    key       TEXT PRIMARY KEY,
    status    INTEGER NOT NULL,
    url       TEXT NOT NULL,
    headers   TEXT NOT NULL,                 -- JSON object
    text      TEXT NOT NULL,
    stored_at TEXT NOT NULL,
    stored_ms INTEGER NOT NULL
  );
  CREATE INDEX search_cache_stored_ms ON search_cache (stored_ms);

  CREATE TABLE source_outcomes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    ok          INTEGER NOT NULL,
    error       TEXT,
    duration_ms INTEGER NOT NULL,
    downloaded  INTEGER NOT NULL,
    download_ms INTEGER NOT NULL,
    at          TEXT NOT NULL,
    at_ms       INTEGER NOT NULL
  );
  CREATE INDEX source_outcomes_at_ms ON source_outcomes (at_ms);
  CREATE INDEX source_outcomes_source_at_ms ON source_outcomes (source, at_ms);

  CREATE TABLE source_health (
    source               TEXT PRIMARY KEY,
    runs                 INTEGER NOT NULL,
    successes            INTEGER NOT NULL,
    downloaded           INTEGER NOT NULL,
    download_ms          INTEGER NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    last_error           TEXT,
    last_error_at        TEXT,
    last_run_at          TEXT,
    cooling_until        TEXT
  ) WITHOUT ROWID;
  `,
  // v2: the search cache knows each answer's source and when it was last served, so a failed
  // source run can drop the answers it fetched or was served (a block page cached as a 200).
  `
  ALTER TABLE search_cache ADD COLUMN source TEXT;
  ALTER TABLE search_cache ADD COLUMN last_hit_ms INTEGER;
  CREATE INDEX search_cache_source ON search_cache (source);
  `,
  // v3: the last \`sources --check\` of each source, shown beside its health.
  `
  CREATE TABLE source_checks (
    source      TEXT PRIMARY KEY,
    status      TEXT NOT NULL,
    found       INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    detail      TEXT NOT NULL,
    checked_at  TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // v4: jobs of several queries. Each (query, source) pair is one source run with its own stats
  // (a resume reruns only the unfinished pairs); source_stats keeps each source's sum over them.
  // Files carry their query and, for images, their perceptual hash.
  `
  ALTER TABLE jobs ADD COLUMN queries TEXT;  -- JSON array of every query, null for a one-query job
  CREATE TABLE query_runs (
    job_id      TEXT NOT NULL REFERENCES jobs (job_id) ON DELETE CASCADE,
    query_index INTEGER NOT NULL,
    source      TEXT NOT NULL,
    stats       TEXT NOT NULL,               -- JSON SourceStats of this run
    PRIMARY KEY (job_id, query_index, source)
  ) WITHOUT ROWID;
  ALTER TABLE files ADD COLUMN query TEXT;
  ALTER TABLE files ADD COLUMN phash TEXT;
  `,
  // v5: a file_saved event references its file's row instead of holding the file again; an
  // event's data no longer repeats its job_id, seq and type, a file's doc no longer repeats its
  // columns (rows written before keep their whole JSON and read back the same).
  `
  ALTER TABLE events ADD COLUMN file_id INTEGER;
  `,
];

/** The schema version this build writes and understands. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the database to SCHEMA_VERSION. Runs under an immediate (write-locked) transaction so
 * two processes starting at once cannot both migrate; the version is re-read inside the lock.
 * Returns the version found before migrating.
 */
export function migrate(db: Database.Database, file: string): number {
  const found = readVersion(db, file);
  if (found === SCHEMA_VERSION) return found;
  const run = db.transaction(() => {
    const current = readVersion(db, file);
    for (let v = current; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]!);
      // user_version takes no bound parameter; v+1 is an integer we computed.
      db.pragma(`user_version = ${v + 1}`);
    }
    return current;
  });
  return run.immediate();
}

/** Throws StoreError when the database was written by a newer Harvester; returns its version. */
export function checkVersion(db: Database.Database, file: string): number {
  return readVersion(db, file);
}

function readVersion(db: Database.Database, file: string): number {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      `database ${file} was written by a newer Harvester (schema v${version}, this one knows v${SCHEMA_VERSION}); ` +
        'upgrade Harvester or point DATA_DIR elsewhere',
    );
  }
  return version;
}
