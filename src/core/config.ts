// Configuration: the process environment first, then `.env` in the working
// directory, then defaults. Seconds in the environment, milliseconds everywhere in code:
// the conversion happens here, once. Any invalid value is a ConfigError naming the variable.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { SOURCE_IDS, type SourceId } from './types.ts';

export interface Config {
  maxConcurrentSources: number;
  /** Whole budget of one source (searches and downloads), ms. */
  sourceTimeoutMs: number;
  /** Per-source overrides of sourceTimeoutMs (from `<ID>_TIMEOUT`), ms. */
  sourceTimeoutOverridesMs: Partial<Record<SourceId | 'urls', number>>;
  /** One HTTP request to a source, connect to last byte, ms. */
  requestTimeoutMs: number;
  /** One media download, whole transfer including its retries, ms. */
  downloadTimeoutMs: number;
  maxRetriesPerSource: number;
  maxRetriesPerDownload: number;
  /** A download slower than minDownloadSpeed for this long is stalled, ms. */
  stallTimeoutMs: number;
  /** Bytes per second. */
  minDownloadSpeed: number;
  /** Origin overrides (from `<ID>_BASE_URL`), without trailing slash. */
  baseUrls: Partial<Record<SourceId, string>>;
  maxDownloadsPerSource: number;
  maxConnectionsPerHost: number;
  /** Largest video rendition taken, by its shorter side, px. */
  maxVideoResolution: number;
  maxFileSizeBytes: number;
  downloadDir: string;
  logDir: string;
  dataDir: string;
  host: string;
  port: number;
  maxConcurrentJobs: number;
  /** Jobs that may wait in the queue; past it a new job is refused (503). */
  maxQueuedJobs: number;
  /** Extra `Host` names the server answers to, lower case, each `name` or `name:port`. */
  allowedHosts: string[];
  apiToken: string | null;
  rateLimitPerMinute: number;
  searchCacheTtlMs: number;
  unsplashAccessKey: string | null;
  pexelsApiKey: string | null;
  pixabayApiKey: string | null;
  allowPrivateNetworks: boolean;
  /** Size at which download_errors.log rotates, bytes. */
  logMaxBytes: number;
  /** Rotated log files kept. */
  logBackups: number;
  /** Hamming distance (of 64 bits) at or under which two images are the same picture; -1: no perceptual hashing. */
  nearDuplicateDistance: number;
  /** Days the events and source outcomes of a job are kept; 0 keeps them all. */
  historyRetentionDays: number;
  /** `postgres://…`: the store is this PostgreSQL database instead of SQLite, or null. */
  databaseUrl: string | null;
  /** `redis://…[/db]`: jobs go through BullMQ queues on this Redis, or null (needs databaseUrl). */
  redisUrl: string | null;
  /** Source runs one `harvester worker` process takes at once. */
  workerConcurrency: number;
  /** Prefix of the cluster's Redis keys and BullMQ queues: processes with the same prefix are one cluster. */
  queuePrefix: string;
}

type Env = Record<string, string | undefined>;

interface Spec<T> {
  /** Default as it would be written in the environment. */
  fallback: string | null;
  expected: string;
  parse: (raw: string) => T | undefined;
  /** The value as an error message may show it (a URL's password is never shown). */
  shown?: (raw: string) => string;
}

const int =
  (min: number, max: number): Spec<number>['parse'] =>
  (raw) => {
    if (!/^\s*-?\d+\s*$/.test(raw)) return undefined;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
  };
const seconds =
  (min: number, max: number): Spec<number>['parse'] =>
  (raw) => {
    if (!/^\s*\d+(\.\d+)?\s*$/.test(raw)) return undefined;
    const n = Number(raw);
    return n >= min && n <= max ? Math.round(n * 1000) : undefined;
  };
const bool: Spec<boolean>['parse'] = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return undefined;
};
const text: Spec<string>['parse'] = (raw) => (raw.trim() === '' ? undefined : raw.trim());
const optionalText: Spec<string | null>['parse'] = (raw) => (raw.trim() === '' ? null : raw.trim());
const origin: Spec<string>['parse'] = (raw) => {
  try {
    const u = new URL(raw.trim());
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
    if (u.search || u.hash || u.username || u.password) return undefined;
    return u.href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
};
const hostList: Spec<string[]>['parse'] = (raw) => {
  const names = raw
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '');
  return names.every((name) => /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(name)) ? names : undefined;
};
/** An optional URL of one of `protocols`, with a host or (PostgreSQL) a socket directory. */
const serviceUrl =
  (protocols: readonly string[]): Spec<string | null>['parse'] =>
  (raw) => {
    const v = raw.trim();
    if (v === '') return null;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) return undefined;
      if (u.hostname === '' && !u.searchParams.has('host')) return undefined;
      return v;
    } catch {
      return undefined;
    }
  };
