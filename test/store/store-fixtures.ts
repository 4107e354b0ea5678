// Builders shared by the store tests: a temp directory with a config pointing into it, and
// job documents / saved files with realistic fields.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/core/config.ts';
import {
  emptySourceStats,
  type JobDocument,
  type JobSourceName,
  type JobSpec,
  type SavedFile,
} from '../../src/core/types.ts';

export interface TempEnv {
  dir: string;
  config: Config;
  cleanup(): void;
}

export function tempEnv(env: Record<string, string> = {}): TempEnv {
  const dir = mkdtempSync(join(tmpdir(), 'harvester-store-'));
  const config = loadConfig(
    { DATA_DIR: join(dir, 'data'), DOWNLOAD_DIR: join(dir, 'downloads'), LOG_DIR: join(dir, 'logs'), ...env },
    {},
  );
  return { dir, config, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function makeSpec(query = 'nature', sources: JobSourceName[] = ['google_images', 'bing_images']): JobSpec {
  return { query, sources, limit: 5, type: 'image' };
}

export function makeJob(jobId: string, spec: JobSpec = makeSpec(), createdAt = new Date()): JobDocument {
  const source_stats: JobDocument['results']['source_stats'] = {};
  for (const s of spec.sources) source_stats[s] = emptySourceStats();
  return {
    job_id: jobId,
    status: 'running',
    query: spec.query,
    queries: spec.queries ?? [spec.query],
    sources: spec.sources,
    limit: spec.limit,
    type: spec.type,
    created_at: createdAt.toISOString(),
    started_at: createdAt.toISOString(),
    finished_at: null,
    duration_ms: null,
    results: {
      filtered: 0,
      filtered_reasons: { min_width: 0, min_height: 0, orientation: 0, license: 0 },
      near_duplicates: 0,
      query_stats: {},
      downloaded: 0,
      images: 0,
      videos: 0,
      source_stats,
      successful_sources: [],
      failed_sources: [],
      files: [],
    },
  };
}

export function makeFile(n: number, overrides: Partial<SavedFile> = {}): SavedFile {
  const source = overrides.source ?? 'google_images';
  const num = String(n).padStart(3, '0');
  return {
    path: `nature/${source}/nature_${num}.png`,
    query: 'nature',
    phash: null,
    source,
    kind: 'image',
    url: `https://images.example.org/photo-${n}.png`,
    candidate_id: `${source}:${n}`,
    bytes: 1000 + n,
    sha256: n.toString(16).padStart(64, '0'),
    mime: 'image/png',
    width: 640,
    height: 480,
    title: `Photo ${n}`,
    page_url: `https://example.org/p/${n}`,
    thumbnail_url: null,
    author: 'Ada',
    license: 'CC BY 4.0',
    license_url: 'https://creativecommons.org/licenses/by/4.0/',
    duration_ms: 12,
    saved_at: new Date().toISOString(),
    ...overrides,
  };
}
