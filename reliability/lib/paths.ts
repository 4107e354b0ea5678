// Where things are: the package root, the CLI entry point, and fresh sandboxes for runs.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'harvester.js');

/** A fresh directory tree for one run: its own downloads, logs and database. */
export interface Sandbox {
  root: string;
  downloadDir: string;
  logDir: string;
  dataDir: string;
  /** DATA_DIR/harvester.db, the SQLite store. */
  dbPath: string;
  /** DOWNLOAD_DIR, LOG_DIR and DATA_DIR for the process environment. */
  env: Record<string, string>;
  remove(): void;
}

export function makeSandbox(label = 'run'): Sandbox {
  const root = mkdtempSync(join(tmpdir(), `harvester-rel-${label}-`));
  const downloadDir = join(root, 'downloads');
  const logDir = join(root, 'logs');
  const dataDir = join(root, 'data');
  for (const d of [downloadDir, logDir, dataDir]) mkdirSync(d, { recursive: true });
  return {
    root,
    downloadDir,
    logDir,
    dataDir,
    dbPath: join(dataDir, 'harvester.db'),
    env: { DOWNLOAD_DIR: downloadDir, LOG_DIR: logDir, DATA_DIR: dataDir },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