/**
 * A service URL as messages and logs may show it: `scheme://user:secret@host/db?password=secret` →
 * `scheme://user:***@host/db?password=***`.
 */
export function maskUrl(raw: string): string {
  return raw.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}
/** Where a distributed-mode process keeps its state, for start-up lines: passwords masked. */
export function describeCluster(config: Pick<Config, 'databaseUrl' | 'redisUrl' | 'queuePrefix'>): string {
  const store = config.databaseUrl === null ? 'SQLite' : maskUrl(config.databaseUrl);
  return `store ${store}, queues ${config.queuePrefix} on ${config.redisUrl === null ? '-' : maskUrl(config.redisUrl)}`;
}
const host: Spec<string>['parse'] = (raw) => (/^[A-Za-z0-9.:[\]-]+$/.test(raw.trim()) ? raw.trim() : undefined);

/** Every configuration variable, with its default and what a valid value looks like. */
export const VARIABLES = {
  MAX_CONCURRENT_SOURCES: { fallback: '5', expected: 'an integer from 1 to 64', parse: int(1, 64) },
  SOURCE_TIMEOUT: { fallback: '30', expected: 'seconds, a number from 0.1 to 86400', parse: seconds(0.1, 86400) },
  REQUEST_TIMEOUT: { fallback: '10', expected: 'seconds, a number from 0.1 to 3600', parse: seconds(0.1, 3600) },
  DOWNLOAD_TIMEOUT: { fallback: '15', expected: 'seconds, a number from 0.1 to 86400', parse: seconds(0.1, 86400) },
  MAX_RETRIES_PER_SOURCE: { fallback: '2', expected: 'an integer from 0 to 10', parse: int(0, 10) },
  MAX_RETRIES_PER_DOWNLOAD: { fallback: '2', expected: 'an integer from 0 to 10', parse: int(0, 10) },
  STALL_TIMEOUT: { fallback: '5', expected: 'seconds, a number from 0.1 to 3600', parse: seconds(0.1, 3600) },
  MIN_DOWNLOAD_SPEED: {
    fallback: '1024',
    expected: 'bytes per second, an integer from 0 to 1073741824',
    parse: int(0, 1073741824),
  },
  MAX_DOWNLOADS_PER_SOURCE: { fallback: '4', expected: 'an integer from 1 to 256', parse: int(1, 256) },
  MAX_CONNECTIONS_PER_HOST: { fallback: '8', expected: 'an integer from 1 to 1024', parse: int(1, 1024) },
  MAX_VIDEO_RESOLUTION: { fallback: '1080', expected: 'pixels, an integer from 144 to 8640', parse: int(144, 8640) },
  MAX_FILE_SIZE_MB: {
    fallback: '500',
    expected: 'megabytes, a number from 0.001 to 1048576',
    parse: (raw: string) => {
      if (!/^\s*\d+(\.\d+)?\s*$/.test(raw)) return undefined;
      const n = Number(raw);
      return n >= 0.001 && n <= 1048576 ? Math.round(n * 1024 * 1024) : undefined;
    },
  },
  DOWNLOAD_DIR: { fallback: './downloads', expected: 'a directory path', parse: text },
  LOG_DIR: { fallback: './logs', expected: 'a directory path', parse: text },
  DATA_DIR: { fallback: './data', expected: 'a directory path', parse: text },
  HOST: { fallback: '127.0.0.1', expected: 'a host name or IP address', parse: host },
  PORT: { fallback: '8080', expected: 'a port, an integer from 0 to 65535', parse: int(0, 65535) },
  MAX_CONCURRENT_JOBS: { fallback: '4', expected: 'an integer from 1 to 64', parse: int(1, 64) },
  MAX_QUEUED_JOBS: { fallback: '1000', expected: 'an integer from 1 to 1000000', parse: int(1, 1000000) },
  ALLOWED_HOSTS: { fallback: '', expected: 'comma-separated host names, each optionally with :port', parse: hostList },
  API_TOKEN: {
    fallback: null,
    expected: 'a token of at least 8 characters',
    parse: (raw: string) => {
      const v = raw.trim();
      if (v === '') return null;
      return v.length >= 8 && /^[\x21-\x7e]+$/.test(v) ? v : undefined;
    },
  },
  RATE_LIMIT_PER_MINUTE: { fallback: '600', expected: 'an integer from 0 (off) to 1000000', parse: int(0, 1000000) },
  SEARCH_CACHE_TTL: {
    fallback: '86400',
    expected: 'seconds, a number from 0 to 31536000',
    parse: seconds(0, 31536000),
  },
  UNSPLASH_ACCESS_KEY: { fallback: null, expected: 'a key', parse: optionalText },
  PEXELS_API_KEY: { fallback: null, expected: 'a key', parse: optionalText },
  PIXABAY_API_KEY: { fallback: null, expected: 'a key', parse: optionalText },
  ALLOW_PRIVATE_NETWORKS: { fallback: 'false', expected: 'true or false', parse: bool },
  LOG_MAX_BYTES: {
    fallback: '10485760',
    expected: 'bytes, an integer from 1024 to 10737418240',
    parse: int(1024, 10737418240),
  },
  LOG_BACKUPS: { fallback: '5', expected: 'an integer from 0 to 100', parse: int(0, 100) },
  NEAR_DUPLICATE_DISTANCE: {
    fallback: '4',
    expected: 'an integer from -1 (keep near-duplicates, no hashing) to 64',
    parse: int(-1, 64),
  },
  HISTORY_RETENTION_DAYS: {
    fallback: '30',
    expected: 'days, an integer from 0 (keep all) to 36500',
    parse: int(0, 36500),
  },
  DATABASE_URL: {
    fallback: null,
    expected: 'a PostgreSQL URL such as postgres://user@host:5432/harvester',
    parse: serviceUrl(['postgres:', 'postgresql:']),
    shown: maskUrl,
  },
  REDIS_URL: {
    fallback: null,
    expected: 'a Redis URL such as redis://host:6379/0',
    parse: serviceUrl(['redis:', 'rediss:']),
    shown: maskUrl,
  },
  WORKER_CONCURRENCY: { fallback: null, expected: 'an integer from 1 to 256', parse: int(1, 256) },
  QUEUE_PREFIX: {
    fallback: 'harvester',
    expected: 'letters, digits, `_`, `-` and `.` in parts joined by `:`, at most 64 characters',
    parse: (raw: string) => {
      const v = raw.trim();
      return v.length <= 64 && /^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)*$/.test(v) ? v : undefined;
    },
  },
  URLS_TIMEOUT: { fallback: null, expected: 'seconds, a number from 0.1 to 86400', parse: seconds(0.1, 86400) },
} satisfies Record<string, Spec<unknown>>;

/** `BING_IMAGES` for `bing_images`. */
export function envPrefix(id: string): string {
  return id.toUpperCase();
}

/** Reads `.env` in `cwd`, if present; a malformed file is a ConfigError. */
export function readDotenv(cwd: string = process.cwd()): Env {
  let raw: string;
  try {
    raw = readFileSync(resolve(cwd, '.env'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError(`cannot read .env: ${(error as Error).message}`);
  }
  // dotenv (and the crypto and os modules it loads) only when there is a .env to parse.
  const { parse } = createRequire(import.meta.url)('dotenv') as typeof import('dotenv');
  return parse(raw);
}

/** Builds the configuration from `env` (process env), then `dotenv` (.env), then defaults. */
export function loadConfig(env: Env = process.env, dotenv: Env = readDotenv()): Config {
  const errors: string[] = [];
  const lookup = (name: string): string | undefined => env[name] ?? dotenv[name];

  function read<T>(name: string, spec: Spec<T>): T {
    const raw = lookup(name);
    const value = raw ?? spec.fallback;
    if (value === null) return null as T;
    const parsed = spec.parse(value);
    if (parsed === undefined) {
      const shown = raw === undefined ? raw : (spec.shown?.(raw) ?? raw);
      errors.push(`${name}=${JSON.stringify(shown)} is invalid: expected ${spec.expected}`);
      return undefined as T;
    }
    return parsed;
  }

  const v = VARIABLES;
  const overrides: Config['sourceTimeoutOverridesMs'] = {};
  const baseUrls: Config['baseUrls'] = {};
  for (const id of SOURCE_IDS) {
    const p = envPrefix(id);
    const t = read(`${p}_TIMEOUT`, { ...v.SOURCE_TIMEOUT, fallback: null });
    if (t !== null && t !== undefined) overrides[id] = t;
    const b = read(`${p}_BASE_URL`, {
      fallback: null,
      expected: 'an http(s) origin such as http://127.0.0.1:9000',
      parse: origin,
    });
    if (b !== null && b !== undefined) baseUrls[id] = b;
  }
  const urlsTimeout = read('URLS_TIMEOUT', v.URLS_TIMEOUT);
  if (urlsTimeout !== null && urlsTimeout !== undefined) overrides.urls = urlsTimeout;

  const config: Config = {
    maxConcurrentSources: read('MAX_CONCURRENT_SOURCES', v.MAX_CONCURRENT_SOURCES),
    sourceTimeoutMs: read('SOURCE_TIMEOUT', v.SOURCE_TIMEOUT),
    sourceTimeoutOverridesMs: overrides,
    requestTimeoutMs: read('REQUEST_TIMEOUT', v.REQUEST_TIMEOUT),
    downloadTimeoutMs: read('DOWNLOAD_TIMEOUT', v.DOWNLOAD_TIMEOUT),
    maxRetriesPerSource: read('MAX_RETRIES_PER_SOURCE', v.MAX_RETRIES_PER_SOURCE),
    maxRetriesPerDownload: read('MAX_RETRIES_PER_DOWNLOAD', v.MAX_RETRIES_PER_DOWNLOAD),
    stallTimeoutMs: read('STALL_TIMEOUT', v.STALL_TIMEOUT),
    minDownloadSpeed: read('MIN_DOWNLOAD_SPEED', v.MIN_DOWNLOAD_SPEED),
    baseUrls,
    maxDownloadsPerSource: read('MAX_DOWNLOADS_PER_SOURCE', v.MAX_DOWNLOADS_PER_SOURCE),
    maxConnectionsPerHost: read('MAX_CONNECTIONS_PER_HOST', v.MAX_CONNECTIONS_PER_HOST),
    maxVideoResolution: read('MAX_VIDEO_RESOLUTION', v.MAX_VIDEO_RESOLUTION),
    maxFileSizeBytes: read('MAX_FILE_SIZE_MB', v.MAX_FILE_SIZE_MB),
    downloadDir: resolve(read('DOWNLOAD_DIR', v.DOWNLOAD_DIR) ?? '.'),
    logDir: resolve(read('LOG_DIR', v.LOG_DIR) ?? '.'),
    dataDir: resolve(read('DATA_DIR', v.DATA_DIR) ?? '.'),
    host: read('HOST', v.HOST),
    port: read('PORT', v.PORT),
    maxConcurrentJobs: read('MAX_CONCURRENT_JOBS', v.MAX_CONCURRENT_JOBS),
    maxQueuedJobs: read('MAX_QUEUED_JOBS', v.MAX_QUEUED_JOBS),
    allowedHosts: read('ALLOWED_HOSTS', v.ALLOWED_HOSTS),
    apiToken: read('API_TOKEN', v.API_TOKEN),
    rateLimitPerMinute: read('RATE_LIMIT_PER_MINUTE', v.RATE_LIMIT_PER_MINUTE),
    searchCacheTtlMs: read('SEARCH_CACHE_TTL', v.SEARCH_CACHE_TTL),
    unsplashAccessKey: read('UNSPLASH_ACCESS_KEY', v.UNSPLASH_ACCESS_KEY),
    pexelsApiKey: read('PEXELS_API_KEY', v.PEXELS_API_KEY),
    pixabayApiKey: read('PIXABAY_API_KEY', v.PIXABAY_API_KEY),
    allowPrivateNetworks: read('ALLOW_PRIVATE_NETWORKS', v.ALLOW_PRIVATE_NETWORKS),
    logMaxBytes: read('LOG_MAX_BYTES', v.LOG_MAX_BYTES),
    logBackups: read('LOG_BACKUPS', v.LOG_BACKUPS),
    nearDuplicateDistance: read('NEAR_DUPLICATE_DISTANCE', v.NEAR_DUPLICATE_DISTANCE),
    historyRetentionDays: read('HISTORY_RETENTION_DAYS', v.HISTORY_RETENTION_DAYS),
    databaseUrl: read('DATABASE_URL', v.DATABASE_URL),
    redisUrl: read('REDIS_URL', v.REDIS_URL),
    workerConcurrency: 0,
    queuePrefix: read('QUEUE_PREFIX', v.QUEUE_PREFIX),
  };
  config.workerConcurrency = read('WORKER_CONCURRENCY', v.WORKER_CONCURRENCY) ?? config.maxConcurrentSources;
  if (config.redisUrl && config.databaseUrl === null) {
    errors.push('REDIS_URL is set but DATABASE_URL is not: the distributed mode needs both (or neither)');
  }
  if (errors.length > 0) throw new ConfigError(`invalid configuration:\n  ${errors.join('\n  ')}`);
  return config;
}

/** The deadline of one source in a job: `<ID>_TIMEOUT`, else SOURCE_TIMEOUT. */
export function sourceTimeoutMs(config: Config, source: string): number {
  return config.sourceTimeoutOverridesMs[source as SourceId] ?? config.sourceTimeoutMs;
}

/** The configuration with some values replaced (tests, CLI flags such as --out). */
export function withOverrides(config: Config, overrides: Partial<Config>): Config {
  return { ...config, ...overrides };
}
